import type { TwitterApi, TweetV2 } from 'twitter-api-v2';
import { X_MAX_CHARS } from '../../domain/analysis';
import type { Actor } from '../../domain/opportunity';
import type { CardStore, ReplyStore } from '../../domain/ports';
import type { Logger } from '../../log';
import { describeXError } from './client';
import { ReplyFailed, ReplyRefused } from '../../domain/reply';

/** Sends a card's approved reply to the fan on X. The Discord bot's "Send reply on X" button calls it. */
export interface ReplySender {
  /**
   * Resolves with the link of the reply on X (the same link again when it was already sent). With an actor, the
   * send is audited here ('x-reply-sent'); without one the caller audits it (the Discord button does).
   */
  send(opportunityId: number, actor?: Actor): Promise<{ url: string; alreadySent: boolean }>;
}

export { ReplyFailed, ReplyRefused };

export interface XReplySenderOptions {
  /** A user-context client (OAuth 1.0a: X_APP_KEY, X_APP_SECRET, X_ACCESS_TOKEN, X_ACCESS_SECRET). */
  client: TwitterApi;
  store: Pick<CardStore, 'getOpportunity'> & ReplyStore;
  log: Logger;
  now?: () => Date;
  /**
   * A 'sending' claim younger than this is another send in progress (its request may still be under way); an older
   * one was left by a crash and is checked on X. Longer than the request timeout.
   */
  claimStaleMs?: number;
}

/**
 * Posts exactly the approved reply text of a card as a reply to the fan's post, once. The x_replies row is claimed
 * before X is called; concurrent clicks share the one request; a claim left 'sending' by a crash is checked on X
 * (the brand's replies to that post since the claim) before anything is sent again.
 */
export class XReplySender implements ReplySender {
  readonly platforms = ['x'] as const;
  private readonly inFlight = new Map<number, Promise<{ url: string; alreadySent: boolean }>>();
  private me?: Promise<{ id: string; username: string }>;

  constructor(private readonly opts: XReplySenderOptions) {}

  send(opportunityId: number, actor?: Actor): Promise<{ url: string; alreadySent: boolean }> {
    const running = this.inFlight.get(opportunityId);
    if (running) return running.then((r) => ({ ...r, alreadySent: true }));
    const p = this.sendOnce(opportunityId, actor).finally(() => this.inFlight.delete(opportunityId));
    this.inFlight.set(opportunityId, p);
    return p;
  }

  private now(): string {
    return (this.opts.now?.() ?? new Date()).toISOString();
  }

  private async sendOnce(opportunityId: number, actor: Actor | undefined): Promise<{ url: string; alreadySent: boolean }> {
    const { store, log, client } = this.opts;
    const done = await store.getReply(opportunityId);
    if (done?.status === 'sent' && done.url) return { url: done.url, alreadySent: true };

    const opp = await store.getOpportunity(opportunityId);
    if (!opp) throw new ReplyRefused(`card #${opportunityId} does not exist`);
    if (opp.status !== 'approved') throw new ReplyRefused(`card #${opportunityId} is not approved (it is ${opp.status}); approve it first`);
    if (opp.post.platform !== 'x') throw new ReplyRefused(`card #${opportunityId} is about a ${opp.post.platform} post, not an X post`);
    const text = opp.analysis.reply;
    if (!text.trim()) throw new ReplyRefused(`card #${opportunityId} has no reply text`);
    if ([...text].length > X_MAX_CHARS) throw new ReplyRefused(`the reply is longer than ${X_MAX_CHARS} characters; edit it first`);

    if (!(await store.claimReply({ opportunityId, inReplyTo: opp.post.id, text, actorId: actor?.id ?? 'unknown', at: this.now() }))) {
      const row = await store.getReply(opportunityId);
      if (row?.status === 'sent' && row.url) return { url: row.url, alreadySent: true };
      if (row && Date.parse(this.now()) - Date.parse(row.at) < (this.opts.claimStaleMs ?? 60_000)) {
        throw new ReplyFailed('this reply is being sent right now; look again in a minute', true);
      }
      // Left 'sending' by a crash or a lost answer: X may have it already.
      const found = row ? await this.findOnX(opp.post.id, row.at) : null;
      if (found) return this.recordSent(opportunityId, found, row?.text ?? text, actor, 'found on X after an interrupted send');
      log.warn({ opportunity: opportunityId }, 'an earlier send of this reply did not finish and X does not have it; sending now');
    }

    let tweet: { id: string };
    try {
      tweet = (await client.v2.reply(text, opp.post.id)).data;
    } catch (err) {
      const f = describeXError(err);
      if (f.kind === 'network') {
        // The request may have reached X: keep the claim so the next attempt looks before sending.
        log.error({ opportunity: opportunityId, error: f.message }, 'sending the reply on X: no answer; it may have been posted');
        throw new ReplyFailed(`no answer from X (${f.message}); try again: Kairos checks X before sending twice`, true);
      }
      if (f.status === 403 && /duplicate/i.test(f.message)) {
        const found = await this.findOnX(opp.post.id, (await store.getReply(opportunityId))?.at ?? this.now());
        if (found) return this.recordSent(opportunityId, found, text, actor, 'X reported a duplicate');
      }
      await store.releaseReply(opportunityId);
      log.error({ opportunity: opportunityId, status: f.status, error: f.message }, 'X refused the reply; nothing was posted');
      const hint = f.status === 401 || f.status === 403 ? ' (check the X_APP_KEY/X_APP_SECRET/X_ACCESS_TOKEN/X_ACCESS_SECRET and the app\'s write permission)' : '';
      throw new ReplyFailed(`${f.message}${hint}`, false);
    }
    return this.recordSent(opportunityId, tweet, text, actor);
  }

  private async recordSent(
    opportunityId: number,
    tweet: { id: string },
    text: string,
    actor: Actor | undefined,
    note?: string,
  ): Promise<{ url: string; alreadySent: boolean }> {
    const { store, log } = this.opts;
    const me = await this.account().catch(() => null);
    const url = me ? `https://x.com/${me.username}/status/${tweet.id}` : `https://x.com/i/web/status/${tweet.id}`;
    await store.markReplySent(opportunityId, { tweetId: tweet.id, url, at: this.now() }, actor);
    log.info({ opportunity: opportunityId, tweet: tweet.id, note, chars: [...text].length }, 'reply sent on X');
    return { url, alreadySent: false };
  }

  private account(): Promise<{ id: string; username: string }> {
    this.me ??= this.opts.client.v2.me().then((r) => ({ id: r.data.id, username: r.data.username }));
    this.me.catch(() => (this.me = undefined));
    return this.me;
  }

  /** The brand's reply to a post since a time, if X has one: how an interrupted send is told from an unsent one. */
  private async findOnX(postId: string, since: string): Promise<TweetV2 | null> {
    const me = await this.account();
    const start = new Date(Date.parse(since) - 60_000).toISOString().replace(/\.\d{3}Z$/, 'Z');
    const res = await this.opts.client.v2.get<{ data?: TweetV2[] }>(`users/${me.id}/tweets`, {
      start_time: start,
      max_results: 100,
      'tweet.fields': 'referenced_tweets,created_at',
    });
    return res.data?.find((t) => t.referenced_tweets?.some((r) => r.type === 'replied_to' && r.id === postId)) ?? null;
  }
}
