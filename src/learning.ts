import { statSync } from 'node:fs';
import { userInfo } from 'node:os';
import { createInterface } from 'node:readline';
import type { Readable, Writable } from 'node:stream';
import type { Config } from './config';
import { DEFAULT_BRAND } from './domain/brand';
import { brandModelPath, loadBrandModel, saveBrandModel, type BrandModelMeta } from './detect/brand-model';
import { exampleOf, figuresOf, heldBack, isBetter, learnBrandModel, learnBrandModelAsync, notACard, type Example, type Figures } from './detect/learn';
import { featurize, probabilities, type TriageModel } from './detect/model';
import { createEvidence } from './detect/evidence';
import { shippedExamples } from './detect/training-sets';
import { createTriager, shippedModel } from './detect/triage';
import { staticContext, type TriageContext } from './detect/context';
import { KINDS, type Kind, type Triage } from './domain/verdict';
import type { Logger } from './log';
import type { Post } from './domain/post';
import type { Store } from './domain/ports';
import type { LabelKind, Teaching } from './domain/label';

/** What learning needs of the configuration: where the database is, and whose brand it learns for. */
export type LearningConfig = Pick<Config, 'dbPath' | 'brand'> & Partial<Pick<Config, 'brandId'>>;

/**
 * The brand's model file, beside the database: named for the brand's id in a store several brands share
 * (KAIROS_BRAND_ID), for its name otherwise (as before brands shared stores).
 */
export function brandModelFile(config: LearningConfig): string {
  return brandModelPath(config.dbPath, config.brandId && config.brandId !== DEFAULT_BRAND ? config.brandId : config.brand.name);
}

/**
 * The brand's own triage: the model it learned from its team's labels when there is a valid one, else the
 * shipped model; `problem` says why a brand model on disk was not used.
 */
export function brandTriageModel(
  config: LearningConfig,
): { model: TriageModel | null; source: string; problem: string | null; meta?: BrandModelMeta } {
  const loaded = loadBrandModel(brandModelFile(config), config.brand.name);
  if (loaded.model) {
    const { meta } = loaded;
    return { model: loaded.model, source: `the brand's own model (trained ${meta.trainedAt} on ${meta.labels} labels)`, problem: null, meta };
  }
  return { model: shippedModel(), source: 'the shipped model', problem: loaded.problem };
}

/** How unsure a model is of a post: the gap between its two likeliest kinds (0 is a coin toss). */
export function margin(model: TriageModel, x: Example['x']): number {
  const p = probabilities(model, x).sort((a, b) => b - a);
  return (p[0] as number) - (p[1] as number);
}

/**
 * Stored posts without a label, the ones the model is least sure of first (the /label queue). The model is the one
 * triage runs on, handed in: the queue is read on every answer, the model file only once.
 */
export async function leastSure(store: Pick<Store, 'unlabelledPosts'>, brand: Config['brand'], model: TriageModel | null, limit = 20): Promise<Post[]> {
  const posts = await store.unlabelledPosts(2000);
  if (!model) return posts.slice(0, limit);
  const of = exampleOf(brand);
  return posts
    .map((post) => ({ post, m: margin(model, of(post, 'noise').x) }))
    .sort((a, b) => a.m - b.m)
    .slice(0, limit)
    .map((r) => r.post);
}

const KEYS: Record<string, LabelKind> = { o: 'opportunity', r: 'risk', s: 'service', n: 'noise' };

/**
 * `kairos label`: one stored post at a time, least sure first, answered with a key. Reads answers line by line, so
 * it works at a terminal and from a pipe.
 */
export async function runLabel(store: Store, config: LearningConfig, input: Readable, out: Writable): Promise<number> {
  const { model } = brandTriageModel(config);
  const queue = await leastSure(store, config.brand, model, 50);
  if (!queue.length) {
    out.write('Nothing to label: every stored post has a label (or none is stored yet; run Kairos or a replay first).\n');
    return 0;
  }
  const triage = createTriager(staticContext(config.brand), model);
  const actor = { id: 'cli', name: safeUser() };
  const lines = createInterface({ input, terminal: false })[Symbol.asyncIterator]();
  let given = 0;
  let last: number | null = null;
  out.write(`${queue.length} posts, the ones triage is least sure of first. Answer o (opportunity), r (risk), s (service), n (noise), k (skip), u (undo the last), q (quit).\n`);
  for (let i = 0; i < queue.length; ) {
    const post = queue[i] as Post;
    const t = triage(post);
    out.write(`\n[${i + 1}/${queue.length}] @${post.author.handle} (${post.platform}, ${post.createdAt})\n${post.text}\ntriage says ${t.kind}${t.signals.length ? ` (${t.signals.join(', ')})` : ''} > `);
    const next = await lines.next();
    if (next.done) break;
    const answer = String(next.value).trim().toLowerCase();
    if (answer === 'q') break;
    if (answer === 'k' || answer === '') {
      i++;
      continue;
    }
    if (answer === 'u') {
      if (last !== null && (await store.undoLabel(last, actor))) {
        given--;
        out.write('undone.\n');
        last = null;
        i = Math.max(0, i - 1);
      } else out.write('nothing to undo.\n');
      continue;
    }
    const kind = KEYS[answer];
    if (!kind) {
      out.write('answer o, r, s, n, k, u or q.\n');
      continue;
    }
    last = await store.addLabel(post, kind, 'cli', actor);
    given++;
    i++;
  }
  out.write(`\n${given} label${given === 1 ? '' : 's'} given. Run \`kairos learn\` to train the brand's triage on them.\n`);
  return 0;
}

