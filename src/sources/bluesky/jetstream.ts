import WebSocket from 'ws';
import type { Config } from '../../config';
import type { CursorStore, PostStore, WatchStore } from '../../domain/ports';
import type { Logger } from '../../log';
import type { Emit, Source } from '../source';
import { PostDelivery } from '../x/delivery';
import { DEFAULT_BACKOFF, sleep, type BackoffOptions } from '../x/client';
import { AppViewError, type AppView } from './appview';
import { brandFilter, rawTimeUs, type BrandFilter, type BrandPost } from './filter';
import { normaliseBlueskyPost } from './normalise';
import type { SourceState } from '../x/stream';

export const DEFAULT_JETSTREAM_URL = 'wss://jetstream2.us-east.bsky.network/subscribe';

export interface JetstreamOptions {
  /** The subscribe endpoint (BLUESKY_JETSTREAM_URL); wantedCollections and cursor are added to it. */
  url: string;
  appView: AppView;
  /** The brand's handle (BLUESKY_HANDLE), resolved once to its DID. */
  handle: string;
  brand: Config['brand'];
  store: Pick<PostStore, 'hasPost'> & CursorStore & Partial<Pick<WatchStore, 'listWatch'>>;
  log: Logger;
  backoff?: BackoffOptions;
  /** How far before the stored cursor a resume starts, so nothing at the edge is missed (ids seen are skipped). */
  rewindMs?: number;
  /** How far back the Jetstream instance can replay; a longer outage is logged with the size of the gap. */
  replayWindowMs?: number;
  /** How often the cursor of the events read (kept or dropped) is written. */
  cursorFlushMs?: number;
  /** A ping this often; no pong (nor any message) by the next one means the socket is dead. */
  pingMs?: number;
  /** Posts waiting for the pipeline above which the socket is paused (back-pressure). */
  maxPending?: number;
  cursorKey?: string;
  now?: () => number;
}

/** What the intake did, for /stats, logs and the benchmark. */
export interface JetstreamCounts {
  received: number;
  kept: number;
  dropped: number;
  unreadable: number;
  connections: number;
}

/**
 * Bluesky through Jetstream (BLUESKY_MODE=jetstream): every new post on the network, as JSON over a WebSocket.
 * Only posts about the brand reach the pipeline (see filter.ts); they are normalised with their author's profile
 * and handed over one at a time, in order. The cursor (Jetstream's event time in microseconds) is written every
 * second; a reconnect or a restart resumes from it, rewound a few seconds, with posts already seen skipped.
 */
export class JetstreamSource implements Source {
  readonly name = 'bluesky';
  status: SourceState = { state: 'idle' };
  /** Whether the socket is open now (health), and how often it had to reconnect (metrics). */
  connected = false;
  reconnects = 0;
  readonly counts: JetstreamCounts = { received: 0, kept: 0, dropped: 0, unreadable: 0, connections: 0 };
  private filter?: BrandFilter;
  private did?: string;
  private delivery?: PostDelivery;
  private socket?: WebSocket;
  private serial: Promise<void> = Promise.resolve();
  private pending = 0;
  private lastRaw?: string;
  private safeUs = 0;
  private writtenUs = 0;
  private readonly abort = new AbortController();

  constructor(private readonly opts: JetstreamOptions) {}

  get key(): string {
    return this.opts.cursorKey ?? 'bluesky:jetstream';
  }

  get emitted(): number {
    return this.delivery?.emitted ?? 0;
  }

  private get stopped(): boolean {
    return this.abort.signal.aborted || this.status.state === 'failed';
  }

  private now(): number {
    return this.opts.now?.() ?? Date.now();
  }

  /**
   * The filter over the brand's terms and the /watch terms, read again now (after a /watch change): the next event
   * is matched against the new terms, on the open socket. A store that cannot be read keeps the terms in use.
   */
  async refreshTerms(): Promise<void> {
    if (!this.did) return;
    let watched: string[] = [];
    try {
      watched = ((await this.opts.store.listWatch?.()) ?? []).map((w) => w.term);
    } catch (err) {
      this.opts.log.warn({ err }, 'could not read the /watch terms; the Bluesky filter keeps its terms');
      if (this.filter) return;
    }
    this.filter = brandFilter(this.did, [...new Set([...this.opts.brand.terms, ...watched])]);
  }

