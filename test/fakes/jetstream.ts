import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';

/**
 * A fake Jetstream and Bluesky AppView on one 127.0.0.1 port, for the real source code: `/subscribe` is the
 * WebSocket (events as JSON text frames with increasing time_us; `cursor` replays the log from that time, as
 * Jetstream does; events older than `retainUs` are gone), and `/xrpc/...` answers resolveHandle and getProfile
 * (and records each call). Sockets can be dropped; the server can refuse connections for a while.
 */

export interface FakeAccount {
  did: string;
  handle: string;
  displayName?: string;
  followersCount?: number;
}

export interface PostOptions {
  text?: string;
  mentions?: string[];
  replyTo?: string;
  quote?: string;
  langs?: string[];
  createdAt?: string;
}

let rk = 0;
export function rkey(): string {
  return `3l${(Date.now() * 1000 + rk++).toString(36)}`.slice(0, 13);
}

export class FakeJetstream {
  private server?: Server;
  private wss?: WebSocketServer;
  readonly log: { time_us: number; raw: string }[] = [];
  readonly accounts = new Map<string, FakeAccount>();
  readonly connections: URLSearchParams[] = [];
  readonly apiCalls: { method: string; params: URLSearchParams }[] = [];
  /** The brand's app password (createSession) and the records written to its repo, by rkey. */
  appPassword = 'abcd-efgh-ijkl-mnop';
  readonly records = new Map<string, Record<string, unknown>>();
  /** Write the next createRecord, then drop the connection without answering (a crash or a lost answer). */
  loseNextAnswer = false;
  private readonly sockets = new Set<WebSocket>();
  private lastUs = Date.now() * 1000;
  /** Events older than this (µs before the newest) cannot be replayed. */
  retainUs = Number.MAX_SAFE_INTEGER;
  /** Refuse WebSocket upgrades (HTTP 503) while true. */
  refusing = false;
  /** Drop every socket after this many live events (once), to play a lost connection mid-stream. */
  dropAfter?: number;
  private sentLive = 0;
  url = '';
  apiUrl = '';

  async start(): Promise<this> {
    this.server = createServer((req, res) => this.http(req, res));
    this.wss = new WebSocketServer({ noServer: true });
    this.server.on('upgrade', (req, socket, head) => {
      if (this.refusing || !req.url?.startsWith('/subscribe')) {
        socket.end('HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\n\r\n');
        return;
      }
      this.wss!.handleUpgrade(req, socket, head, (ws) => this.onSocket(ws, new URL(req.url!, 'http://x').searchParams));
    });
    await new Promise<void>((r) => this.server!.listen(0, '127.0.0.1', r));
    const port = (this.server.address() as AddressInfo).port;
    this.url = `ws://127.0.0.1:${port}/subscribe`;
    this.apiUrl = `http://127.0.0.1:${port}`;
    return this;
  }

  get open(): number {
    return this.sockets.size;
  }

  addAccount(a: FakeAccount): FakeAccount {
    this.accounts.set(a.did, a);
    return a;
  }

  /** Appends an event to the log and sends it to every open socket. Returns its time_us. */
  emit(event: Record<string, unknown>): number {
    this.lastUs += 1000 + Math.floor(Math.random() * 1000);
    const raw = JSON.stringify({ ...event, time_us: this.lastUs });
    this.log.push({ time_us: this.lastUs, raw });
    for (const ws of this.sockets) ws.send(raw);
    this.sentLive++;
    if (this.dropAfter !== undefined && this.sentLive >= this.dropAfter) {
      this.dropAfter = undefined;
      this.drop();
    }
    return this.lastUs;
  }

  /** A new post by `author`; returns its at:// uri. */
  post(author: FakeAccount, o: PostOptions = {}): string {
    const key = rkey();
    const text = o.text ?? 'hello';
    const facets = (o.mentions ?? []).map((did) => ({
      index: { byteStart: 0, byteEnd: 5 },
      features: [{ $type: 'app.bsky.richtext.facet#mention', did }],
    }));
    const record: Record<string, unknown> = {
      $type: 'app.bsky.feed.post',
      text,
      createdAt: o.createdAt ?? new Date().toISOString(),
      langs: o.langs ?? ['en'],
      ...(facets.length ? { facets } : {}),
      ...(o.replyTo ? { reply: { root: { uri: o.replyTo, cid: 'bafy' }, parent: { uri: o.replyTo, cid: 'bafy' } } } : {}),
      ...(o.quote ? { embed: { $type: 'app.bsky.embed.record', record: { uri: o.quote, cid: 'bafy' } } } : {}),
    };
    this.emit({ did: author.did, kind: 'commit', commit: { rev: key, operation: 'create', collection: 'app.bsky.feed.post', rkey: key, record, cid: 'bafyrei' + key } });
    return `at://${author.did}/app.bsky.feed.post/${key}`;
  }

