import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { describeIssues } from '../domain/post';
import { KINDS, SIGNALS, type Kind } from '../domain/verdict';
import { EVIDENCE_FLAGS, type Evidence } from './evidence';

/**
 * A small linear model over what triage reads off a post: the signals and flags of the rules, reach, and hashed
 * words and word pairs (not the rules' own call: on the posts the rules were written for it is always right, and
 * a model trained there would learn only to copy it). It learns from the project's labelled posts
 * (scripts/train-triage.ts) how much each piece counts, which hand-set rules cannot do for phrasing they have
 * never seen. Inference is a sparse dot product: microseconds a post, no network.
 */
export const HASH_BITS = 16;
const HASH_SIZE = 1 << HASH_BITS;
const DENSE = [
  ...SIGNALS.map((s) => `signal:${s}`),
  ...EVIDENCE_FLAGS.map((f) => `flag:${f}`),
  'reach',
  'followers',
  'reposts',
  'points',
  'length',
  'spreading&grievance',
  'spreading&negative',
  'points>=2',
] as const;
export const FEATURES = DENSE.length + HASH_SIZE;

export const TriageModelSchema = z.object({
  version: z.literal(2),
  hashBits: z.literal(HASH_BITS),
  dense: z.array(z.string()),
  classes: z.array(z.enum(KINDS)).length(KINDS.length),
  bias: z.array(z.number()).length(KINDS.length),
  /** One sparse row a class: the features with a weight, and the weights. */
  rows: z.array(z.object({ index: z.array(z.number().int().nonnegative()), value: z.array(z.number()) })).length(KINDS.length),
  trainedOn: z.array(z.string()),
  /** Chosen by cross-validation with the weights: see decide() in triage.ts. */
  thresholds: z.object({
    named: z.number().min(0).max(1),
    /** How likely a moment the rules call an opportunity must look to the model to stay one. */
    ruled: z.number().min(0).max(1),
    sure: z.number().min(0).max(1),
    /** The uncertain band: below a card, but this likely, a model (when configured) is asked. */
    review: z.object({ opportunity: z.number().min(0).max(1), risk: z.number().min(0).max(1) }),
  }),
});
export type StoredTriageModel = z.infer<typeof TriageModelSchema>;
/** A model ready to use: its rows expanded to one dense array, classes × FEATURES. */
export interface TriageModel {
  classes: Kind[];
  bias: number[];
  weights: Float64Array;
  /**
   * How likely the model must find an opportunity to call one: `named` when the rules name a moment in the post,
   * `sure` when they do not but the post is about the brand.
   */
  thresholds: StoredTriageModel['thresholds'];
}

export function expand(stored: StoredTriageModel): TriageModel {
  const weights = new Float64Array(KINDS.length * FEATURES);
  stored.rows.forEach((row, c) => row.index.forEach((j, n) => (weights[c * FEATURES + j] = row.value[n] as number)));
  return { classes: stored.classes, bias: stored.bias, weights, thresholds: stored.thresholds };
}

export function compact(model: TriageModel, trainedOn: string[]): StoredTriageModel {
  const rows = model.classes.map((_, c) => {
    const index: number[] = [];
    const value: number[] = [];
    for (let j = 0; j < FEATURES; j++) {
      const w = model.weights[c * FEATURES + j] as number;
      if (Math.abs(w) >= 1e-3) {
        index.push(j);
        value.push(Math.round(w * 1e3) / 1e3);
      }
    }
    return { index, value };
  });
  return {
    version: 2,
    hashBits: HASH_BITS,
    dense: [...DENSE],
    classes: model.classes,
    bias: model.bias.map((b) => Math.round(b * 1e4) / 1e4),
    rows,
    trainedOn,
    thresholds: model.thresholds,
  };
}

export type SparseVector = { index: Int32Array; value: Float32Array };

