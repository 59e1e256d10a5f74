import { userInfo } from 'node:os';
import { createInterface } from 'node:readline';
import type { Readable, Writable } from 'node:stream';
import type { Config } from './config';
import { brandModelPath, loadBrandModel, saveBrandModel, type BrandModelMeta } from './detect/brand-model';
import { exampleOf, learnBrandModel, notACard, type Example } from './detect/learn';
import { probabilities, type TriageModel } from './detect/model';
import { shippedExamples } from './detect/training-sets';
import { createTriager, shippedModel } from './detect/triage';
import { staticContext } from './detect/context';
import { KINDS, type Kind } from './domain/verdict';
import type { Post } from './domain/post';
import type { Store } from './domain/ports';
import type { LabelKind } from './domain/label';

/**
 * The brand's own triage: the model it learned from its team's labels when there is a valid one, else the
 * shipped model; `problem` says why a brand model on disk was not used.
 */
export function brandTriageModel(
  config: Pick<Config, 'dbPath' | 'brand'>,
): { model: TriageModel | null; source: string; problem: string | null; meta?: BrandModelMeta } {
  const loaded = loadBrandModel(brandModelPath(config.dbPath, config.brand.name), config.brand.name);
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
export async function leastSure(store: Store, brand: Config['brand'], model: TriageModel | null, limit = 20): Promise<Post[]> {
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
export async function runLabel(store: Store, config: Pick<Config, 'dbPath' | 'brand'>, input: Readable, out: Writable): Promise<number> {
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

/** Fewer labels than this teach too little to judge: `learn` says so and keeps the shipped model. */
export const MIN_LABELS = 20;

/**
 * `kairos learn`: trains the brand's model from the shipped sets and the team's labels, measures it against the
 * shipped model on a fifth of the labels held back, and keeps it only when it is better.
 */
export async function runLearn(store: Store, config: Pick<Config, 'dbPath' | 'brand'>, out: Writable, opts: { epochs?: number; weight?: number } = {}): Promise<number> {
  const shipped = shippedModel();
  if (!shipped) {
    out.write('learn: the shipped model is missing (src/detect/triage-model.json); nothing to start from.\n');
    return 1;
  }
  const labelled = await store.activeLabels();
  if (labelled.length < MIN_LABELS) {
    out.write(`learn: ${labelled.length} label${labelled.length === 1 ? '' : 's'} so far; at least ${MIN_LABELS} are needed. The shipped model stays.\n`);
    return 0;
  }
  const of = exampleOf(config.brand);
  const examples = labelled.map(({ post, label }) => {
    const e = of(post, 'noise');
    const kind: Kind = label.kind === 'not-a-card' ? notACard(shipped, e.x) : label.kind;
    return { ...e, y: KINDS.indexOf(kind) };
  });
  out.write(`learn: ${examples.length} labels of ${config.brand.name}; reading the shipped training sets…\n`);
  const base = shippedExamples();
  out.write(`learn: training on ${base.length} shipped posts and the brand's labels (a minute or two)…\n`);
  const r = learnBrandModel(base, examples, shipped, { epochs: opts.epochs, weight: opts.weight });
  const f = (n: number) => n.toFixed(3);
  out.write(
    `measured on ${r.shipped.posts} held-back labels:\n` +
      `  opportunity F1  shipped ${f(r.shipped.opportunity)}  brand ${f(r.brand.opportunity)}\n` +
      `  risk F1         shipped ${f(r.shipped.risk)}  brand ${f(r.brand.risk)}\n`,
  );
  const path = brandModelPath(config.dbPath, config.brand.name);
  if (!r.keep) {
    out.write(`The brand's model is not better on the held-back labels: triage keeps ${loadBrandModel(path, config.brand.name).model ? 'the brand model it has' : 'the shipped model'}.\n`);
    return 0;
  }
  saveBrandModel(path, r.model, {
    brand: config.brand.name,
    trainedAt: new Date().toISOString(),
    labels: examples.length,
    figures: { shipped: r.shipped, brand: r.brand },
  });
  out.write(`Kept: ${path}. Triage uses it from the next start.\n`);
  return 0;
}
