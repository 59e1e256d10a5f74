import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A fake X API v2 on 127.0.0.1 with the real paths and response shapes, for the real twitter-api-v2 client:
 * the filtered stream (chunked JSON lines with \r\n keep-alives; can drop the connection after N posts), stream
 * rules (add/delete, dry_run, rejected rules in an errors array), mentions and recent search (since_id, pagination),
 * user lookup, post a tweet (OAuth 1.0a), the brand's own timeline. Every response carries x-rate-limit-* headers;
 * 429s, 5xx and 401s can be scripted; tokens can be revoked.
 */

export interface FakeUser {
  id: string;
  username: string;
  name: string;
  verified: boolean;
  verified_type: 'blue' | 'business' | 'government' | 'none';
  public_metrics: { followers_count: number; following_count: number; tweet_count: number; listed_count: number };
}

export interface FakeTweet {
  id: string;
  text: string;
  author_id: string;
  created_at: string;
  lang: string;
  conversation_id: string;
  public_metrics: { retweet_count: number; reply_count: number; like_count: number; quote_count: number; impression_count: number };
  referenced_tweets?: { type: 'replied_to' | 'quoted' | 'retweeted'; id: string }[];
  in_reply_to_user_id?: string;
}

export interface FakeRule {
  id: string;
  value: string;
  tag?: string;
}

export interface Recorded {
  method: string;
  path: string;
  query: URLSearchParams;
  body: any;
  auth: string;
  at: number;
}

export type Route = 'stream' | 'rules' | 'mentions' | 'search' | 'users' | 'tweets' | 'me' | 'timeline' | 'lookup';

export interface ScriptedFailure {
  status: number;
  /** For 429: seconds from now until x-rate-limit-reset. */
  resetInSeconds?: number;
  times?: number;
  body?: unknown;
}

let idSeq = 0n;
/** Increasing X-like snowflake ids (19 digits). */
export function xId(): string {
  idSeq += 1n;
  return ((BigInt(Date.now()) - 1288834974657n) * 4194304n + idSeq).toString();
}

export class FakeX {
  readonly users = new Map<string, FakeUser>();
  readonly tweets: FakeTweet[] = [];
  rules: FakeRule[] = [];
  readonly requests: Recorded[] = [];
  /** Bearer tokens and OAuth access tokens X accepts. */
  readonly validTokens = new Set<string>(['test-bearer-token-0001', 'test-access-token-0001']);
  /** Rules whose value matches are rejected as invalid (as X rejects a malformed rule). */
  rejectRules: RegExp | null = /REJECTME/;
  /** Keep-alive interval on the stream; 0 sends none. */
  keepAliveMs = 1_000;
  /** The account behind the user-context (OAuth 1.0a) credentials. */
  meId = '9000000000000000001';
  /** Stream posts written in total (for tests). */
  streamed = 0;

  private server: Server;
  private streams = new Set<{ res: ServerResponse; timer?: NodeJS.Timeout; dropAfter?: number; sent: number; written?: Promise<void> }>();
  private failures = new Map<Route, ScriptedFailure[]>();
  private limits = new Map<Route, { limit: number; remaining: number; resetAt: number; windowMs: number }>();
  private nextDropAfter: number | undefined;
  private ruleSeq = 1000n;
  url = '';

  constructor() {
    this.server = createServer((req, res) => void this.handle(req, res));
    this.addUser({ id: this.meId, username: 'OranjeAir', name: 'Oranje Air', followers: 250_000, verifiedType: 'business' });
  }

  async start(): Promise<this> {
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', r));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  async close(): Promise<void> {
    for (const s of this.streams) {
      clearInterval(s.timer);
      s.res.destroy();
    }
    this.streams.clear();
    this.server.closeAllConnections();
    await new Promise<void>((r) => this.server.close(() => r()));
  }

  addUser(u: { id?: string; username: string; name?: string; followers?: number; verifiedType?: FakeUser['verified_type'] }): FakeUser {
    const user: FakeUser = {
      id: u.id ?? xId(),
      username: u.username,
      name: u.name ?? u.username,
      verified: (u.verifiedType ?? 'none') !== 'none',
      verified_type: u.verifiedType ?? 'none',
      public_metrics: { followers_count: u.followers ?? 0, following_count: 10, tweet_count: 100, listed_count: 0 },
    };
    this.users.set(user.id, user);
    return user;
  }

