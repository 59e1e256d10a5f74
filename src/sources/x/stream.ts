import { ETwitterStreamEvent, type TweetStream, type TweetV2SingleStreamResult, type TwitterApi } from 'twitter-api-v2';
import type { Config } from '../../config';
import type { Post } from '../../domain/post';
import type { Logger } from '../../log';
import type { CursorStore, PostStore, WatchStore } from '../../domain/ports';
import type { Emit, Source } from '../source';
import {
  DEFAULT_BACKOFF,
  describeXError,
  retryDelayMs,
  sleep,
  TWEET_QUERY,
  TWEET_QUERY_PARAMS,
  type BackoffOptions,
  type XFailure,
} from './client';
import { PostDelivery } from './delivery';
import { normalisePage, type TweetPage } from './normalise';
import { desiredRules, gapQueries, syncStreamRules, type RulesReport } from './rules';

export interface XStreamOptions {
  client: TwitterApi;
  store: Pick<PostStore, 'hasPost'> & CursorStore & Pick<WatchStore, 'listWatch'>;
  log: Logger;
  brand: Config['brand'];
  /** No byte from X for this long (X sends a keep-alive every ~20 s) means the connection is dead: reconnect. */
  keepAliveTimeoutMs?: number;
  backoff?: BackoffOptions;
  /** Pages of 100 fetched at most per gap query (recent search). */
  gapMaxPages?: number;
  cursorKey?: string;
  /** Called with every response of X (a stream event, a page), as it is read: X bills each post and user in it. */
  onPage?: (page: TweetPage) => void;
  /** Asked before each page is fetched: false once the day's read budget is spent. */
  mayRead?: () => boolean;
}

type GapStart = { since_id: string } | { start_time: string };

export type SourceState = { state: 'idle' | 'running' | 'stopped' } | { state: 'failed'; reason: string };

/**
 * The filtered stream (X_MODE=stream, app-only bearer token). Rules come from the brand and the /watch terms. On
 * every (re)connection the live posts are held while the gap since the stored cursor is fetched with recent search,
 * then released: no gaps, no repeats. Reconnects use the library's auto-reconnect, waiting out 429s until the reset
 * X gives; an auth error stops only this source.
 */
export class XStreamSource implements Source {
  readonly name = 'x-stream';
  private stream?: TweetStream<TweetV2SingleStreamResult>;
  private delivery?: PostDelivery;
  private serial: Promise<void> = Promise.resolve();
  private rulesLock: Promise<unknown> = Promise.resolve();
  private holding = true;
  private buffer: TweetPage[] = [];
  private activeRules: string[] = [];
  private readonly abort = new AbortController();
  private finish!: () => void;
  private readonly finished = new Promise<void>((r) => (this.finish = r));
  private readonly backoff: BackoffOptions;
  private readonly ownHandles: Set<string>;
  status: SourceState = { state: 'idle' };
  /** Posts found by gap searches (for the logs and the benchmark). */
  gapFilled = 0;
  /** Whether the stream is connected now (health), and how often it had to reconnect (metrics). */
  connected = false;
  reconnects = 0;
  private firstConnectedAt?: number;

  constructor(private readonly opts: XStreamOptions) {
    this.backoff = opts.backoff ?? DEFAULT_BACKOFF;
    this.ownHandles = new Set(opts.brand.handles.map((h) => h.replace(/^@/, '').toLowerCase()));
  }