  deletePost(uri: string): void {
    const [, , did, , key] = uri.split('/');
    this.emit({ did, kind: 'commit', commit: { rev: 'r', operation: 'delete', collection: 'app.bsky.feed.post', rkey: key } });
  }

  identity(did: string, handle: string): void {
    this.emit({ did, kind: 'identity', identity: { did, handle, seq: 1, time: new Date().toISOString() } });
    const a = this.accounts.get(did);
    if (a) a.handle = handle;
  }

  like(author: FakeAccount, subject: string): void {
    this.emit({ did: author.did, kind: 'commit', commit: { rev: 'r', operation: 'create', collection: 'app.bsky.feed.like', rkey: rkey(), record: { subject: { uri: subject } } } });
  }

  drop(): void {
    for (const ws of this.sockets) ws.terminate();
  }

  async close(): Promise<void> {
    this.drop();
    this.wss?.close();
    await new Promise<void>((r) => this.server?.close(() => r()) ?? r());
  }

  private onSocket(ws: WebSocket, params: URLSearchParams): void {
    this.connections.push(params);
    this.sockets.add(ws);
    ws.on('close', () => this.sockets.delete(ws));
    const cursor = params.get('cursor');
    if (cursor !== null) {
      const from = Number(cursor);
      const oldest = this.lastUs - this.retainUs;
      for (const e of this.log) if (e.time_us >= from && e.time_us >= oldest) ws.send(e.raw);
    }
  }

  private http(req: IncomingMessage, res: ServerResponse): void {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => this.route(req, res, body ? JSON.parse(body) : undefined));
  }

  private route(req: IncomingMessage, res: ServerResponse, body: any): void {
    const url = new URL(req.url ?? '/', 'http://x');
    const method = url.pathname.replace(/^\/xrpc\//, '');
    this.apiCalls.push({ method, params: url.searchParams });
    const json = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    if (method === 'com.atproto.identity.resolveHandle') {
      const a = [...this.accounts.values()].find((x) => x.handle === url.searchParams.get('handle'));
      return a ? json(200, { did: a.did }) : json(400, { error: 'InvalidRequest', message: 'Unable to resolve handle' });
    }
    if (method === 'app.bsky.actor.getProfile') {
      const a = this.accounts.get(url.searchParams.get('actor') ?? '');
      return a ? json(200, { ...a }) : json(400, { error: 'InvalidRequest', message: 'Profile not found' });
    }
    if (method === 'app.bsky.feed.getPosts') {
      const uri = url.searchParams.get('uris') ?? '';
      const entry = this.log.map((e) => JSON.parse(e.raw)).find((e) => e.commit && `at://${e.did}/app.bsky.feed.post/${e.commit.rkey}` === uri);
      const author = entry ? this.accounts.get(entry.did) : undefined;
      const view = entry && {
        uri,
        cid: entry.commit.cid,
        author: { did: entry.did, handle: author?.handle ?? 'handle.invalid', ...(author?.displayName ? { displayName: author.displayName } : {}) },
        record: entry.commit.record,
        indexedAt: new Date(entry.time_us / 1000).toISOString(),
        likeCount: 2,
        repostCount: 1,
        replyCount: 0,
        quoteCount: 0,
      };
      return json(200, { posts: view ? [view] : [] });
    }
    const brand = [...this.accounts.values()][0]!;
    if (method === 'com.atproto.server.createSession') {
      if (body?.identifier !== brand.handle || body?.password !== this.appPassword) return json(401, { error: 'AuthenticationRequired', message: 'Invalid identifier or password' });
      return json(200, { accessJwt: 'jwt-access', refreshJwt: 'jwt-refresh', did: brand.did, handle: brand.handle });
    }
    if (req.headers.authorization !== 'Bearer jwt-access') return json(401, { error: 'AuthenticationRequired' });
    if (method === 'com.atproto.repo.getRecord') {
      const r = this.records.get(url.searchParams.get('rkey') ?? '');
      return r ? json(200, { uri: `at://${brand.did}/app.bsky.feed.post/${url.searchParams.get('rkey')}`, value: r }) : json(400, { error: 'RecordNotFound' });
    }
    if (method === 'com.atproto.repo.createRecord') {
      if (this.records.has(body.rkey)) return json(400, { error: 'InvalidSwap', message: 'Record already exists' });
      this.records.set(body.rkey, body.record);
      if (this.loseNextAnswer) {
        this.loseNextAnswer = false;
        return void req.socket.destroy();
      }
      return json(200, { uri: `at://${brand.did}/app.bsky.feed.post/${body.rkey}`, cid: 'bafyreply' });
    }
    json(404, { error: 'MethodNotImplemented' });
  }
}
