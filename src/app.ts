import { randomUUID } from 'node:crypto';
import type { Analyst } from './analyse/analyst';
import { loadBrandPack, type BrandPack } from './analyse/brand-pack';
import type { StoryPost } from './domain/analysis';
import type { Gesture } from './analyse/catalogue';
import { offlineAnalystFor, type OfflineAnalyst } from './analyse/offline';
import type { GestureUsage } from './analyse/policy';
import type { Config } from './config';
import { staticContext, type TriageContext } from './detect/context';
import { loadCalendar } from './detect/events';
import { detectionReading } from './detect/reading';
import { createTrends, type Trends } from './detect/trends-service';
import { BrandTriage } from './learning';
import type { Teaching } from './domain/label';
import type { StoredMoment } from './domain/moment';
import type { Clock } from './domain/opportunity';
import type { Store } from './domain/ports';
import type { Post } from './domain/post';
import { KINDS, type Kind, type Triage } from './domain/verdict';
import { Batcher } from './batches';
import type { AheadBatch, TriageAhead } from './triage-ahead';
import { createLogger, type Logger } from './log';
import { Courier, type CardSink } from './outbox/courier';
import { Pipeline, type IngestResult } from './pipeline';
import { isDatabaseLost } from './service/boundary';
import type { Metrics } from './service/metrics';
import type { Source } from './sources/source';
import { grouped } from './domain/numbers';

/** Everything a running Kairos is made of, built once by the composition root around the store it opened. */
export interface Kairos {
  config: Config;
  log: Logger;
  store: Store;
  /** This process's name in the store's claims and leases. */
  worker: string;
  /** The brand pack: voice, catalogue, templates, settings. */
  pack: BrandPack;
  catalogue: Gesture[];
  trends: Trends;
  triage: (post: Post) => Triage;
  /** What triage reads beyond the post: the brand, the watch and the rising terms. */
  triageContext: TriageContext;
  offline: OfflineAnalyst;
  analyst: Analyst;
  pipeline: Pipeline;
  couriers: Courier[];
  /** The process's metrics, when /metrics is served. */
  metrics?: Metrics;
  /** Adds a courier started later (Discord's, after login): it is kicked for every new card too. */
  deliverVia(courier: Courier): void;
  /** Re-reads the watch terms after /watch changed them. */
  refreshWatch(): Promise<void>;
  /** How the team teaches triage (/label, /stats, the digest). */
  teaching: Teaching;
  /** The model triage runs on, swapped in place after a learn. */
  brandTriage: BrandTriage;
  /** Lets each courier finish the delivery in flight, then closes the store (its WAL checkpointed). */
  close(): Promise<void>;
}

export { offlineAnalystFor };

export interface BuildOptions {
  log?: Logger;
  clock?: Clock;
  worker?: string;
  /** Where cards go; each gets a courier draining its outbox. */
  sinks: CardSink[];
  /** Sinks whose couriers run elsewhere (Discord's starts after login): cards are queued for them too. */
  queueFor?: string[];
  /** The couriers' claims and polling (several workers on one store). */
  courier?: { leaseMs?: number; pollMs?: number };
  /**
   * Called with each rising moment once it is stored (post its card). isNew is false for a moment an earlier run
   * already found (a resumed replay finds it again): its card may already be out.
   */
  onMoment?: (moment: StoredMoment, isNew: boolean) => void;
  /** Tells the team something it must know (the model budget ran out): its channel, or the terminal. */
  notify?: (text: string) => void;
  /** A brand pack already loaded (tests); by default the one config.brand.dir names. */
  pack?: BrandPack;
  /** Called when a post joined an existing card's story (its thread line goes out). */
  onJoin?: (opportunityId: number, entry: StoryPost) => void;
  /** The analyst, when not the configured one (tests: a model double). */
  analyst?: (offline: OfflineAnalyst, catalogue: Gesture[]) => Analyst;
  /** Counted into when given (KAIROS_HTTP_PORT serves them at /metrics). */
  metrics?: Metrics;
}

/**
 * Builds the core around an open store, in dependency order and with nothing reaching forward: trends first
 * (triage reads what is rising), then triage, the analysts, the couriers and the pipeline.
 */