  /** Runs until stopped or until X refuses the credentials; resolves then. */
  async start(emit: Emit): Promise<void> {
    const { client, store, log } = this.opts;
    this.delivery = new PostDelivery(store, this.opts.cursorKey ?? 'x:stream', emit, log);
    this.status = { state: 'running' };

    // Rules first: without them the stream delivers nothing.
    for (let attempt = 1; !this.stopped; attempt++) {
      try {
        await this.syncRules();
        break;
      } catch (err) {
        const f = describeXError(err);
        if (f.kind === 'auth') return this.fail(f, 'syncing the stream rules');
        const wait = retryDelayMs(f, attempt, this.backoff);
        log.warn({ status: f.status, error: f.message, retryInMs: wait }, 'could not sync X stream rules; retrying');
        await sleep(wait, this.abort.signal);
      }
    }
    if (this.stopped) return this.finished;

    const stream = client.v2.searchStream({ autoConnect: false, ...TWEET_QUERY });
    this.stream = stream;
    stream.on(ETwitterStreamEvent.Connected, () => {
      this.connected = true;
      this.onConnected('connected');
    });
    stream.on(ETwitterStreamEvent.Reconnected, () => {
      this.connected = true;
      this.reconnects++;
      this.onConnected('reconnected');
    });
    stream.on(ETwitterStreamEvent.Data, (payload) => this.onData(payload as TweetPage));
    stream.on(ETwitterStreamEvent.DataError, (payload: unknown) => {
      const e = (payload as { errors?: { title?: string; detail?: string }[] }).errors?.[0];
      log.warn({ title: e?.title, detail: e?.detail }, 'X sent an error on the stream');
    });
    stream.on(ETwitterStreamEvent.ConnectionLost, () => {
      this.connected = false;
      log.warn({ keepAliveTimeoutMs: this.keepAliveMs }, 'no keep-alive from the X stream; reconnecting');
    });
    stream.on(ETwitterStreamEvent.ConnectionError, (err: Error) => {
      this.connected = false;
      if (!this.stopped) log.warn({ error: err.message }, 'X stream connection lost; reconnecting');
    });
    stream.on(ETwitterStreamEvent.Error, ({ type, error }) => {
      if (type !== ETwitterStreamEvent.ConnectError && type !== ETwitterStreamEvent.ReconnectError) return;
      const f = describeXError(error);
      if (f.kind === 'auth') {
        // The library schedules its next retry right after this event: destroy once it has.
        setImmediate(() => void this.fail(f, 'connecting to the stream'));
        return;
      }
      log.warn({ status: f.status, error: f.message }, 'could not (re)connect to the X stream; will retry');
    });
    stream.on(ETwitterStreamEvent.ReconnectLimitExceeded, () => {
      void this.fail({ kind: 'network', message: 'gave up reconnecting' }, 'reconnecting to the stream');
    });
    await stream.connect({
      autoReconnect: true,
      autoReconnectRetries: 'unlimited',
      keepAliveTimeout: this.keepAliveMs,
      nextRetryTimeout: (attempt, error) => {
        const f = describeXError(error);
        const wait = retryDelayMs(f, attempt, this.backoff);
        if (f.kind === 'rate-limit') log.warn({ retryInMs: wait }, 'X stream rate limited; waiting for the reset');
        return wait;
      },
    });
    return this.finished;
  }

  async stop(): Promise<void> {
    if (this.status.state === 'running' || this.status.state === 'idle') this.status = { state: 'stopped' };
    this.abort.abort();
    this.stream?.destroy();
    await this.serial;
    this.finish();
  }

  /**
   * Makes the app's stream rules match the brand and the current /watch terms (the Discord bot calls this after a
   * /watch change). Calls are serialised. Throws when X cannot be reached; a rejected rule is in the report.
   */
  syncRules(): Promise<RulesReport> {
    const run = async () => {
      const terms = (await this.opts.store.listWatch()).map((w) => w.term);
      const report = await syncStreamRules(this.opts.client, desiredRules(this.opts.brand, terms), this.opts.log);
      this.activeRules = report.active;
      return report;
    };
    const next = this.rulesLock.then(run, run);
    this.rulesLock = next.catch(() => undefined);
    return next;
  }

  /** Resolves when every post received so far has been handed over. */
  async idle(): Promise<void> {
    let last: Promise<void> | undefined;
    while (last !== this.serial) {
      last = this.serial;
      await last;
    }
  }

  get emitted(): number {
    return this.delivery?.emitted ?? 0;
  }

  private get stopped(): boolean {
    return this.abort.signal.aborted || this.status.state === 'failed';
  }

  private get keepAliveMs(): number {
    return this.opts.keepAliveTimeoutMs ?? 60_000;
  }

  private enqueue(task: () => Promise<void>): void {
    this.serial = this.serial.then(task).catch((err) => {
      this.opts.log.error({ error: err instanceof Error ? err.message : String(err) }, 'X stream handling failed');
    });
  }

  private onConnected(how: 'connected' | 'reconnected'): void {
    this.opts.log.info({ how }, `X stream ${how}; fetching the gap before resuming`);
    this.holding = true;
    this.enqueue(async () => {
      await this.fillGap();
      // Release what arrived meanwhile, in arrival order; a reconnect during the fill holds again.
      if (this.stopped) return;
      this.holding = false;
      const held = this.buffer;
      this.buffer = [];
      for (const page of held) await this.handle(page);
    });
  }