function safeUser(): string {
  try {
    return userInfo().username || 'cli';
  } catch {
    return 'cli';
  }
}

/** Fewer labels than this teach too little to judge: `learn` says so and keeps the model triage has. */
export const MIN_LABELS = 20;

export type LearnOutcome =
  | { status: 'no-shipped-model' }
  | { status: 'too-few'; labels: number }
  | {
      status: 'measured';
      labels: number;
      figures: { shipped: Figures; brand: Figures; incumbent?: Figures };
      /** Kept: written beside the database, with what it was trained on. */
      kept: { path: string; model: TriageModel; meta: BrandModelMeta } | null;
      /** Whether a brand model from before is kept instead (the new one was not better). */
      keptBefore: boolean;
    };

export interface LearnOptions {
  epochs?: number;
  weight?: number;
  /** Train giving the event loop a turn after each epoch (inside a running Kairos). */
  yieldEachEpoch?: boolean;
  /** What it is doing, a line at a time. */
  progress?: (line: string) => void;
  now?: () => Date;
}

/**
 * Trains the brand's model from the shipped sets and the team's labels, measures it against the shipped model
 * (and the brand model triage already has, if any) on a fifth of the labels held back, and keeps it only when it
 * is better than both. The same for `kairos learn` and the nightly learn.
 */
export async function learnBrand(store: Pick<Store, 'activeLabels'>, config: LearningConfig, opts: LearnOptions = {}): Promise<LearnOutcome> {
  const shipped = shippedModel();
  if (!shipped) return { status: 'no-shipped-model' };
  const labelled = await store.activeLabels();
  if (labelled.length < MIN_LABELS) return { status: 'too-few', labels: labelled.length };
  const of = exampleOf(config.brand);
  const examples = labelled.map(({ post, label }) => {
    const e = of(post, 'noise');
    const kind: Kind = label.kind === 'not-a-card' ? notACard(shipped, e.x) : label.kind;
    return { ...e, y: KINDS.indexOf(kind) };
  });
  opts.progress?.(`${examples.length} labels of ${config.brand.name}; reading the shipped training sets…`);
  const base = shippedExamples();
  opts.progress?.(`training on ${base.length} shipped posts and the brand's labels (a minute or two)…`);
  const learnOpts = { epochs: opts.epochs, weight: opts.weight };
  const r = opts.yieldEachEpoch ? await learnBrandModelAsync(base, examples, shipped, learnOpts) : learnBrandModel(base, examples, shipped, learnOpts);
  const path = brandModelFile(config);
  const before = loadBrandModel(path, config.brand.name);
  const held = examples.filter((d) => heldBack(d.post.id));
  const incumbent = before.model ? figuresOf(before.model, held) : undefined;
  const keep = r.keep && (!incumbent || isBetter(r.brand, incumbent));
  const figures = { shipped: r.shipped, brand: r.brand, ...(incumbent ? { incumbent } : {}) };
  if (!keep) return { status: 'measured', labels: examples.length, figures, kept: null, keptBefore: Boolean(before.model) };
  const meta: BrandModelMeta = {
    brand: config.brand.name,
    trainedAt: (opts.now?.() ?? new Date()).toISOString(),
    labels: examples.length,
    figures: { shipped: r.shipped, brand: r.brand },
  };
  saveBrandModel(path, r.model, meta);
  return { status: 'measured', labels: examples.length, figures, kept: { path, model: r.model, meta }, keptBefore: false };
}

/** The figures of a measured learn, as `kairos learn` prints them and the nightly learn logs them. */
export function describeLearn(o: Extract<LearnOutcome, { status: 'measured' }>): string {
  const f = (n: number) => n.toFixed(3);
  const { shipped, brand, incumbent } = o.figures;
  const was = incumbent ? (k: 'opportunity' | 'risk') => `  brand before ${f(incumbent[k])}` : () => '';
  return (
    `measured on ${shipped.posts} held-back labels:\n` +
    `  opportunity F1  shipped ${f(shipped.opportunity)}${was('opportunity')}  brand ${f(brand.opportunity)}\n` +
    `  risk F1         shipped ${f(shipped.risk)}${was('risk')}  brand ${f(brand.risk)}`
  );
}