export async function buildKairos(config: Config, store: Store, opts: BuildOptions): Promise<Kairos> {
  const log = opts.log ?? createLogger(config.logLevel, undefined, config.logFormat);
  const clock = opts.clock ?? (() => new Date());
  const worker = opts.worker ?? randomUUID();
  const pack = opts.pack ?? loadBrandPack(config.brand.dir);
  const catalogue = pack.catalogue;
  // One calendar for the trends (the day's watch terms) and the drafts (an event's own spelling).
  const calendar = loadCalendar(config.eventsFile);
  const trends = await createTrends({ store, config, log, calendar, onMoment: opts.onMoment });
  const gestures = await gestureUsage(store, log);
  const context: TriageContext = { ...staticContext(config.brand), watchTerms: trends.watchTerms, risingTerms: trends.risingTerms };
  // The brand's own model when its team has taught one that measured better, else the shipped one; swapped in
  // place when a learn keeps a new one.
  const brandTriage = new BrandTriage(config, context, store, log);
  brandTriage.watch();
  const triage = brandTriage.triage;
  const offline = offlineAnalystFor(config, pack, { usage: gestures.current, triage, now: clock, events: calendar, reading: detectionReading });
  const analyst = opts.analyst ? opts.analyst(offline, catalogue) : await configuredAnalyst(config, pack, store, log, offline, gestures.current, opts.notify, opts.metrics);
  const onFailed = opts.metrics && ((queue: string, permanent: boolean) => opts.metrics!.deliveriesFailed.inc({ queue, sink: 'console', permanent: String(permanent) }));
  const couriers = opts.sinks.map((sink) => new Courier(store, sink, log, clock, { worker, onFailed, ...opts.courier }));
  const pipeline = new Pipeline({
    store,
    triage,
    analyst,
    sinks: [...opts.sinks.map((s) => s.name), ...(opts.queueFor ?? [])],
    log,
    onAnalysed: (analysis) => gestures.counted(analysis.gesture?.id),
    onCard: () => {
      for (const c of couriers) void c.kick().catch((err: unknown) => log.error({ err }, 'courier failed'));
    },
    onVerdict: (post, verdict) => trends.observe(post, verdict),
    onJoin: opts.onJoin,
    onDuplicate: (post, kind) => trends.observe(post, { kind }),
    cards: config.cards,
  });
  return {
    config,
    log,
    store,
    worker,
    pack,
    catalogue,
    trends,
    triage,
    triageContext: context,
    offline,
    analyst,
    pipeline,
    couriers,
    metrics: opts.metrics,
    deliverVia(courier) {
      couriers.push(courier);
    },
    refreshWatch: () => trends.refreshWatch(),
    brandTriage,
    teaching: brandTriage.teaching,
    async close() {
      await Promise.all(couriers.map((c) => c.stop()));
      gestures.stop();
      brandTriage.stop();
      await store.close();
    },
  };
}

/** The model analyst when one is configured, falling back on the offline one; the offline one otherwise. */
async function configuredAnalyst(
  config: Config,
  pack: BrandPack,
  store: Store,
  log: Logger,
  offline: OfflineAnalyst,
  usage: () => GestureUsage,
  notify: (text: string) => void = () => undefined,
  metrics?: Metrics,
): Promise<Analyst> {
  const llm = config.llm;
  if (!llm) return offline;
  // Loaded only for a model: the offline analyst needs no openai client.
  const { LlmAnalyst } = await import('./analyse/llm');
  return new LlmAnalyst({
    config: llm,
    reading: detectionReading,
    brand: { ...config.brand, voice: pack.voice },
    fallback: offline,
    catalogue: pack.catalogue,
    usage,
    log,
    recordUsage: (r) => {
      metrics?.modelCalls.inc({ purpose: r.purpose, outcome: r.outcome });
      void store.recordLlmUsage(r).catch((err: unknown) => log.error({ err }, 'could not record model usage'));
    },
    spent: await store.llmCallTimesSince(new Date(Date.now() - 24 * 3600_000)),
    onBudgetExhausted: (status) => {
      log.warn({ status }, 'model call cap reached: the offline analyst writes cards until it frees up');
      notify('Kairos reached its cap on model calls: the offline analyst writes the cards until the cap frees up.');
    },
    onBudgetRestored: (status) => log.info({ status }, 'model calls allowed again'),
  });
}

const GESTURE_REFRESH_MS = 60_000;

/**
 * The month's gesture counts for the catalogue's caps, read per card by the analysts: kept in memory, each card's
 * gesture counted as it is written, and read again every minute (other workers make cards too).
 */
async function gestureUsage(
  store: Store,
  log: Logger,
): Promise<{ current: () => GestureUsage; counted(gestureId: string | undefined): void; refresh(): Promise<void>; stop(): void }> {
  let stored = await store.gestureUsageThisMonth();
  // Cards made since the last read, counted here: reading the month's counts for every card costs a query that
  // grows with the month (a replay of a year's posts made it quadratic). The read every minute brings in other
  // workers' cards, dismissals and a new month.
  let since = new Map<string, number>();
  const current: GestureUsage = (id) => stored(id) + (since.get(id) ?? 0);
  const refresh = async () => {
    try {
      const fresh = await store.gestureUsageThisMonth();
      stored = fresh;
      since = new Map();
    } catch (err) {
      log.warn({ err }, 'could not read the gesture counts; keeping the last ones');
    }
  };
  const timer = setInterval(() => void refresh(), GESTURE_REFRESH_MS);
  timer.unref();
  return {
    current: () => current,
    counted: (id) => void (id && since.set(id, (since.get(id) ?? 0) + 1)),
    refresh,
    stop: () => clearInterval(timer),
  };
}