  /** Runs until stopped, or until the brand's handle cannot be resolved; resolves then. */
  async start(emit: Emit): Promise<void> {
    const { log, store } = this.opts;
    const backoff = this.opts.backoff ?? DEFAULT_BACKOFF;
    this.delivery = new PostDelivery(store, this.key, emit, log, 20_000, false);
    this.status = { state: 'running' };

    const did = await this.resolveBrand(backoff);
    if (!did) return;
    this.did = did;
    await this.refreshTerms();
    log.info({ handle: this.opts.handle, did }, 'Bluesky: reading Jetstream for posts about the brand');

    const flush = setInterval(() => void this.flushCursor(), this.opts.cursorFlushMs ?? 1_000);
    try {
      for (let attempt = 1; !this.stopped; ) {
        const stored = await store.getCursor(this.key);
        const cursorUs = stored && /^\d+$/.test(stored) ? Number(stored) : null;
        if (cursorUs) this.writtenUs = Math.max(this.writtenUs, cursorUs);
        const from = cursorUs ? cursorUs - (this.opts.rewindMs ?? 5_000) * 1000 : null;
        if (cursorUs) this.reportGap(cursorUs);
        const { messages } = await this.connect(from);
        if (this.stopped) break;
        await this.idle();
        await this.flushCursor();
        attempt = messages > 0 ? 1 : attempt + 1;
        const wait = Math.min(backoff.maxMs, backoff.baseMs * 2 ** Math.min(attempt - 1, 20));
        log.warn({ retryInMs: wait, messages }, 'Jetstream connection closed; reconnecting');
        await sleep(wait, this.abort.signal);
      }
    } finally {
      clearInterval(flush);
      await this.idle();
      await this.flushCursor();
    }
  }

  async stop(): Promise<void> {
    if (this.status.state === 'running' || this.status.state === 'idle') this.status = { state: 'stopped' };
    this.abort.abort();
    this.socket?.close();
    await this.idle();
  }

  /** Null while reading; otherwise why not (health, /stats). */
  health(): string | null {
    if (this.status.state === 'failed') return `stopped: ${this.status.reason}`;
    if (this.status.state !== 'running') return this.status.state;
    return this.connected ? null : 'not connected to Jetstream';
  }

  /** Resolves when every post received so far has been handed over. */
  async idle(): Promise<void> {
    let last: Promise<void> | undefined;
    while (last !== this.serial) {
      last = this.serial;
      await last;
    }
  }

  /** The cursor as it would be written now: every event up to it has been handled. */
  private handledUs(): number {
    if (this.pending === 0 && this.lastRaw !== undefined) return Math.max(this.safeUs, rawTimeUs(this.lastRaw) ?? 0);
    return this.safeUs;
  }

  private async flushCursor(): Promise<void> {
    const us = this.handledUs();
    if (us <= this.writtenUs) return;
    this.writtenUs = us;
    try {
      await this.opts.store.setCursor(this.key, String(us));
    } catch (err) {
      this.opts.log.warn({ err: (err as Error).message }, 'could not store the Jetstream cursor; will try again');
      this.writtenUs = 0;
    }
  }

  private reportGap(cursorUs: number): void {
    const gapMs = this.now() - cursorUs / 1000;
    const windowMs = this.opts.replayWindowMs ?? 24 * 3_600_000;
    if (gapMs <= windowMs) return;
    const hours = (ms: number) => Math.round((ms / 3_600_000) * 10) / 10;
    this.opts.log.error(
      { gapHours: hours(gapMs), replayWindowHours: hours(windowMs), missedHours: hours(gapMs - windowMs), since: new Date(cursorUs / 1000).toISOString() },
      `Bluesky: Kairos was away ${hours(gapMs)} h, longer than Jetstream replays (${hours(windowMs)} h): posts of the first ${hours(gapMs - windowMs)} h of the gap are missed`,
    );
  }

