import type { Analyst } from './analyse/analyst';
import { loadBrandPack, type BrandPack } from './analyse/brand-pack';
import type { Gesture } from './analyse/catalogue';
import { offlineAnalystFor, type OfflineAnalyst } from './analyse/offline';
import type { Config } from './config';
import { staticContext, type TriageContext } from './detect/context';
import { createTriager } from './detect/triage';
import type { Post } from './domain/post';
import { KINDS, type Kind, type Triage } from './domain/verdict';
import { createLogger, type Logger } from './log';
import { Courier, type CardSink } from './outbox/courier';
import { Pipeline } from './pipeline';
import { isDatabaseLost } from './service/boundary';
import type { Source } from './sources/source';
import { Store, type Clock } from './store/store';

/** Everything a running Kairos is made of, built once by the composition root. */
export interface Kairos {
  config: Config;
  log: Logger;
  store: Store;
  /** The brand pack: voice, catalogue, templates, settings. */
  pack: BrandPack;
  catalogue: Gesture[];
  triage: (post: Post) => Triage;
  offline: OfflineAnalyst;
  analyst: Analyst;
  pipeline: Pipeline;
  couriers: Courier[];
  /** Re-reads the watch terms after /watch changed them. */
  refreshWatch(): void;
  /** Lets each courier finish the delivery in flight, then closes the store (its WAL checkpointed). */
  close(): Promise<void>;
}

export { offlineAnalystFor };

export interface BuildOptions {
  log?: Logger;
  clock?: Clock;
  /** Where cards go; each gets a courier draining its outbox. */
  sinks: CardSink[];
  /** Sinks whose couriers run elsewhere (Discord's starts after login): cards are queued for them too. */
  queueFor?: string[];
  /** Called after a card was stored and queued. */
  onCard?: (opportunityId: number) => void;
  /** Triage context beyond the brand: watch terms and rising moments. */
  context?: Partial<Pick<TriageContext, 'watchTerms' | 'risingTerms'>>;
  /** Wraps the offline analyst (e.g. the LLM analyst falling back on it). */
  analyst?: (offline: OfflineAnalyst, store: Store, catalogue: Gesture[]) => Analyst;
  onVerdict?: (post: Post, triage: Triage) => void;
  onDuplicate?: (post: Post, kind: Kind) => void;
  /** A brand pack already loaded (tests); by default the one config.brand.dir names. */
  pack?: BrandPack;
}

export function buildKairos(config: Config, opts: BuildOptions): Kairos {
  const log = opts.log ?? createLogger(config.logLevel, undefined, config.logFormat);
  const clock = opts.clock ?? (() => new Date());
  const store = new Store(config.dbPath, clock);
  const pack = opts.pack ?? loadBrandPack(config.brand.dir);
  const catalogue = pack.catalogue;
  // Watch terms are read per post: keep a cached lower-case list, refreshed when /watch changes the store.
  const watchCache = { terms: store.listWatch().map((w) => w.term.toLowerCase()) };
  const context: TriageContext = {
    ...staticContext(config.brand),
    watchTerms: opts.context?.watchTerms ?? (() => watchCache.terms),
    risingTerms: opts.context?.risingTerms ?? (() => []),
  };
  const triage = createTriager(context);
  const offline = offlineAnalystFor(config, pack, {
    usage: () => store.gestureUsageThisMonth(),
    triage,
    now: clock,
  });
  const analyst = opts.analyst ? opts.analyst(offline, store, catalogue) : offline;
  const couriers = opts.sinks.map((sink) => new Courier(store, sink, log, clock));
  const pipeline = new Pipeline({
    store,
    triage,
    analyst,
    sinks: [...opts.sinks.map((s) => s.name), ...(opts.queueFor ?? [])],
    log,
    onCard: (id) => {
      for (const c of couriers) void c.kick();
      opts.onCard?.(id);
    },
    onVerdict: opts.onVerdict,
    onDuplicate: opts.onDuplicate,
  });
  return {
    config,
    log,
    store,
    pack,
    catalogue,
    triage,
    offline,
    analyst,
    pipeline,
    couriers,
    refreshWatch() {
      watchCache.terms = store.listWatch().map((w) => w.term.toLowerCase());
    },
    async close() {
      await Promise.all(couriers.map((c) => c.stop()));
      store.close();
    },
  };
}

export interface RunSummary {
  read: number;
  duplicates: number;
  invalid: number;
  byKind: Record<Kind, number>;
  cards: number;
}

export function emptySummary(): RunSummary {
  return { read: 0, duplicates: 0, invalid: 0, byKind: { opportunity: 0, risk: 0, service: 0, noise: 0 }, cards: 0 };
}

const PROGRESS_EVERY = 5_000;

/** Feeds a source through the pipeline, counting what happened; one bad post never stops the run. */
export async function runSource(k: Kairos, source: Source, summary = emptySummary()): Promise<RunSummary> {
  await source.start(async (post) => {
    summary.read++;
    try {
      const result = await k.pipeline.ingest(post);
      if (result.status === 'duplicate') summary.duplicates++;
      else {
        summary.byKind[result.triage.kind]++;
        if (result.opportunityId !== null) summary.cards++;
      }
    } catch (err) {
      // Without the database nothing can be recorded: stop the run rather than skip every post that follows.
      if (isDatabaseLost(err)) throw err;
      summary.invalid++;
      k.log.error({ err, post: post.id, source: source.name }, 'post could not be processed');
    }
    // A long replay says how far it got, so nobody wonders whether it hangs.
    if (summary.read % PROGRESS_EVERY === 0) {
      k.log.info({ source: source.name, read: summary.read, cards: summary.cards }, `${summary.read.toLocaleString('en-US')} posts read`);
    }
  });
  return summary;
}

export function formatSummary(s: RunSummary): string {
  const kinds = KINDS.map((k) => `${s.byKind[k]} ${k}`).join(', ');
  const lines = [`Posts read: ${s.read} (${kinds})`, `Cards: ${s.cards} new`];
  if (s.duplicates) lines.push(`Already seen, skipped: ${s.duplicates}`);
  if (s.invalid) lines.push(`Invalid lines skipped: ${s.invalid}`);
  return lines.join('\n');
}