export interface RunSummary {
  read: number;
  duplicates: number;
  invalid: number;
  byKind: Record<Kind, number>;
  cards: number;
  /** Posts that joined an existing card's story instead of opening a card. */
  joined: number;
}

export function emptySummary(): RunSummary {
  return { read: 0, duplicates: 0, invalid: 0, byKind: { opportunity: 0, risk: 0, service: 0, noise: 0 }, cards: 0, joined: 0 };
}

const PROGRESS_EVERY = 5_000;

/**
 * Feeds a source (a replay, the demo stream) through the pipeline, counting what happened; one bad post never
 * stops the run. In batches of up to 1,024 posts, or of what arrived within 10 ms: the store writes many posts a
 * transaction (a replay's batch of 1,024 costs about a tenth of a second, fewer commits than four of 256), and a
 * live pipe still sees each card within milliseconds. With `ahead` (a replay), each full batch is triaged in a worker
 * thread while the main thread handles the batch before it (triage-ahead.ts): the same verdicts, and the same terms
 for the trends (read there too when `ahead` has the trends' ignored words).
 */
export async function runSource(
  k: Pick<Kairos, 'pipeline' | 'log' | 'metrics'> & Partial<Pick<Kairos, 'trends'>>,
  source: Source,
  summary = emptySummary(),
  batch: { size: number; waitMs: number } = { size: 1024, waitMs: 10 },
  ahead?: TriageAhead,
): Promise<RunSummary> {
  let done = 0;
  type Sent = ReturnType<TriageAhead['send']>;
  const batcher = new Batcher<Post, Sent>(
    async (posts, sent) => {
      let triaged: ((index: number, post: Post) => Triage | undefined) | undefined;
      let texts: AheadBatch['texts'] = null;
      if (ahead && sent) {
        // While the worker is still starting, triage in process is sooner; a failed worker leaves it to triage here.
        ahead.handles(sent.batch);
        if (!sent.batch.verdicts && ahead.worthWaiting()) await sent.done.catch(() => undefined);
        const b: AheadBatch = sent.batch;
        if (b.verdicts) triaged = (i, post) => ahead.verdictOf(b, i, post);
        texts = b.texts;
      }
      const ingest = () => k.pipeline.ingestMany(posts, source.name, triaged);
      const results = texts && k.trends ? await k.trends.readAhead(posts, texts, ingest) : await ingest();
      for (const [i, result] of results.entries()) {
        const post = posts[i]!;
        if (result.status === 'failed') {
          // Without the database nothing can be recorded: stop the run rather than skip every post that follows.
          if (isDatabaseLost(result.error)) throw result.error;
          summary.invalid++;
          k.log.error({ err: result.error, post: post.id, source: source.name }, 'post could not be processed');
          continue;
        }
        countResult(k, source.name, result);
        if (result.status === 'duplicate') summary.duplicates++;
        else {
          summary.byKind[result.triage.kind]++;
          if (result.joined) summary.joined++;
          else if (result.opportunityId !== null) summary.cards++;
        }
        // A long replay says how far it got, so nobody wonders whether it hangs.
        if (++done % PROGRESS_EVERY === 0) {
          k.log.info({ source: source.name, read: done, cards: summary.cards }, `${grouped(done)} posts read`);
        }
      }
    },
    batch.size,
    batch.waitMs,
    ahead && ((posts) => ahead.send(posts)),
  );
  let failed = false;
  try {
    await source.start((post) => {
      summary.read++;
      return batcher.add(post);
    });
  } catch (err) {
    failed = true;
    throw err;
  } finally {
    // What was read is stored before the run ends, however it ends (a stop, a file out of time order).
    const flushed = batcher.flush();
    if (failed) await flushed.catch(() => undefined);
    else await flushed;
  }
  return summary;
}

/** Runs one post through the pipeline, counting it by source and kind (and its card) when metrics are kept. */
export async function ingestCounted(k: Pick<Kairos, 'pipeline' | 'metrics'>, source: string, post: Post): Promise<IngestResult> {
  const result = await k.pipeline.ingest(post, source);
  countResult(k, source, result);
  return result;
}

function countResult(k: Pick<Kairos, 'metrics'>, source: string, result: IngestResult): void {
  if (!k.metrics) return;
  k.metrics.postsRead.inc({ source, kind: result.status === 'duplicate' ? 'duplicate' : result.triage.kind });
  if (result.status === 'processed' && result.opportunityId !== null && !result.joined) k.metrics.cards.inc({ kind: result.triage.kind });
}

export function formatSummary(s: RunSummary): string {
  const kinds = KINDS.map((k) => `${s.byKind[k]} ${k}`).join(', ');
  const lines = [`Posts read: ${s.read} (${kinds})`, `Cards: ${s.cards} new`];
  if (s.joined) lines.push(`Joined the story of an existing card: ${s.joined}`);
  if (s.duplicates) lines.push(`Already seen, skipped: ${s.duplicates}`);
  if (s.invalid) lines.push(`Invalid lines skipped: ${s.invalid}`);
  return lines.join('\n');
}
