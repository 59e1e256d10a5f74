import type { Store } from './store';

/** A reply to a fan sent (or being sent) on X for a card: the x_replies table (migration 3). */
export interface XReplyRecord {
  opportunityId: number;
  status: 'sending' | 'sent';
  inReplyTo: string;
  tweetId: string | null;
  url: string | null;
  text: string;
  actorId: string;
  at: string;
}

type Row = {
  opportunity_id: number;
  status: 'sending' | 'sent';
  in_reply_to: string;
  tweet_id: string | null;
  url: string | null;
  text: string;
  actor_id: string;
  at: string;
};

function toRecord(r: Row): XReplyRecord {
  return {
    opportunityId: r.opportunity_id,
    status: r.status,
    inReplyTo: r.in_reply_to,
    tweetId: r.tweet_id,
    url: r.url,
    text: r.text,
    actorId: r.actor_id,
    at: r.at,
  };
}

export function getXReply(store: Store, opportunityId: number): XReplyRecord | null {
  const r = store.db.prepare('SELECT * FROM x_replies WHERE opportunity_id = ?').get(opportunityId) as Row | undefined;
  return r ? toRecord(r) : null;
}

/**
 * Claims the right to send a card's reply: true for exactly one caller, however many clicks or retries race (the
 * primary key decides). The claim is written before X is called.
 */
export function claimXReply(
  store: Store,
  claim: { opportunityId: number; inReplyTo: string; text: string; actorId: string; at: string },
): boolean {
  return (
    store.db
      .prepare(
        `INSERT OR IGNORE INTO x_replies (opportunity_id, status, in_reply_to, text, actor_id, at)
         VALUES (?, 'sending', ?, ?, ?, ?)`,
      )
      .run(claim.opportunityId, claim.inReplyTo, claim.text, claim.actorId, claim.at).changes > 0
  );
}

export function markXReplySent(store: Store, opportunityId: number, tweetId: string, url: string, at: string): void {
  store.db
    .prepare(`UPDATE x_replies SET status = 'sent', tweet_id = ?, url = ?, at = ? WHERE opportunity_id = ?`)
    .run(tweetId, url, at, opportunityId);
}

/** Gives a claim back when X answered that nothing was posted, so the team can try again. */
export function releaseXReply(store: Store, opportunityId: number): void {
  store.db.prepare(`DELETE FROM x_replies WHERE opportunity_id = ? AND status = 'sending'`).run(opportunityId);
}
