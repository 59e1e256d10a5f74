import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';

/**
 * A fake Mastodon instance on 127.0.0.1 with the real paths and entity shapes: verify_credentials, the mentions
 * in /api/v1/notifications and /api/v1/timelines/tag/:tag (newest first, since_id / max_id / limit), and the
 * streaming API over a WebSocket (subscribe messages; `notification` and `update` events whose payload is a JSON
 * string). A wrong bearer token gets a 401 everywhere, the upgrade included. Sockets can be dropped.
 * Posting as the brand: POST /api/v1/statuses (the token's scopes checked, a 500-character limit, Idempotency-Key
 * honoured as Mastodon does: the same key gives the same status), the brand's own statuses, one status by id, and
 * an answer that can be lost after the status was made.
 */

export interface FakeMastoAccount {
  id: string;
  username: string;
  acct: string;
  display_name: string;
  followers_count: number;
}

let seq = 110_000_000_000_000_000n;
const nextId = () => String((seq += 1000n));

export class FakeMastodon {
  private server?: Server;
  private wss?: WebSocketServer;
  token = 'masto-token-0001';
  readonly me: FakeMastoAccount = { id: '1', username: 'oranjeair', acct: 'oranjeair', display_name: 'Oranje Air', followers_count: 9000 };
  readonly statuses: Record<string, unknown>[] = [];
  readonly notifications: { id: string; type: string; status: Record<string, unknown> }[] = [];
  readonly tagged = new Map<string, Record<string, unknown>[]>();
  readonly requests: { path: string; query: URLSearchParams }[] = [];
  readonly subscriptions: unknown[] = [];
  private readonly sockets = new Map<WebSocket, Set<string>>();
  refusing = false;
  url = '';
  /** The token's scopes: without write:statuses, posting is refused with 403 as Mastodon does. */
  scopes = ['read', 'write:statuses'];
  /** The next POST /api/v1/statuses makes the status, then the connection is cut before the answer. */
  loseNextAnswer = false;
  /** The account's own statuses list answers empty (a timeline that has not caught up). */
  hideOwnStatuses = false;
  /** Every POST /api/v1/statuses, with its body and Idempotency-Key. */
  readonly posts: { body: Record<string, unknown>; idempotencyKey?: string }[] = [];
  private readonly byKey = new Map<string, Record<string, unknown>>();

  async start(): Promise<this> {
    this.server = createServer((req, res) => this.http(req, res));
    this.wss = new WebSocketServer({ noServer: true });
    this.server.on('upgrade', (req, socket, head) => {
      if (req.headers.authorization !== `Bearer ${this.token}`) {
        socket.end('HTTP/1.1 401 Unauthorized\r\nContent-Length: 0\r\n\r\n');
        return;
      }
      if (this.refusing) {
        socket.end('HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\n\r\n');
        return;
      }
      this.wss!.handleUpgrade(req, socket, head, (ws) => this.onSocket(ws));
    });
    await new Promise<void>((r) => this.server!.listen(0, '127.0.0.1', r));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  get open(): number {
    return this.sockets.size;
  }

  /** Open sockets that subscribed to every stream named. */
  subscribed(...streams: string[]): number {
    return [...this.sockets.values()].filter((s) => streams.every((x) => s.has(x))).length;
  }

  account(username: string, domain = 'example.social', followers = 120): FakeMastoAccount {
    return { id: nextId(), username, acct: `${username}@${domain}`, display_name: username, followers_count: followers };
  }

  status(author: FakeMastoAccount, html: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
    const id = nextId();
    const s = {
      id,
      uri: `https://${author.acct.split('@')[1] ?? 'local'}/users/${author.username}/statuses/${id}`,
      url: `https://${author.acct.split('@')[1] ?? 'local'}/@${author.username}/${id}`,
      created_at: new Date().toISOString(),
      content: html,
      spoiler_text: '',
      language: 'en',
      visibility: 'public',
      in_reply_to_id: null,
      reblog: null,
      replies_count: 0,
      reblogs_count: 1,
      favourites_count: 4,
      account: author,
      ...extra,
    };
    this.statuses.push(s);
    return s;
  }

  /** A status mentioning the brand: a notification, streamed to user:notification. */
  mention(author: FakeMastoAccount, html: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
    const status = this.status(author, html, extra);
    const n = { id: nextId(), type: 'mention', created_at: status.created_at, account: author, status };
    this.notifications.push(n);
    this.push('user:notification', ['user:notification'], 'notification', n);
    return status;
  }

  /** A non-mention notification (a favourite): never a post. */
  favourite(author: FakeMastoAccount): void {
    const n = { id: nextId(), type: 'favourite', account: author, status: this.statuses[0]! };
    this.notifications.push(n);
    this.push('user:notification', ['user:notification'], 'notification', n);
  }

  /** A public status with a hashtag: on the tag timeline, streamed to hashtag:<tag>. */
  tagPost(author: FakeMastoAccount, tag: string, html: string): Record<string, unknown> {
    const status = this.status(author, html);
    const list = this.tagged.get(tag) ?? [];
    list.push(status);
    this.tagged.set(tag, list);
    this.push(`hashtag:${tag}`, ['hashtag', tag], 'update', status);
    return status;
  }

  drop(): void {
    for (const ws of this.sockets.keys()) ws.terminate();
  }

  async close(): Promise<void> {
    this.drop();
    this.wss?.close();
    await new Promise<void>((r) => this.server?.close(() => r()) ?? r());
  }

  private push(key: string, stream: string[], event: string, payload: unknown): void {
    for (const [ws, subs] of this.sockets) if (subs.has(key)) ws.send(JSON.stringify({ stream, event, payload: JSON.stringify(payload) }));
  }

  private onSocket(ws: WebSocket): void {
    const subs = new Set<string>();
    this.sockets.set(ws, subs);
    ws.on('close', () => this.sockets.delete(ws));
    ws.on('message', (data) => {
      const m = JSON.parse(data.toString()) as { type: string; stream: string; tag?: string };
      this.subscriptions.push(m);
      if (m.type === 'subscribe') subs.add(m.stream === 'hashtag' ? `hashtag:${m.tag}` : m.stream);
    });
  }

  /** The brand's replies made through the API (not the fans' statuses). */
  get replies(): Record<string, unknown>[] {
    return this.statuses.filter((s) => s.account === this.me);
  }

  private http(req: IncomingMessage, res: ServerResponse): void {
    if (req.method === 'POST') {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => this.route(req, res, Buffer.concat(chunks).toString('utf8')));
      return;
    }
    this.route(req, res, '');
  }