  /** A post appears on X: it is in search and mentions, and goes to every open stream connection. */
  publish(author: FakeUser, text: string, extra: Partial<FakeTweet> = {}): FakeTweet {
    const id = xId();
    const tweet: FakeTweet = {
      id,
      text,
      author_id: author.id,
      created_at: new Date().toISOString(),
      lang: 'en',
      conversation_id: id,
      public_metrics: { retweet_count: 0, reply_count: 0, like_count: 0, quote_count: 0, impression_count: 0 },
      ...extra,
    };
    this.tweets.push(tweet);
    if (this.rules.length) {
      const line = `${JSON.stringify({
        data: tweet,
        includes: { users: [author] },
        matching_rules: [{ id: this.rules[0]!.id, tag: this.rules[0]!.tag }],
      })}\r\n`;
      for (const s of [...this.streams]) {
        // The write's callback says when the line is on the socket (a drop waits for it; see drop()).
        s.written = new Promise((r) => s.res.write(line, () => r()));
        s.sent++;
        this.streamed++;
        if (s.dropAfter !== undefined && s.sent >= s.dropAfter) this.drop(s);
      }
    }
    return tweet;
  }

  /** The next stream connection (or the open one) is cut after it has carried n posts. */
  dropStreamAfter(n: number): void {
    if (this.streams.size) for (const s of this.streams) s.dropAfter = s.sent + n;
    else this.nextDropAfter = n;
  }

  dropStreams(): void {
    for (const s of [...this.streams]) this.drop(s);
  }

  get openStreams(): number {
    return this.streams.size;
  }

  /** The next `times` requests to a route fail with this status (429 with a reset header, 5xx, 401…). */
  failNext(route: Route, failure: ScriptedFailure): void {
    const list = this.failures.get(route) ?? [];
    for (let i = 0; i < (failure.times ?? 1); i++) list.push(failure);
    this.failures.set(route, list);
  }

  /** A rate-limit window for a route; once used up, the route answers 429 until the reset. */
  setLimit(route: Route, limit: number, windowMs = 15 * 60_000): void {
    this.limits.set(route, { limit, remaining: limit, resetAt: Date.now() + windowMs, windowMs });
  }

  revoke(token: string): void {
    this.validTokens.delete(token);
    // X closes open streams of a revoked app.
    this.dropStreams();
  }

  calls(route: Route): Recorded[] {
    return this.requests.filter((r) => routeOf(r.method, r.path) === route);
  }

  private drop(s: { res: ServerResponse; timer?: NodeJS.Timeout; written?: Promise<void> }): void {
    clearInterval(s.timer);
    this.streams.delete(s as never);
    // What was written still reaches the client, then the connection is cut (no clean end of stream). The cut
    // waits until the last line is on the socket: Node 24 hands a response's writes to the socket later than
    // Node 20 did, and ending the socket at once dropped lines the stream had already "sent".
    void (s.written ?? Promise.resolve()).then(() => s.res.socket?.end(() => s.res.destroy()));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://x');
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const raw = Buffer.concat(chunks).toString();
    let body: any;
    try {
      body = raw ? JSON.parse(raw) : undefined;
    } catch {
      body = raw;
    }
    const auth = String(req.headers.authorization ?? '');
    const method = req.method ?? 'GET';
    this.requests.push({ method, path: url.pathname, query: url.searchParams, body, auth, at: Date.now() });
    const route = routeOf(method, url.pathname);
    if (!route) return this.json(res, 404, { title: 'Not Found Error', detail: `no route ${method} ${url.pathname}`, type: 'about:blank', status: 404 });

    if (!this.authorised(auth, route)) {
      return this.json(res, 401, { title: 'Unauthorized', type: 'about:blank', status: 401, detail: 'Unauthorized' }, route);
    }
    const failure = this.failures.get(route)?.shift();
    if (failure) {
      if (failure.status === 429) {
        const reset = Math.ceil(Date.now() / 1000) + (failure.resetInSeconds ?? 1);
        return this.json(res, 429, failure.body ?? { title: 'Too Many Requests', detail: 'Too Many Requests', type: 'about:blank', status: 429 }, route, {
          limit: 15,
          remaining: 0,
          reset,
        });
      }
      return this.json(res, failure.status, failure.body ?? { title: 'Service Unavailable', detail: 'Service Unavailable', type: 'about:blank', status: failure.status }, route);
    }
    const limit = this.limits.get(route);
    if (limit) {
      if (Date.now() >= limit.resetAt) {
        limit.remaining = limit.limit;
        limit.resetAt = Date.now() + limit.windowMs;
      }
      if (limit.remaining <= 0) {
        return this.json(res, 429, { title: 'Too Many Requests', detail: 'Too Many Requests', type: 'about:blank', status: 429 }, route);
      }
      limit.remaining--;
    }

    const q = url.searchParams;
    switch (route) {
      case 'stream':
        return this.openStream(res);
      case 'rules':
        return method === 'GET' ? this.listRules(res) : this.changeRules(res, body, q.get('dry_run') === 'true');
      case 'mentions': {
        const user = this.users.get(url.pathname.split('/')[3]!);
        if (!user) return this.json(res, 200, { errors: [{ title: 'Not Found Error', detail: 'user not found', type: 'https://api.twitter.com/2/problems/resource-not-found' }] }, route);
        const mention = new RegExp(`@${user.username}\\b`, 'i');
        return this.timeline(res, route, this.tweets.filter((t) => mention.test(t.text) && t.author_id !== user.id), q);
      }
      case 'search':
        if (!q.get('query')) return this.json(res, 400, { title: 'Invalid Request', detail: 'query is required', type: 'about:blank', status: 400 }, route);
        return this.timeline(res, route, [...this.tweets], q);
      case 'timeline': {
        const id = url.pathname.split('/')[3];
        return this.timeline(res, route, this.tweets.filter((t) => t.author_id === id), q);
      }
      case 'users': {
        const name = decodeURIComponent(url.pathname.split('/').pop()!);
        const user = [...this.users.values()].find((u) => u.username.toLowerCase() === name.toLowerCase());
        if (!user) {
          return this.json(res, 200, { errors: [{ value: name, detail: `Could not find user with username: [${name}].`, title: 'Not Found Error', resource_type: 'user', parameter: 'username', resource_id: name, type: 'https://api.twitter.com/2/problems/resource-not-found' }] }, route);
        }
        return this.json(res, 200, { data: { id: user.id, name: user.name, username: user.username } }, route);
      }
      case 'me': {
        const me = this.users.get(this.meId)!;
        return this.json(res, 200, { data: { id: me.id, name: me.name, username: me.username } }, route);
      }
      case 'tweets':
        return this.postTweet(res, body);
      case 'lookup': {
        // One post by id; X answers 200 with an error for one it does not have (deleted, protected).
        const id = url.pathname.split('/')[3]!;
        const tweet = this.tweets.find((t) => t.id === id);
        if (!tweet) {
          return this.json(res, 200, { errors: [{ value: id, detail: `Could not find tweet with id: [${id}].`, title: 'Not Found Error', resource_type: 'tweet', parameter: 'id', resource_id: id, type: 'https://api.twitter.com/2/problems/resource-not-found' }] }, route);
        }
        const author = this.users.get(tweet.author_id);
        return this.json(res, 200, { data: tweet, includes: { users: author ? [author] : [] } }, route);
      }
    }
  }

