import type { Actor } from '../../domain/opportunity';
import type { CardStore, ReplyStore } from '../../domain/ports';
import { ReplyFailed, ReplyRefused } from '../../domain/reply';
import type { Logger } from '../../log';
import { GraphError, type GraphClient } from './graph';

/** Facebook takes comments of up to 8,000 characters; Instagram 2,200. */
const MAX_CHARS: Record<'facebook' | 'instagram', number> = { facebook: 8000, instagram: 2200 };

export interface MetaReplySenderOptions {
  graph: GraphClient;
  /** The Page (its replies come from it) and the Instagram account (likewise). */
  pageId: string;
  igUserId?: string;
  store: Pick<CardStore, 'getOpportunity'> & ReplyStore;
  log: Logger;
  now?: () => Date;
  /** A 'sending' claim younger than this is a send in progress; an older one was left by a crash and is checked. */
  claimStaleMs?: number;
}

interface Reply {
  id: string;
  message?: string;
  text?: string;
  from?: { id?: string };
}

/**
 * Posts a card's approved reply under the fan's Facebook comment (POST /{id}/comments) or Instagram comment
 * (POST /{id}/replies) with the Page token, once: the claim is written before the Graph API is called,
 * concurrent clicks share one request, and a claim left 'sending' by a crash or a lost answer is checked against
 * the replies under the comment before anything is sent again.
 */
export class MetaReplySender {
  readonly platforms: readonly string[];
  private readonly inFlight = new Map<number, Promise<{ url: string; alreadySent: boolean }>>();

  constructor(private readonly opts: MetaReplySenderOptions) {
    this.platforms = opts.igUserId ? ['facebook', 'instagram'] : ['facebook'];
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
    const { store, log, graph } = this.opts;
    const done = await store.getReply(opportunityId);
    if (done?.status === 'sent' && done.url) return { url: done.url, alreadySent: true };

    const opp = await store.getOpportunity(opportunityId);
    if (!opp) throw new ReplyRefused(`card #${opportunityId} does not exist`);
    if (opp.status !== 'approved') throw new ReplyRefused(`card #${opportunityId} is not approved (it is ${opp.status}); approve it first`);
    const platform = opp.post.platform;
    if (platform !== 'facebook' && platform !== 'instagram') throw new ReplyRefused(`card #${opportunityId} is about a ${platform} post, not a Facebook or Instagram one`);
    if (!this.platforms.includes(platform)) throw new ReplyRefused('Instagram replies need META_IG_USER_ID');
    const text = opp.analysis.reply;
    if (!text.trim()) throw new ReplyRefused(`card #${opportunityId} has no reply text`);
    if ([...text].length > MAX_CHARS[platform]) throw new ReplyRefused(`the reply is longer than ${MAX_CHARS[platform]} characters; edit it first`);
    const target = opp.post.id;
    const edge = platform === 'facebook' ? 'comments' : 'replies';

    if (!(await store.claimReply({ opportunityId, inReplyTo: target, text, actorId: actor?.id ?? 'unknown', at: this.now() }))) {
      const row = await store.getReply(opportunityId);
      if (row?.status === 'sent' && row.url) return { url: row.url, alreadySent: true };
      if (row && Date.parse(this.now()) - Date.parse(row.at) < (this.opts.claimStaleMs ?? 60_000)) {
        throw new ReplyFailed('this reply is being sent right now; look again in a minute', true);
      }
      // Left 'sending' by a crash or a lost answer: the comment may have it already.
      const found = await this.findReply(platform, target, edge, row?.text ?? text);
      if (found) return this.recordSent(opportunityId, opp.post.url, platform, found, actor, 'found under the comment after an interrupted send');
      log.warn({ opportunity: opportunityId }, `an earlier send of this reply did not finish and ${platform} does not have it; sending now`);
    }

    let reply: { id: string };
    try {
      reply = await graph.post<{ id: string }>(`${target}/${edge}`, { message: text });
      if (typeof reply?.id !== 'string') throw new GraphError('the Graph API answered without the reply id', 0);
    } catch (err) {
      if (!(err instanceof GraphError)) throw err;
      if (err.uncertain) {
        // The request may have been carried out: keep the claim so the next attempt looks before sending.
        log.error({ opportunity: opportunityId, error: err.message }, `sending the reply on ${platform}: no clear answer; it may have been posted`);
        throw new ReplyFailed(`${err.message}; try again: Kairos checks the comment before sending twice`, true);
      }
      await store.releaseReply(opportunityId);
      log.error({ opportunity: opportunityId, status: err.status, error: err.message }, `${platform} refused the reply; nothing was posted`);
      const hint = err.code === 190 || err.status === 401 || err.status === 403 ? ' (check META_PAGE_TOKEN and the pages_manage_engagement / instagram_manage_comments permission)' : '';
      throw new ReplyFailed(`${err.message}${hint}`, false);
    }
    return this.recordSent(opportunityId, opp.post.url, platform, reply, actor);
  }

  private async recordSent(
    opportunityId: number,
    postUrl: string | undefined,
    platform: 'facebook' | 'instagram',
    reply: { id: string },
    actor: Actor | undefined,
    note?: string,
  ): Promise<{ url: string; alreadySent: boolean }> {
    const url = replyUrl(platform, postUrl, reply.id);
    await this.opts.store.markReplySent(opportunityId, { tweetId: reply.id, url, at: this.now() }, actor, `${platform}-reply-sent`);
    this.opts.log.info({ opportunity: opportunityId, reply: reply.id, note }, `reply sent on ${platform}`);
    return { url, alreadySent: false };
  }

  /** The brand's reply with this text under the comment, if there is one. */
  private async findReply(platform: 'facebook' | 'instagram', target: string, edge: string, text: string): Promise<Reply | null> {
    const own = platform === 'facebook' ? this.opts.pageId : this.opts.igUserId;
    const res = await this.opts.graph.get<{ data?: Reply[] }>(`${target}/${edge}`, { fields: platform === 'facebook' ? 'id,message,from' : 'id,text,from', limit: '100' });
    return res.data?.find((r) => r.from?.id === own && (r.message ?? r.text) === text) ?? null;
  }
}

/** Where the team finds the reply: under the fan's comment on Facebook; the post itself on Instagram. */
function replyUrl(platform: 'facebook' | 'instagram', postUrl: string | undefined, replyId: string): string {
  if (platform === 'facebook' && postUrl) {
    const u = new URL(postUrl);
    u.searchParams.set('reply_comment_id', replyId.split('_').pop() ?? replyId);
    return u.href;
  }
  return postUrl ?? `https://www.facebook.com/${replyId}`;
}