  private route(req: IncomingMessage, res: ServerResponse, raw: string): void {
    const url = new URL(req.url ?? '/', 'http://x');
    this.requests.push({ path: url.pathname, query: url.searchParams });
    const json = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    if (req.headers.authorization !== `Bearer ${this.token}`) return json(401, { error: 'The access token is invalid' });
    if (url.pathname === '/api/v1/accounts/verify_credentials') return json(200, this.me);
    if (req.method === 'POST' && url.pathname === '/api/v1/statuses') return this.postStatus(req, res, raw, json);
    const own = /^\/api\/v1\/accounts\/([^/]+)\/statuses$/.exec(url.pathname);
    if (own) {
      const limit = Number(url.searchParams.get('limit') ?? 20);
      const mine = this.hideOwnStatuses ? [] : this.statuses.filter((s) => (s.account as FakeMastoAccount).id === own[1]).reverse();
      return json(200, mine.slice(0, limit));
    }
    const page = (items: { id: string }[]) => {
      const q = url.searchParams;
      const since = q.get('since_id');
      const max = q.get('max_id');
      const limit = Number(q.get('limit') ?? 20);
      const newer = (a: string, b: string) => BigInt(a) > BigInt(b);
      return items
        .filter((i) => (!since || newer(i.id, since)) && (!max || newer(max, i.id)))
        .sort((a, b) => (newer(a.id, b.id) ? -1 : 1))
        .slice(0, limit);
    };
    if (url.pathname === '/api/v1/notifications') {
      const types = url.searchParams.getAll('types[]');
      return json(200, page(this.notifications.filter((n) => !types.length || types.includes(n.type))));
    }
    const tag = /^\/api\/v1\/timelines\/tag\/([^/]+)$/.exec(url.pathname);
    if (tag) return json(200, page((this.tagged.get(decodeURIComponent(tag[1]!)) ?? []) as { id: string }[]));
    const one = /^\/api\/v1\/statuses\/(\d+)$/.exec(url.pathname);
    if (one) {
      const s = this.statuses.find((x) => x.id === one[1]);
      return s ? json(200, s) : json(404, { error: 'Record not found' });
    }
    if (url.pathname === '/api/v2/search') {
      // resolve=true: a status on another instance, found by its address (this fake knows the ones it made).
      const q = url.searchParams.get('q') ?? '';
      const found = url.searchParams.get('resolve') === 'true' ? this.statuses.filter((x) => x.url === q || x.uri === q) : [];
      return json(200, { accounts: [], hashtags: [], statuses: found.slice(0, 1) });
    }
    json(404, { error: 'Record not found' });
  }

  private postStatus(req: IncomingMessage, res: ServerResponse, raw: string, json: (status: number, body: unknown) => void): void {
    const body = JSON.parse(raw || '{}') as Record<string, unknown>;
    const key = typeof req.headers['idempotency-key'] === 'string' ? req.headers['idempotency-key'] : undefined;
    this.posts.push({ body, idempotencyKey: key });
    if (!this.scopes.includes('write:statuses') && !this.scopes.includes('write')) return json(403, { error: 'This action is outside the authorized scopes' });
    const text = String(body.status ?? '');
    if (!text.trim()) return json(422, { error: "Validation failed: Text can't be blank" });
    if ([...text].length > 500) return json(422, { error: 'Validation failed: Text character limit of 500 exceeded' });
    if (body.in_reply_to_id && !this.statuses.some((s) => s.id === body.in_reply_to_id)) return json(404, { error: 'Record not found' });
    let status = key ? this.byKey.get(key) : undefined;
    if (!status) {
      status = this.status(this.me, `<p>${text}</p>`, { in_reply_to_id: body.in_reply_to_id ?? null });
      if (key) this.byKey.set(key, status);
    }
    if (this.loseNextAnswer) {
      this.loseNextAnswer = false;
      res.socket?.destroy();
      return;
    }
    json(200, status);
  }
}
