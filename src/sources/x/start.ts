import { maskUrl, type Config } from '../../config';
import type { Post } from '../../domain/post';
import type { Logger } from '../../log';
import type { Store } from '../../domain/ports';
import { LeasedSource, type LeaseOptions } from '../leased';
import type { Source } from '../source';
import { createXClient, describeXError, type BackoffOptions } from './client';
import { XMentionsSource } from './poll';
import { XReplySender, type ReplySender } from './replies';
import type { RulesReport } from './rules';
import { XStreamSource } from './stream';
import { BudgetedSource } from './budget';
import { XReadMeter } from './reads';

export interface StartXDeps {
  config: Config;
  store: Store;
  log: Logger;
  /** Where posts go: Pipeline.ingest (which dedupes by the store) or anything with its shape. */
  emit: (post: Post) => Promise<unknown>;
  /** Several workers on one store: hold the X connection under this lease (see LeasedSource). */
  lease?: Omit<LeaseOptions, 'name' | 'log'>;
  /** Tells the team the day's X read budget is spent (once a day: `day` keys the notice). */
  notify?: (day: string, text: string) => void;
  /** Test and benchmark knobs; production uses the defaults. */
  timing?: { backoff?: BackoffOptions; keepAliveTimeoutMs?: number; pollIntervalMs?: number };
  now?: () => Date;
}

export interface XHandle {
  /** The running source (null when X_MODE=off). */
  source: (Source & { status: XStreamSource['status'] }) | null;
  /** Re-syncs the stream rules with the /watch terms; null unless streaming. */
  syncRules: (() => Promise<RulesReport>) | null;
  /** For the Discord bot's onWatchChanged: re-syncs in the background, logging the outcome; never throws. */
  onWatchChanged: () => void;
  /** What the source read today, as X bills it; null when X_MODE=off. */
  meter: XReadMeter | null;
  /** While the day's read budget (X_MAX_READS_PER_DAY) is spent: when reading starts again. */
  pausedUntil(): Date | null;
  /** Present when X_POST_REPLIES=true with user-context credentials. */
  replySender?: ReplySender;
  /** Settles when the source ends (stopped, or stopped itself on an auth error). */
  done: Promise<void>;
  stop(): Promise<void>;
}

/**
 * Builds and starts the X source for the configured mode, and the reply sender when posting is enabled. Returns at
 * once; the source runs in the background and never throws into the caller: an auth error stops it with a clear
 * log line and the rest of Kairos keeps running.
 */
export function startX({ config, store, log, emit, timing, lease, notify, now }: StartXDeps): XHandle {
  const x = config.x;
  const xlog = log.child({ source: 'x' });
  const replySender = x.replies
    ? new XReplySender({ client: createXClient(x.replies, x.apiUrl), store, log: xlog })
    : undefined;

  let make: (() => BudgetedSource<XStreamSource | XMentionsSource>) | null = null;
  // Every post and user X returns is billed: counted as read, and with X_MAX_READS_PER_DAY the source pauses once
  // the day's reads reach it (BudgetedSource).
  const meter = x.mode !== 'off' ? new XReadMeter(store, xlog, x.maxReadsPerDay, now) : null;
  if (x.mode !== 'off' && meter) {
    if (!x.bearerToken) throw new Error(`X_BEARER_TOKEN is required when X_MODE is ${x.mode}`);
    const client = createXClient({ bearerToken: x.bearerToken }, x.apiUrl);
    const reads = { onPage: (page: Parameters<XReadMeter['count']>[0]) => meter.count(page), mayRead: () => !meter.spent };
    const source = () =>
      x.mode === 'stream'
        ? new XStreamSource({ client, store, log: xlog, brand: config.brand, backoff: timing?.backoff, keepAliveTimeoutMs: timing?.keepAliveTimeoutMs, ...reads })
        : new XMentionsSource({
            client,
            store,
            log: xlog,
            brand: config.brand,
            brandUserId: x.brandUserId,
            intervalMs: timing?.pollIntervalMs ?? x.pollIntervalSeconds * 1000,
            backoff: timing?.backoff,
            ...reads,
          });
    make = () => new BudgetedSource(source, meter, { log: xlog, notify: notify ?? (() => undefined), stopWhenSpent: x.mode === 'stream', now });
  }
  // With several workers on one store, one of them holds the connection to X (a lease) and another takes over
  // when it dies; alone, the source just runs.
  const leased = make && lease ? new LeasedSource(make, { ...lease, name: `source:x:${x.mode}`, log: xlog }) : null;
  const direct = make && !leased ? make() : null;
  const runner: Source | null = leased ?? direct;
  const budgeted = () => (leased ? (leased.active as BudgetedSource<XStreamSource | XMentionsSource> | null) : direct);
  const current = () => budgeted()?.active ?? null;

  const done = runner
    ? runner
        .start(async (post) => {
          await emit(post);
        })
        .catch((err: unknown) => {
          xlog.error({ error: err instanceof Error ? err.message : String(err) }, 'X source ended with an error');
        })
    : Promise.resolve();
  if (runner) xlog.info({ mode: x.mode, replies: Boolean(replySender), leased: Boolean(leased), apiUrl: maskUrl(x.apiUrl ?? 'https://api.x.com') }, 'X source started');

  const stream = () => {
    const s = current();
    return s instanceof XStreamSource ? s : null;
  };
  return {
    get source() {
      return current();
    },
    syncRules:
      x.mode === 'stream'
        ? () => stream()?.syncRules() ?? Promise.reject(new Error('another worker holds the X stream; it syncs the rules'))
        : null,
    onWatchChanged: () => {
      const s = stream();
      if (!s || s.status.state !== 'running') return;
      s.syncRules().catch((err: unknown) => {
        xlog.error({ error: describeXError(err).message }, 'could not sync the X stream rules after a /watch change');
      });
    },
    meter,
    pausedUntil: () => budgeted()?.pausedUntil ?? null,
    replySender,
    done,
    async stop() {
      await runner?.stop();
      await done;
    },
  };
}
