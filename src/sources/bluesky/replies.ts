import { z } from 'zod';
import type { Actor } from '../../domain/opportunity';
import type { CardStore, ReplyStore } from '../../domain/ports';
import type { Logger } from '../../log';
import { ReplyFailed, ReplyRefused, type ReplySender } from '../x/replies';
import { postUrl } from './normalise';

/** Bluesky's limit on a post's text, in graphemes (counted here as code points, which is never fewer). */
export const BLUESKY_MAX_CHARS = 300;

const S32 = '234567abcdefghijklmnopqrstuvwxyz';

/**
 * A record key in the TID format posts use, made from a time (µs) and a clock id: the same inputs always give
 * the same key. The reply to a card is written under a key derived from its claim, so a second createRecord
 * for it can only fail: the PDS itself guarantees the reply exists once.
 */
export function tid(timeUs: number, clockId: number): string {
  let n = (BigInt(Math.floor(timeUs)) << 10n) | BigInt(clockId & 1023);
  let s = '';
  for (let i = 0; i < 13; i++) {
    s = S32[Number(n & 31n)] + s;
    n >>= 5n;
  }
  return s;
}

const Session = z.object({ accessJwt: z.string(), did: z.string(), handle: z.string() });
const PostView = z.object({
  uri: z.string(),
  cid: z.string(),
  record: z.object({ reply: z.object({ root: z.object({ uri: z.string(), cid: z.string() }) }).loose().optional() }).loose(),
});

class XrpcError extends Error {
  constructor(
    message: string,
    readonly status?: number,
    readonly error?: string,
  ) {
    super(message);
  }
}

export interface BlueskyReplySenderOptions {
  /** The brand account's PDS (or the bsky.social entryway) where it logs in and writes. */
  pdsUrl: string;
  /** Where the fan's post is looked up (its cid and thread root). */
  apiUrl: string;
  handle: string;
  appPassword: string;
  store: Pick<CardStore, 'getOpportunity'> & ReplyStore;
  log: Logger;
  now?: () => Date;
  claimStaleMs?: number;
}

/**
 * Posts a card's approved reply in the fan's thread on Bluesky, as the brand (BLUESKY_APP_PASSWORD), once: the
 * reply is claimed in the store before the PDS is called, and written under a record key derived from the claim,
 * so a retry after a crash either finds it (getRecord) or writes it under the same key, never twice.
 */
export class BlueskyReplySender implements ReplySender {
  private session?: Promise<z.infer<typeof Session>>;
  private readonly inFlight = new Map<number, Promise<{ url: string; alreadySent: boolean }>>();

  constructor(private readonly opts: BlueskyReplySenderOptions) {}

  send(opportunityId: number, actor?: Actor): Promise<{ url: string; alreadySent: boolean }> {
    const running = this.inFlight.get(opportunityId);
    if (running) return running.then((r) => ({ ...r, alreadySent: true }));
    const p = this.sendOnce(opportunityId, actor).finally(() => this.inFlight.delete(opportunityId));
    this.inFlight.set(opportunityId, p);
    return p;
  }

  private now(): Date {
    return this.opts.now?.() ?? new Date();
  }