/** `kairos learn`: learnBrand, with what it does and what it measured printed. */
export async function runLearn(store: Store, config: LearningConfig, out: Writable, opts: { epochs?: number; weight?: number } = {}): Promise<number> {
  const o = await learnBrand(store, config, { ...opts, progress: (line) => out.write(`learn: ${line}\n`) });
  if (o.status === 'no-shipped-model') {
    out.write('learn: the shipped model is missing (src/detect/triage-model.json); nothing to start from.\n');
    return 1;
  }
  if (o.status === 'too-few') {
    out.write(`learn: ${o.labels} label${o.labels === 1 ? '' : 's'} so far; at least ${MIN_LABELS} are needed. The shipped model stays.\n`);
    return 0;
  }
  out.write(`${describeLearn(o)}\n`);
  if (!o.kept) {
    out.write(`The brand's model is not better on the held-back labels: triage keeps ${o.keptBefore ? 'the brand model it has' : 'the shipped model'}.\n`);
    return 0;
  }
  out.write(`Kept: ${o.kept.path}. A running Kairos picks it up within ${RELOAD_MINUTES} minutes.\n`);
  return 0;
}

/** How often a running Kairos looks whether the brand model on disk changed (a learn by the CLI or another worker). */
export const RELOAD_MINUTES = 5;

/** How close a post that is not a card came to being one. */
export interface CloseCall {
  kind: 'opportunity' | 'risk';
  /** The model's probability of that kind. */
  p: number;
}

/** A post the model gives less than this chance of being a card did not come close. */
export const CLOSE_FLOOR = 0.1;

/**
 * How close posts came to being a card, by a model: the likelier card kind and its probability, or null for a post
 * triage never makes a card of (the brand's own, one not about the brand, a repost, spam, a bot instruction) or one
 * below CLOSE_FLOOR.
 */
export function closenessOf(brand: Config['brand'], modelOf: () => TriageModel | null): (post: Post) => CloseCall | null {
  const read = createEvidence(staticContext(brand));
  return (post) => {
    const model = modelOf();
    if (!model) return null;
    const e = read(post);
    if (e.ownPost || !e.flags.ourBrand || e.flags.repost || e.signals.includes('spam') || e.signals.includes('manipulation-attempt')) return null;
    const p = probabilities(model, featurize(e, post));
    const po = p[model.classes.indexOf('opportunity')] as number;
    const pr = p[model.classes.indexOf('risk')] as number;
    const best: CloseCall = po >= pr ? { kind: 'opportunity', p: po } : { kind: 'risk', p: pr };
    return best.p >= CLOSE_FLOOR ? best : null;
  };
}

/** What Teaching tells of the model triage runs on. */
function modelInfo(loaded: ReturnType<typeof brandTriageModel>): Teaching['model'] {
  return { source: loaded.source, ...(loaded.meta ? { trainedAt: loaded.meta.trainedAt, labels: loaded.meta.labels, figures: loaded.meta.figures } : {}) };
}

/**
 * The triage a running Kairos uses, with the model swapped in place when the brand's model changes (the nightly
 * learn kept one, `kairos learn` or another worker wrote one): no restart, and the posts in flight finish on the
 * model they started with.
 */
export class BrandTriage {
  private current: (post: Post) => Triage;
  private loaded: ReturnType<typeof brandTriageModel>;
  private stamp: string | null;
  private timer: NodeJS.Timeout | null = null;
  readonly teaching: Teaching;

  constructor(
    private readonly config: LearningConfig,
    private readonly context: TriageContext,
    private readonly store: Pick<Store, 'unlabelledPosts'>,
    private readonly log?: Logger,
  ) {
    this.loaded = brandTriageModel(config);
    if (this.loaded.problem) log?.warn(this.loaded.problem);
    else log?.info(`triage uses ${this.loaded.source}`);
    this.stamp = this.fileStamp();
    this.current = createTriager(context, this.loaded.model);
    const current = () => this.loaded;
    this.teaching = {
      get model() {
        return modelInfo(current());
      },
      leastSure: (limit) => leastSure(store, config.brand, current().model, limit),
      triage: (post) => this.current(post),
      closeness: closenessOf(config.brand, () => current().model),
    };
  }

  readonly triage = (post: Post): Triage => this.current(post);

  get model(): TriageModel | null {
    return this.loaded.model;
  }

  /** Reads the brand model again if its file changed since it was read; true when triage now runs on another model. */
  reload(): boolean {
    const stamp = this.fileStamp();
    if (stamp === this.stamp) return false;
    this.stamp = stamp;
    const next = brandTriageModel(this.config);
    if (next.problem) {
      // A broken or foreign file: keep the model triage has rather than fall back mid-run.
      this.log?.warn(`${next.problem}; triage keeps ${this.loaded.source}`);
      return false;
    }
    const before = this.loaded.source;
    this.loaded = next;
    this.current = createTriager(this.context, next.model);
    this.log?.info({ before, after: next.source }, `triage now uses ${next.source}`);
    return true;
  }

  /** Looks for a changed brand model every few minutes until stop(). */
  watch(everyMs = RELOAD_MINUTES * 60_000): void {
    this.timer = setInterval(() => {
      try {
        this.reload();
      } catch (err) {
        this.log?.warn({ err }, 'could not read the brand model again; triage keeps the one it has');
      }
    }, everyMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
  }

  private fileStamp(): string | null {
    try {
      const st = statSync(brandModelFile(this.config));
      return `${st.mtimeMs}:${st.size}`;
    } catch {
      return null;
    }
  }
}
