/**
 * Triage one batch ahead, on the second core: a replay hands each full batch of posts to a worker thread as soon as
 * it is read, and the main thread stores, carding and watching trends for the batch before it meanwhile.
 *
 * Triage is pure but for two things that change during a run: the watch terms (the stream's day) and the rising
 * terms (the trends detector, fed by every post before). The worker triages with those of the moment the batch
 * was sent; verdictOf() takes its verdict only when the terms of now give the post the same reading (the same
 * terms, or none of those added or dropped since is in its text) and the model is still the one the worker runs,
 * else the caller triages the post in process. Verdicts are the same as one post at a time, always. Given the
 * trends' ignored words, the worker also reads what the trends count of each post (trendTextOf), which depends on
 * its text alone.
 *
 * A worker that fails or exits is logged as an error and the run goes on triaging in process: no post is lost.
 */
import type { Worker } from 'node:worker_threads';
import type { Post } from './domain/post';
import type { Triage } from './domain/verdict';
import type { Logger } from './log';
import type { TriageContext } from './detect/context';
import { includesAny, readText } from './detect/evidence';
import { besideModule, startWorker } from './worker-entry';
import type { TriageModel } from './detect/model';
import type { TrendText } from './detect/trends';

/** What the worker is started with. */
export interface AheadSetup {
  brand: TriageContext['brand'];
  model: TriageModel | null;
  /** [0]: the id of the batch the main thread handles now; the worker skips those before it (already triaged). */
  handling: Int32Array;
  /** The trends detector's ignored words (TrendDetector.ignored()): with them the worker also reads each post's TrendText. */
  trendIgnore?: readonly string[];
}
export interface AheadRequest {
  id: number;
  posts: readonly Post[];
  watch: readonly string[];
  rising: readonly string[];
}
export type AheadReply =
  | {
      id: number;
      /** null: skipped, the main thread had already triaged that batch itself. */
      verdicts: (Triage | null)[] | null;
      /** Each post's trendTextOf (with trendIgnore), null for one that threw; absent without trendIgnore. */
      texts?: (TrendText | null)[];
    }
  | { ready: true };

/** A batch sent to the worker: the terms and model it is triaged with, and its verdicts once back. */
export interface AheadBatch {
  id: number;
  watch: readonly string[];
  rising: readonly string[];
  model: TriageModel | null;
  verdicts: (Triage | null)[] | null;
  /** What the trends read of each post, once back (they depend on nothing that changes during a run). */
  texts: (TrendText | null)[] | null;
}

/** The worker: triage-worker beside this module, from the build or the sources. */
function defaultWorker(setup: AheadSetup): Worker {
  return startWorker(besideModule('triage-worker', import.meta.url), { workerData: setup });
}

export class TriageAhead {
  private worker: Worker | null = null;
  private failed = false;
  private ready = false;
  private markLoaded: () => void = () => undefined;
  private readonly loaded = new Promise<void>((resolve) => (this.markLoaded = resolve));
  private nextId = 0;
  private readonly waiting = new Map<number, { resolve: (v: Extract<AheadReply, { id: number }>) => void; reject: (e: unknown) => void }>();
  private readonly handling = new Int32Array(new SharedArrayBuffer(4));
  /** The terms added or dropped between a batch's and now's, for the last pair seen (they rarely change). */
  private changed = { from: [] as readonly string[], to: [] as readonly string[], terms: [] as string[] };
  private changedRising = { from: [] as readonly string[], to: [] as readonly string[], terms: [] as string[] };

  constructor(
    private readonly context: TriageContext,
    /** The model triage runs on now (BrandTriage swaps it after a learn). */
    private readonly model: () => TriageModel | null,
    private readonly log: Logger,
    private readonly start: (setup: AheadSetup) => Worker = defaultWorker,
    /** The trends detector's ignored words: the worker reads each post's trend terms too (Trends.readAhead). */
    private readonly trendIgnore?: readonly string[],
  ) {}

  /**
   * Starts the worker before the first batch (a long replay): it loads while the main thread starts reading.
   * Resolves once it is loaded, or has failed (then triage stays in process).
   */
  warm(): Promise<void> {
    if (!this.failed && !this.worker) {
      try {
        this.spawn(this.model());
      } catch (err) {
        this.fail(err);
      }
    }
    return this.loaded;
  }