  private async sendOnce(opportunityId: number, actor: Actor | undefined): Promise<{ url: string; alreadySent: boolean }> {
    const { store, log } = this.opts;
    const done = await store.getReply(opportunityId);
    if (done?.status === 'sent' && done.url) return { url: done.url, alreadySent: true };
    const opp = await store.getOpportunity(opportunityId);
    if (!opp) throw new ReplyRefused(`card #${opportunityId} does not exist`);
    if (opp.status !== 'approved') throw new ReplyRefused(`card #${opportunityId} is not approved (it is ${opp.status}); approve it first`);
    if (opp.post.platform !== 'bluesky') throw new ReplyRefused(`card #${opportunityId} is about a ${opp.post.platform} post, not a Bluesky post`);
    const text = opp.analysis.reply;
    if (!text.trim()) throw new ReplyRefused(`card #${opportunityId} has no reply text`);
    if ([...text].length > BLUESKY_MAX_CHARS) throw new ReplyRefused(`the reply is longer than Bluesky's ${BLUESKY_MAX_CHARS} characters; edit it first`);

    const at = this.now().toISOString();
    let claimedAt = at;
    if (!(await store.claimReply({ opportunityId, inReplyTo: opp.post.id, text, actorId: actor?.id ?? 'unknown', at }))) {
      const row = await store.getReply(opportunityId);
      if (row?.status === 'sent' && row.url) return { url: row.url, alreadySent: true };
      if (!row) throw new ReplyFailed('the reply claim disappeared; try again', true);
      if (this.now().getTime() - Date.parse(row.at) < (this.opts.claimStaleMs ?? 60_000)) {
        throw new ReplyFailed('this reply is being sent right now; look again in a minute', true);
      }
      claimedAt = row.at;
      log.warn({ opportunity: opportunityId }, 'an earlier send of this Bluesky reply did not finish; checking before sending');
    }
    const rkey = tid(Date.parse(claimedAt) * 1000, opportunityId);
    try {
      const session = await this.login();
      if (await this.exists(session, rkey)) return this.recordSent(opportunityId, rkey, actor, 'found after an interrupted send');
      const parent = await this.thread(opp.post.id);
      await this.xrpc('POST', this.opts.pdsUrl, 'com.atproto.repo.createRecord', session.accessJwt, {
        repo: session.did,
        collection: 'app.bsky.feed.post',
        rkey,
        record: {
          $type: 'app.bsky.feed.post',
          text,
          createdAt: this.now().toISOString(),
          reply: { root: parent.root, parent: { uri: parent.uri, cid: parent.cid } },
          ...(opp.post.lang ? { langs: [opp.post.lang] } : {}),
        },
      });
    } catch (err) {
      const e = err instanceof XrpcError ? err : new XrpcError((err as Error).message);
      if (e.status === undefined || e.status >= 500) {
        // It may have been written: keep the claim; the next click checks the record key first.
        log.error({ opportunity: opportunityId, error: e.message }, 'sending the reply on Bluesky: no clear answer; it may have been posted');
        throw new ReplyFailed(`no clear answer from Bluesky (${e.message}); try again: Kairos checks before sending twice`, true);
      }
      // A record already under this key (a send racing this one) is the reply: record it, never send again.
      const session = await this.login().catch(() => null);
      if (session && (await this.exists(session, rkey).catch(() => false))) return this.recordSent(opportunityId, rkey, actor, 'already written');
      await store.releaseReply(opportunityId);
      const hint = e.status === 401 ? ' (check BLUESKY_HANDLE and BLUESKY_APP_PASSWORD)' : '';
      log.error({ opportunity: opportunityId, status: e.status, error: e.message }, 'Bluesky refused the reply; nothing was posted');
      throw new ReplyFailed(`${e.message}${hint}`, false);
    }
    return this.recordSent(opportunityId, rkey, actor);
  }

  private async recordSent(opportunityId: number, rkey: string, actor: Actor | undefined, note?: string): Promise<{ url: string; alreadySent: boolean }> {
    const session = await this.login();
    const uri = `at://${session.did}/app.bsky.feed.post/${rkey}`;
    const url = postUrl(session.handle, rkey);
    await this.opts.store.markReplySent(opportunityId, { tweetId: uri, url, at: this.now().toISOString() }, actor);
    this.opts.log.info({ opportunity: opportunityId, uri, note }, 'reply sent on Bluesky');
    return { url, alreadySent: false };
  }

  private login(): Promise<z.infer<typeof Session>> {
    this.session ??= this.xrpc('POST', this.opts.pdsUrl, 'com.atproto.server.createSession', undefined, {
      identifier: this.opts.handle,
      password: this.opts.appPassword,
    }).then((b) => Session.parse(b));
    this.session.catch(() => (this.session = undefined));
    return this.session;
  }

  private async exists(session: z.infer<typeof Session>, rkey: string): Promise<boolean> {
    try {
      await this.xrpc('GET', this.opts.pdsUrl, `com.atproto.repo.getRecord?${new URLSearchParams({ repo: session.did, collection: 'app.bsky.feed.post', rkey })}`, session.accessJwt);
      return true;
    } catch (err) {
      if (err instanceof XrpcError && (err.error === 'RecordNotFound' || err.status === 404)) return false;
      throw err;
    }
  }

  /** The fan's post (cid) and the root of its thread, for the reply's references. */
  private async thread(uri: string): Promise<{ uri: string; cid: string; root: { uri: string; cid: string } }> {
    const body = await this.xrpc('GET', this.opts.apiUrl, `app.bsky.feed.getPosts?${new URLSearchParams({ uris: uri })}`);
    const post = z.object({ posts: z.array(PostView) }).parse(body).posts[0];
    if (!post) throw new XrpcError('the fan post is gone (deleted?)', 400);
    return { uri: post.uri, cid: post.cid, root: post.record.reply?.root ?? { uri: post.uri, cid: post.cid } };
  }

  private async xrpc(method: 'GET' | 'POST', base: string, path: string, jwt?: string, body?: unknown): Promise<unknown> {
    let res: Response;
    try {
      res = await fetch(`${base.replace(/\/+$/, '')}/xrpc/${path}`, {
        method,
        headers: { accept: 'application/json', ...(body ? { 'content-type': 'application/json' } : {}), ...(jwt ? { authorization: `Bearer ${jwt}` } : {}) },
        body: body ? JSON.stringify(body) : undefined,
        signal: AbortSignal.timeout(15_000),
      });
    } catch (err) {
      throw new XrpcError(`no answer (${(err as Error).message})`);
    }
    const json = (await res.json().catch(() => ({}))) as { error?: string; message?: string };
    if (!res.ok) throw new XrpcError(`Bluesky answered ${res.status}${json.error ? ` (${json.error}${json.message ? `: ${String(json.message).slice(0, 200)}` : ''})` : ''}`, res.status, json.error);
    return json;
  }
}