  private onData(page: TweetPage): void {
    this.opts.onPage?.(page);
    if (this.stopped) return;
    if (this.holding) this.buffer.push(page);
    else this.enqueue(() => this.handle(page));
  }

  private async handle(page: TweetPage): Promise<void> {
    const { posts, rejected } = normalisePage(page);
    for (const r of rejected) this.opts.log.warn({ post: r.id, error: r.error }, 'X post could not be read; skipped');
    for (const post of posts) {
      if (this.stopped) return;
      if (this.ownHandles.has(post.author.handle.toLowerCase())) continue;
      await this.delivery!.deliver(post);
    }
  }

  /** Recent search since the cursor, oldest first, for every active rule. Waits out rate limits. */
  private async fillGap(): Promise<void> {
    if (this.stopped) return;
    const cursor = await this.delivery!.cursor();
    // No post seen yet: after a drop, the gap starts when this source first connected.
    const since: GapStart | null = cursor
      ? { since_id: cursor }
      : this.firstConnectedAt
        ? { start_time: new Date(this.firstConnectedAt - 5_000).toISOString().replace(/\.\d{3}Z$/, 'Z') }
        : null;
    this.firstConnectedAt ??= Date.now();
    if (!since) return;
    const found = new Map<string, Post>();
    for (const query of gapQueries(this.activeRules)) {
      let nextToken: string | undefined;
      let pages = 0;
      do {
        const page = await this.searchPage(query, since, nextToken);
        if (!page) return; // stopped or failed
        for (const p of normalisePage(page.body).posts) found.set(p.id, p);
        nextToken = page.body.meta?.next_token;
        pages++;
      } while (nextToken && pages < (this.opts.gapMaxPages ?? 50) && !this.stopped && (this.opts.mayRead?.() ?? true));
      if (nextToken) this.opts.log.warn({ since, pages }, 'the gap is larger than the pages fetched; older posts of it are skipped');
    }
    const posts = [...found.values()].sort((a, b) => (a.id.length - b.id.length) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    let n = 0;
    for (const post of posts) {
      if (this.stopped) return;
      if (this.ownHandles.has(post.author.handle.toLowerCase())) continue;
      if (await this.delivery!.deliver(post)) n++;
    }
    this.gapFilled += n;
    this.opts.log.info({ since, found: posts.length, new: n }, 'X gap fetched');
  }

  private async searchPage(
    query: string,
    since: GapStart,
    nextToken?: string,
  ): Promise<{ body: TweetPage & { meta?: { next_token?: string } } } | null> {
    for (let attempt = 1; !this.stopped; attempt++) {
      try {
        const res = await this.opts.client.v2.get<TweetPage & { meta?: { next_token?: string } }>(
          'tweets/search/recent',
          { query, ...since, max_results: 100, ...TWEET_QUERY_PARAMS, ...(nextToken ? { next_token: nextToken } : {}) },
          { fullResponse: true },
        );
        this.opts.onPage?.(res.data);
        return { body: res.data };
      } catch (err) {
        const f = describeXError(err);
        if (f.kind === 'auth') {
          await this.fail(f, 'fetching the gap (recent search)');
          return null;
        }
        if (f.kind === 'client') {
          // e.g. a since_id older than recent search reaches (7 days): the gap cannot be fetched.
          this.opts.log.error({ since, status: f.status, error: f.message }, 'X refused the gap search; posts in the gap are missed');
          return { body: {} };
        }
        const wait = retryDelayMs(f, attempt, this.backoff);
        this.opts.log.warn({ status: f.status, error: f.message, retryInMs: wait }, 'X gap search failed; retrying');
        await sleep(wait, this.abort.signal);
      }
    }
    return null;
  }

  private async fail(f: XFailure, doing: string): Promise<void> {
    if (this.status.state === 'failed') return;
    const hint =
      f.status === 401
        ? 'check X_BEARER_TOKEN (revoked or mistyped)'
        : f.status === 403
          ? 'the app or its access tier may not allow the filtered stream (it needs Pro); X_MODE=poll works on Basic'
          : 'see the error';
    const reason = `X source stopped while ${doing}: ${f.message}; ${hint}. The rest of Kairos keeps running.`;
    this.status = { state: 'failed', reason };
    this.opts.log.error({ status: f.status }, reason);
    this.abort.abort();
    this.stream?.destroy();
    this.finish();
  }
}