/** FNV-1a, 32 bit: a stable hash for words, the same on every machine. */
function hash(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

const WORD = /[\p{L}\p{N}]+(?:'[\p{L}]+)?/gu;

/** The features of one post, as a sparse vector. */
export function featurize(e: Evidence, post: { author: { followers: number }; metrics?: { reposts?: number } }): SparseVector {
  const idx: number[] = [];
  const val: number[] = [];
  const put = (i: number, v: number) => {
    if (v !== 0) {
      idx.push(i);
      val.push(v);
    }
  };
  const signals = new Set(e.signals);
  let i = 0;
  for (const s of SIGNALS) put(i++, signals.has(s) ? 1 : 0);
  for (const f of EVIDENCE_FLAGS) put(i++, e.flags[f] ? 1 : 0);
  put(i++, e.reach.score);
  put(i++, Math.min(1, Math.log10(post.author.followers + 1) / 6));
  put(i++, Math.min(1, Math.log10((post.metrics?.reposts ?? 0) + 1) / 4));
  put(i++, Math.max(-1, Math.min(1, e.points / 5)));
  put(i++, Math.min(1, e.text.length / 500));
  put(i++, e.flags.spreading && e.flags.grievance ? 1 : 0);
  put(i++, e.flags.spreading && e.flags.negative ? 1 : 0);
  put(i++, e.points >= 2 ? 1 : 0);

  // Words, word pairs and the character n-grams of each word, hashed: n-grams carry what was learned to words
  // never seen in training (typos, inflections, "cancelled"/"cancelation", compounds in Dutch). Each counted once,
  // and each family scaled on its own so long posts do not outweigh short ones.
  const words = (e.masked.match(WORD) ?? []).map((word) => word.replace(/\d/g, '0'));
  const wordBuckets = new Set<number>();
  const gramBuckets = new Set<number>();
  for (let w = 0; w < words.length; w++) {
    const word = words[w] as string;
    wordBuckets.add(hash(word) & (HASH_SIZE - 1));
    if (w > 0) wordBuckets.add(hash(`${words[w - 1]} ${word}`) & (HASH_SIZE - 1));
    const padded = `<${word}>`;
    for (let n = 3; n <= 5; n++) for (let k = 0; k + n <= padded.length; k++) gramBuckets.add(hash(`#${padded.slice(k, k + n)}`) & (HASH_SIZE - 1));
  }
  const merged = new Map<number, number>();
  const add = (set: Set<number>) => {
    const scale = set.size ? 1 / Math.sqrt(set.size) : 0;
    for (const b of set) merged.set(b, (merged.get(b) ?? 0) + scale);
  };
  add(wordBuckets);
  add(gramBuckets);
  for (const b of [...merged.keys()].sort((a, c) => a - c)) put(DENSE.length + b, merged.get(b) as number);
  return { index: Int32Array.from(idx), value: Float32Array.from(val) };
}

/** Class probabilities (softmax) for a feature vector. */
export function probabilities(model: Pick<TriageModel, 'bias' | 'weights'>, x: SparseVector): number[] {
  const logits = model.bias.map((b, c) => {
    let z = b;
    const row = c * FEATURES;
    for (let j = 0; j < x.index.length; j++) z += (model.weights[row + (x.index[j] as number)] as number) * (x.value[j] as number);
    return z;
  });
  const max = Math.max(...logits);
  const exps = logits.map((z) => Math.exp(z - max));
  const sum = exps.reduce((a, b) => a + b, 0);
  return exps.map((v) => v / sum);
}

export function predictKind(model: TriageModel, x: SparseVector): { kind: Kind; p: number[] } {
  const p = probabilities(model, x);
  let best = 0;
  for (let c = 1; c < p.length; c++) if ((p[c] as number) > (p[best] as number)) best = c;
  return { kind: model.classes[best] as Kind, p };
}

export const MODEL_FILE = new URL('./triage-model.json', import.meta.url);

/** The shipped model, validated; null when there is none (the rules decide alone). */
export function loadTriageModel(url: URL = MODEL_FILE): TriageModel | null {
  let raw: string;
  try {
    raw = readFileSync(url, 'utf8');
  } catch {
    return null;
  }
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch (err) {
    throw new Error(`${url.pathname}: not JSON (${(err as Error).message}); run scripts/train-triage.ts again`);
  }
  const parsed = TriageModelSchema.safeParse(json);
  if (!parsed.success) throw new Error(`${url.pathname}: not a triage model (${describeIssues(parsed.error)})`);
  const stored = parsed.data;
  if (stored.dense.join() !== DENSE.join() || stored.rows.some((r) => r.index.some((j) => j >= FEATURES))) {
    throw new Error(`${url.pathname}: the model was trained on other features; run scripts/train-triage.ts again`);
  }
  return expand(stored);
}

export { DENSE as DENSE_FEATURES };