  private authorised(auth: string, route: Route): boolean {
    if (route === 'tweets' || route === 'me' || route === 'timeline') {
      const m = /oauth_token="([^"]+)"/.exec(auth);
      return auth.startsWith('OAuth ') && !!m && this.validTokens.has(decodeURIComponent(m[1]!));
    }
    const m = /^Bearer (.+)$/.exec(auth);
    return !!m && this.validTokens.has(m[1]!);
  }

  private rateHeaders(route: Route | undefined, override?: { limit: number; remaining: number; reset: number }): Record<string, string> {
    const l = route ? this.limits.get(route) : undefined;
    const v = override ?? (l ? { limit: l.limit, remaining: l.remaining, reset: Math.ceil(l.resetAt / 1000) } : { limit: 100_000, remaining: 99_999, reset: Math.ceil(Date.now() / 1000) + 900 });
    return { 'x-rate-limit-limit': String(v.limit), 'x-rate-limit-remaining': String(v.remaining), 'x-rate-limit-reset': String(v.reset) };
  }

  private json(res: ServerResponse, status: number, body: unknown, route?: Route, rate?: { limit: number; remaining: number; reset: number }): void {
    const text = JSON.stringify(body);
    res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text), ...this.rateHeaders(route, rate) });
    res.end(text);
  }

  private openStream(res: ServerResponse): void {
    res.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'transfer-encoding': 'chunked', ...this.rateHeaders('stream') });
    res.flushHeaders();
    const s: { res: ServerResponse; timer?: NodeJS.Timeout; dropAfter?: number; sent: number; written?: Promise<void> } = { res, sent: 0, dropAfter: this.nextDropAfter };
    this.nextDropAfter = undefined;
    if (this.keepAliveMs > 0) s.timer = setInterval(() => res.write('\r\n'), this.keepAliveMs);
    res.on('close', () => {
      clearInterval(s.timer);
      this.streams.delete(s);
    });
    this.streams.add(s);
  }

  private listRules(res: ServerResponse): void {
    const meta = { sent: new Date().toISOString(), result_count: this.rules.length };
    this.json(res, 200, this.rules.length ? { data: this.rules, meta } : { meta }, 'rules');
  }

  private changeRules(res: ServerResponse, body: any, dryRun: boolean): void {
    const sent = new Date().toISOString();
    if (body?.delete) {
      const ids: string[] = body.delete.ids ?? [];
      const before = this.rules.length;
      if (!dryRun) this.rules = this.rules.filter((r) => !ids.includes(r.id));
      const deleted = dryRun ? ids.filter((id) => this.rules.some((r) => r.id === id)).length : before - this.rules.length;
      return this.json(res, 200, { meta: { sent, summary: { deleted, not_deleted: ids.length - deleted } } }, 'rules');
    }
    const add: { value: string; tag?: string }[] = body?.add ?? [];
    const errors: unknown[] = [];
    const created: FakeRule[] = [];
    for (const r of add) {
      if (this.rejectRules?.test(r.value) || r.value.length > 512) {
        errors.push({
          value: r.value,
          details: [r.value.length > 512 ? 'Rule is too long' : 'Reference to invalid operator \'REJECTME\'. Operator is not available in current product or product packaging.'],
          title: 'UnprocessableEntity',
          type: 'https://api.twitter.com/2/problems/invalid-rules',
        });
        continue;
      }
      const existing = this.rules.find((x) => x.value === r.value);
      if (existing) {
        errors.push({ value: r.value, id: existing.id, title: 'DuplicateRule', type: 'https://api.twitter.com/2/problems/duplicate-rules' });
        continue;
      }
      this.ruleSeq += 1n;
      created.push({ id: `1${this.ruleSeq.toString().padStart(18, '0')}`, value: r.value, ...(r.tag ? { tag: r.tag } : {}) });
    }
    if (!dryRun) this.rules.push(...created);
    const invalid = errors.filter((e: any) => e.title !== 'DuplicateRule').length;
    this.json(
      res,
      200,
      {
        ...(created.length ? { data: created } : {}),
        meta: { sent, summary: { created: dryRun ? 0 : created.length, not_created: add.length - (dryRun ? 0 : created.length), valid: created.length, invalid } },
        ...(errors.length ? { errors } : {}),
      },
      'rules',
    );
  }

  /** Newest first, since_id exclusive, max_results per page, next_token to page back. */
  private timeline(res: ServerResponse, route: Route, all: FakeTweet[], q: URLSearchParams): void {
    const since = q.get('since_id');
    const max = Math.min(100, Math.max(5, Number(q.get('max_results') ?? 10)));
    const token = q.get('pagination_token') ?? q.get('next_token');
    const offset = token ? Number(token.replace(/^p/, '')) : 0;
    const start = q.get('start_time');
    const sorted = all
      .filter((t) => (!since || cmpId(t.id, since) > 0) && (!start || t.created_at >= start))
      .sort((a, b) => cmpId(b.id, a.id));
    const page = sorted.slice(offset, offset + max);
    const authors = [...new Set(page.map((t) => t.author_id))].map((id) => this.users.get(id)).filter(Boolean);
    const meta: Record<string, unknown> = { result_count: page.length };
    if (page.length) {
      meta.newest_id = page[0]!.id;
      meta.oldest_id = page[page.length - 1]!.id;
    }
    if (offset + max < sorted.length) meta.next_token = `p${offset + max}`;
    this.json(res, 200, page.length ? { data: page, includes: { users: authors }, meta } : { meta }, route);
  }

  private postTweet(res: ServerResponse, body: any): void {
    const text: string = body?.text ?? '';
    const me = this.users.get(this.meId)!;
    if (this.tweets.some((t) => t.author_id === me.id && t.text === text)) {
      return this.json(res, 403, { detail: 'You are not allowed to create a Tweet with duplicate content.', type: 'about:blank', title: 'Forbidden', status: 403 }, 'tweets');
    }
    const replyTo: string | undefined = body?.reply?.in_reply_to_tweet_id;
    const parent = replyTo ? this.tweets.find((t) => t.id === replyTo) : undefined;
    const tweet = this.publish(me, text, replyTo ? { referenced_tweets: [{ type: 'replied_to', id: replyTo }], in_reply_to_user_id: parent?.author_id, conversation_id: parent?.conversation_id ?? replyTo } : {});
    this.json(res, 201, { data: { id: tweet.id, text: tweet.text, edit_history_tweet_ids: [tweet.id] } }, 'tweets');
  }
}

export function cmpId(a: string, b: string): number {
  return a.length !== b.length ? a.length - b.length : a < b ? -1 : a > b ? 1 : 0;
}

function routeOf(method: string, path: string): Route | undefined {
  if (path === '/2/tweets/search/stream' && method === 'GET') return 'stream';
  if (path === '/2/tweets/search/stream/rules') return 'rules';
  if (path === '/2/tweets/search/recent' && method === 'GET') return 'search';
  if (/^\/2\/users\/\d+\/mentions$/.test(path)) return 'mentions';
  if (/^\/2\/users\/\d+\/tweets$/.test(path)) return 'timeline';
  if (path === '/2/users/me') return 'me';
  if (path.startsWith('/2/users/by/username/')) return 'users';
  if (path === '/2/tweets' && method === 'POST') return 'tweets';
  if (/^\/2\/tweets\/\d+$/.test(path) && method === 'GET') return 'lookup';
  return undefined;
}
