import { z } from 'zod';
import { maskUrl, type Config } from '../../config';
import type { Post } from '../../domain/post';
import { ReplyRefused } from '../../domain/reply';
import type { Logger } from '../../log';
import { ClaimedReplySender, ReplyNotSent, type ReplyPlatform, type ReplySenderStore, type ReplyTarget, type SentReply } from '../claimed-reply';
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
  store: ReplySenderStore;
  log: Logger;
  now?: () => Date;
  claimStaleMs?: number;
}

/**
 * How a reply goes into the fan's thread on Bluesky, as the brand (an app-password session): written under a record
 * key derived from the claim, so a retry after a crash either finds it (getRecord) or writes it under the same key,
 * which the PDS refuses a second time: the reply exists once.
 */
class BlueskyReplies implements ReplyPlatform {
  readonly platforms = ['bluesky'] as const;
  private session?: Promise<z.infer<typeof Session>>;

  constructor(private readonly opts: Pick<BlueskyReplySenderOptions, 'pdsUrl' | 'apiUrl' | 'handle' | 'appPassword' | 'now'>) {}

  check(_post: Post, text: string): void {
    if ([...text].length > BLUESKY_MAX_CHARS) throw new ReplyRefused(`the reply is longer than Bluesky's ${BLUESKY_MAX_CHARS} characters; edit it first`);
  }

  async find(t: ReplyTarget): Promise<SentReply | null> {
    const session = await this.login().catch((err: unknown) => {
      throw notSent(err);
    });
    const rkey = recordKey(t);
    return (await this.exists(session, rkey)) ? this.sent(session, rkey) : null;
  }

  async post(t: ReplyTarget): Promise<SentReply> {
    const rkey = recordKey(t);
    try {
      const session = await this.login();
      const parent = await this.thread(t.post.id);
      await this.xrpc('POST', this.opts.pdsUrl, 'com.atproto.repo.createRecord', session.accessJwt, {
        repo: session.did,
        collection: 'app.bsky.feed.post',
        rkey,
        record: {
          $type: 'app.bsky.feed.post',
          text: t.text,
          createdAt: (this.opts.now?.() ?? new Date()).toISOString(),
          reply: { root: parent.root, parent: { uri: parent.uri, cid: parent.cid } },
          ...(t.post.lang ? { langs: [t.post.lang] } : {}),
        },
      });
      return this.sent(session, rkey);
    } catch (err) {
      const e = notSent(err);
      if (e.uncertain) throw e;
      // A record already under this key (a send racing this one) is the reply: never send it again.
      const session = await this.login().catch(() => null);
      if (session && (await this.exists(session, rkey).catch(() => false))) return this.sent(session, rkey);
      throw e;
    }
  }

  private sent(session: z.infer<typeof Session>, rkey: string): SentReply {
    return { id: `at://${session.did}/app.bsky.feed.post/${rkey}`, url: postUrl(session.handle, rkey) };
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

/** The record key of a card's reply: from the claim's time and the card, the same on every retry. */
function recordKey(t: ReplyTarget): string {
  return tid(Date.parse(t.claimedAt) * 1000, t.opportunityId);
}

/** An XRPC failure as the claim helper reads it: no answer or a 5xx may have written; a 4xx did not. */
function notSent(err: unknown): ReplyNotSent {
  if (!(err instanceof XrpcError)) return new ReplyNotSent(`unexpected error (${(err as Error).message})`, true);
  if (err.status === undefined || err.status >= 500) return new ReplyNotSent(`no clear answer from Bluesky (${err.message})`, true, '', err.status);
  const hint = err.status === 401 ? ' (check BLUESKY_HANDLE and BLUESKY_APP_PASSWORD)' : '';
  return new ReplyNotSent(err.message, false, hint, err.status);
}

/** Posts a card's approved reply in the fan's thread on Bluesky, as the brand, once (see ClaimedReplySender). */
export class BlueskyReplySender extends ClaimedReplySender {
  constructor(opts: BlueskyReplySenderOptions) {
    super(new BlueskyReplies(opts), opts);
  }
}

/** The sender when BLUESKY_APP_PASSWORD is set, else none. */
export function blueskyReplySender(config: Config, deps: Pick<BlueskyReplySenderOptions, 'store' | 'log' | 'claimStaleMs'>): BlueskyReplySender | undefined {
  const b = config.bluesky;
  if (!b.replies || !b.handle) return undefined;
  deps.log.info({ handle: b.handle, pds: maskUrl(b.replies.pdsUrl) }, 'Bluesky replies on: approved cards offer "Send reply on Bluesky"');
  return new BlueskyReplySender({ pdsUrl: b.replies.pdsUrl, apiUrl: b.apiUrl, handle: b.handle, appPassword: b.replies.appPassword, store: deps.store, log: deps.log.child({ source: 'bluesky' }), claimStaleMs: deps.claimStaleMs });
}
