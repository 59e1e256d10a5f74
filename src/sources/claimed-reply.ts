import type { Actor } from '../domain/opportunity';
import type { CardStore, ReplyStore } from '../domain/ports';
import type { Post } from '../domain/post';
import { platformName } from '../domain/platform';
import { ReplyFailed, ReplyRefused } from '../domain/reply';
import type { Logger } from '../log';

/** The reply to send: the card, the fan's post, the approved text, and when the claim was written. */
export interface ReplyTarget {
  opportunityId: number;
  post: Post;
  text: string;
  /** When the claim was written; stays the same across retries, so a key made from it (an idempotency key, a record key) does too. */
  claimedAt: string;
}

/** A reply the platform has: its id there and the link the team opens. */
export interface SentReply {
  id: string;
  url: string;
}

/**
 * What a platform's `post` throws when the reply did not go out cleanly. `uncertain`: the request may have been
 * carried out (no answer, a 5xx), so the claim is kept and the next attempt looks on the platform first; otherwise
 * nothing was posted and the claim is given back. The message and hint are shown to the team: never a credential.
 */
export class ReplyNotSent extends Error {
  constructor(
    message: string,
    readonly uncertain: boolean,
    readonly hint = '',
    readonly status?: number,
  ) {
    super(message);
    this.name = 'ReplyNotSent';
  }
}

/** The one thing each network does differently: how a reply is posted there and how a posted one is found again. */
export interface ReplyPlatform {
  /** The post platforms it replies on. */
  readonly platforms: readonly string[];
  /** Refuses (ReplyRefused) what this network would not take: too long, a post it cannot answer. */
  check?(post: Post, text: string): void;
  /** After a claim a crash or a lost answer left: the reply if the network already has it. */
  find(target: ReplyTarget): Promise<SentReply | null>;
  /** Posts the reply; throws ReplyNotSent when it did not go out cleanly. */
  post(target: ReplyTarget): Promise<SentReply>;
}

/** What the senders need of the store: the card, the reply claims, and the audit (a refusal is recorded on the card). */
export type ReplySenderStore = Pick<CardStore, 'getOpportunity' | 'audit'> & ReplyStore;

export interface ClaimedReplyOptions {
  store: ReplySenderStore;
  log: Logger;
  now?: () => Date;
  /**
   * A 'sending' claim younger than this is another send in progress (its request may still be under way); an older
   * one was left by a crash and is checked on the network. Longer than the request timeout.
   */
  claimStaleMs?: number;
}

/**
 * Sends a card's approved reply once, on whichever network: only an approved card; the reply is claimed in the store
 * before the network is called (one caller wins, however many clicks, retries or workers race); concurrent clicks in
 * this process share the one request; a claim left 'sending' by a crash is checked on the network before anything
 * is sent again. Audited as '<platform>-reply-sent' with the actor, in the same transaction as the record; a refusal
 * (nothing was posted) as '<platform>-reply-refused' with what the network said.
 */
export class ClaimedReplySender {
  readonly platforms: readonly string[];
  private readonly inFlight = new Map<number, Promise<{ url: string; alreadySent: boolean }>>();

  constructor(
    private readonly platform: ReplyPlatform,
    private readonly opts: ClaimedReplyOptions,
  ) {
    this.platforms = platform.platforms;
  }

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
    const { store, log } = this.opts;
    const done = await store.getReply(opportunityId);
    if (done?.status === 'sent' && done.url) return { url: done.url, alreadySent: true };

    const opp = await store.getOpportunity(opportunityId);
    if (!opp) throw new ReplyRefused(`card #${opportunityId} does not exist`);
    if (opp.status !== 'approved') throw new ReplyRefused(`card #${opportunityId} is not approved (it is ${opp.status}); approve it first`);
    const name = platformName(opp.post.platform);
    if (!this.platforms.includes(opp.post.platform)) {
      throw new ReplyRefused(`card #${opportunityId} is about a ${name} post; this sender replies on ${this.platforms.map(platformName).join(' and ')}`);
    }
    let text = opp.analysis.reply;
    if (!text.trim()) throw new ReplyRefused(`card #${opportunityId} has no reply text`);
    this.platform.check?.(opp.post, text);

    let claimedAt = this.now();
    if (!(await store.claimReply({ opportunityId, inReplyTo: opp.post.id, text, actorId: actor?.id ?? 'unknown', at: claimedAt }))) {
      const row = await store.getReply(opportunityId);
      if (row?.status === 'sent' && row.url) return { url: row.url, alreadySent: true };
      if (!row) throw new ReplyFailed('the reply claim disappeared; try again', true);
      if (Date.parse(this.now()) - Date.parse(row.at) < (this.opts.claimStaleMs ?? 60_000)) {
        throw new ReplyFailed('this reply is being sent right now; look again in a minute', true);
      }
      // Left 'sending' by a crash or a lost answer: the network may have it already.
      claimedAt = row.at;
      text = row.text;
      const found = await this.platform.find({ opportunityId, post: opp.post, text, claimedAt }).catch((err: unknown) => {
        throw new ReplyFailed(`could not check ${name} for the earlier send (${(err as Error).message}); try again`, true);
      });
      if (found) return this.record(opportunityId, opp.post, found, actor, `found on ${name} after an interrupted send`);
      log.warn({ opportunity: opportunityId }, `an earlier send of this reply did not finish and ${name} does not have it; sending now`);
    }

    let sent: SentReply;
    try {
      sent = await this.platform.post({ opportunityId, post: opp.post, text, claimedAt });
    } catch (err) {
      const e = err instanceof ReplyNotSent ? err : new ReplyNotSent(`unexpected error (${(err as Error).message})`, true);
      if (e.uncertain) {
        // The request may have reached the network: keep the claim so the next attempt looks before sending.
        log.error({ opportunity: opportunityId, error: e.message }, `sending the reply on ${name}: no clear answer; it may have been posted`);
        throw new ReplyFailed(`${e.message}; try again: Kairos checks ${name} before sending twice`, true);
      }
      await store.releaseReply(opportunityId);
      log.error({ opportunity: opportunityId, status: e.status, error: e.message }, `${name} refused the reply; nothing was posted`);
      const message = `${e.message}${e.hint}`;
      // On the card's history: the card then shows the reply ready to copy, and still offers to try again.
      if (actor) await store.audit(opportunityId, actor, `${opp.post.platform}-reply-refused`, null, message.slice(0, 500));
      throw new ReplyFailed(message, false);
    }
    return this.record(opportunityId, opp.post, sent, actor);
  }

  private async record(opportunityId: number, post: Post, sent: SentReply, actor: Actor | undefined, note?: string): Promise<{ url: string; alreadySent: boolean }> {
    await this.opts.store.markReplySent(opportunityId, { tweetId: sent.id, url: sent.url, at: this.now() }, actor, `${post.platform}-reply-sent`);
    this.opts.log.info({ opportunity: opportunityId, reply: sent.id, note }, `reply sent on ${platformName(post.platform)}`);
    return { url: sent.url, alreadySent: false };
  }
}