  /** Sends a batch to the worker (started with the first one); null when the worker has failed (triage in process). */
  send(posts: readonly Post[]): { batch: AheadBatch; done: Promise<void> } | null {
    if (this.failed) return null;
    const id = this.nextId++;
    const batch: AheadBatch = { id, watch: this.context.watchTerms(), rising: this.context.risingTerms(), model: this.model(), verdicts: null, texts: null };
    let worker: Worker;
    try {
      worker = this.worker ?? this.spawn(batch.model);
    } catch (err) {
      this.fail(err);
      return null;
    }
    const done = new Promise<Extract<AheadReply, { id: number }>>((resolve, reject) => this.waiting.set(id, { resolve, reject })).then((reply) => {
      batch.verdicts = reply.verdicts;
      batch.texts = reply.texts ?? null;
    });
    // The caller may not wait for a batch (see ready()); a failure is logged by fail() either way.
    done.catch(() => undefined);
    try {
      worker.postMessage({ id, posts, watch: batch.watch, rising: batch.rising } satisfies AheadRequest);
    } catch (err) {
      this.fail(err);
    }
    return { batch, done };
  }

  /**
   * Whether waiting for a batch's verdicts is worth it: not while the worker is still loading, when triaging in
   * process is sooner.
   */
  worthWaiting(): boolean {
    return this.ready && !this.failed;
  }

  /** The main thread handles this batch now: the worker skips any batch before it still queued. */
  handles(batch: AheadBatch): void {
    Atomics.store(this.handling, 0, batch.id);
  }

  /** The worker's verdict for a post of a batch when it is the one triage would give now, else undefined. */
  verdictOf(batch: AheadBatch, index: number, post: Post): Triage | undefined {
    const verdict = batch.verdicts?.[index];
    if (!verdict || batch.model !== this.model()) return undefined;
    const watch = this.diff(this.changed, batch.watch, this.context.watchTerms());
    const rising = this.diff(this.changedRising, batch.rising, this.context.risingTerms());
    if (watch.length || rising.length) {
      const text = readText(post.text);
      if (includesAny(text, watch) || includesAny(text, rising)) return undefined;
    }
    return verdict;
  }

  /** Stops the worker (a batch still out is triaged in process by its caller). */
  async close(): Promise<void> {
    const w = this.worker;
    this.worker = null;
    this.failed = true;
    this.markLoaded();
    for (const { reject } of this.waiting.values()) reject(new Error('triage worker closed'));
    this.waiting.clear();
    if (w) await w.terminate();
  }

  /** The terms in one list and not the other (either way), kept for the last pair of lists. */
  private diff(memo: { from: readonly string[]; to: readonly string[]; terms: string[] }, from: readonly string[], to: readonly string[]): string[] {
    if (from === to) return [];
    if (memo.from !== from || memo.to !== to) {
      const a = new Set(from);
      const b = new Set(to);
      memo.from = from;
      memo.to = to;
      memo.terms = [...from.filter((t) => !b.has(t)), ...to.filter((t) => !a.has(t))];
    }
    return memo.terms;
  }

  private spawn(model: TriageModel | null): Worker {
    const worker = this.start({ brand: this.context.brand, model, handling: this.handling, trendIgnore: this.trendIgnore });
    // Never what keeps the process up: the run closes it, and a stop must not wait on it.
    worker.unref();
    worker.on('message', (m: AheadReply) => {
      this.ready = true;
      this.markLoaded();
      if ('ready' in m) return;
      const w = this.waiting.get(m.id);
      this.waiting.delete(m.id);
      w?.resolve(m);
    });
    worker.on('error', (err) => this.fail(err));
    worker.on('exit', (code) => {
      if (this.worker === worker) this.fail(new Error(`triage worker exited (code ${code})`));
    });
    this.worker = worker;
    return worker;
  }

  private fail(err: unknown): void {
    if (!this.failed) this.log.error({ err }, 'the triage worker failed: triage goes on in process');
    this.failed = true;
    this.markLoaded();
    const w = this.worker;
    this.worker = null;
    for (const { reject } of this.waiting.values()) reject(err);
    this.waiting.clear();
    void w?.terminate();
  }
}