  private async resolveBrand(backoff: BackoffOptions): Promise<string | null> {
    for (let attempt = 1; !this.stopped; attempt++) {
      try {
        return await this.opts.appView.resolveHandle(this.opts.handle);
      } catch (err) {
        const status = err instanceof AppViewError ? err.status : undefined;
        if (status !== undefined && status >= 400 && status < 500 && status !== 429) {
          const reason = `Bluesky source stopped: BLUESKY_HANDLE ${this.opts.handle} could not be resolved (${(err as Error).message}); check the handle. The rest of Kairos keeps running.`;
          this.status = { state: 'failed', reason };
          this.opts.log.error(reason);
          return null;
        }
        const wait = Math.min(backoff.maxMs, backoff.baseMs * 2 ** Math.min(attempt - 1, 20));
        this.opts.log.warn({ error: (err as Error).message, retryInMs: wait }, 'Bluesky: could not resolve the brand handle; retrying');
        await sleep(wait, this.abort.signal);
      }
    }
    return null;
  }

  private subscribeUrl(fromUs: number | null): string {
    const url = new URL(this.opts.url);
    if (!url.searchParams.getAll('wantedCollections').includes('app.bsky.feed.post')) url.searchParams.append('wantedCollections', 'app.bsky.feed.post');
    if (fromUs !== null) url.searchParams.set('cursor', String(Math.max(0, Math.floor(fromUs))));
    return url.href;
  }

  /** One connection: resolves when the socket is closed (by either side), with how many messages it carried. */
  private connect(fromUs: number | null): Promise<{ messages: number }> {
    return new Promise((resolve) => {
      let messages = 0;
      let alive = true;
      const ws = new WebSocket(this.subscribeUrl(fromUs), { handshakeTimeout: 15_000 });
      this.socket = ws;
      const ping = setInterval(() => {
        if (!alive) {
          this.opts.log.warn('Jetstream stopped answering; reconnecting');
          ws.terminate();
          return;
        }
        alive = false;
        if (ws.readyState === WebSocket.OPEN) ws.ping();
      }, this.opts.pingMs ?? 30_000);
      ws.on('open', () => {
        this.connected = true;
        if (this.counts.connections++ > 0) this.reconnects++;
        this.opts.log.info({ resumeFrom: fromUs ? new Date(fromUs / 1000).toISOString() : 'now' }, 'Jetstream connected');
      });
      ws.on('pong', () => (alive = true));
      ws.on('message', (data, isBinary) => {
        alive = true;
        messages++;
        if (isBinary) {
          // Binary frames are zstd-compressed (compress=true), which Kairos does not ask for.
          this.counts.unreadable++;
          return;
        }
        this.onMessage(data.toString());
      });
      ws.on('unexpected-response', (_req, res) => {
        this.opts.log.warn({ status: res.statusCode }, 'Jetstream refused the connection');
        ws.terminate();
      });
      ws.on('error', (err) => {
        if (!this.stopped) this.opts.log.warn({ error: err.message }, 'Jetstream connection error');
      });
      ws.on('close', () => {
        this.connected = false;
        clearInterval(ping);
        resolve({ messages });
      });
      if (this.abort.signal.aborted) ws.terminate();
    });
  }

  /** Every event of the network passes here: the filter drops nearly all of them before any parsing. */
  onMessage(raw: string): void {
    this.counts.received++;
    this.lastRaw = raw;
    const c = this.filter!.classify(raw);
    if (c.type === 'identity') {
      this.opts.appView.handleChanged(c.did, c.handle);
      return;
    }
    if (c.type === 'drop') {
      if (c.why === 'not-json') this.counts.unreadable++;
      else this.counts.dropped++;
      return;
    }
    this.counts.kept++;
    this.pending++;
    if (this.pending > (this.opts.maxPending ?? 500)) this.socket?.pause();
    const post = c.post;
    this.serial = this.serial
      .then(() => this.deliver(post))
      .catch((err: unknown) => this.opts.log.error({ err: (err as Error).message }, 'Bluesky post handling failed'))
      .finally(() => {
        this.pending--;
        this.safeUs = Math.max(this.safeUs, post.timeUs);
        if (this.pending < (this.opts.maxPending ?? 500) / 2) this.socket?.resume();
      });
  }

  private async deliver(p: BrandPost): Promise<void> {
    const profile = await this.opts.appView.profile(p.did).catch((err: unknown) => {
      this.opts.log.warn({ did: p.did, error: (err as Error).message }, 'Bluesky: author profile not available; the post goes on without reach');
      return null;
    });
    const n = normaliseBlueskyPost(p, profile);
    if (!n.ok) {
      this.opts.log.debug({ did: p.did, rkey: p.rkey, error: n.error }, 'Bluesky post could not be read; skipped');
      return;
    }
    await this.delivery!.deliver(n.post);
  }
}
