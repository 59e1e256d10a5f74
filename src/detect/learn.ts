import { createHash } from 'node:crypto';
import type { Post } from '../domain/post';
import { KINDS, type Kind } from '../domain/verdict';
import { staticContext, type TriageContext } from './context';
import { evaluate } from './evaluate';
import { createEvidence, type Evidence } from './evidence';
import { FEATURES, featurize, probabilities, type SparseVector, type TriageModel } from './model';
import { decide } from './triage';

/**
 * How triage learns: softmax regression with L2 over the model's features (src/detect/model.ts), full batch,
 * Adam, deterministic. The shipped model is trained with it on the project's written sets
 * (scripts/train-triage.ts); a brand's own model is the same training with the brand's labels added and weighted
 * more, started from the shipped weights (`learnBrandModel`).
 */

/** One labelled post as the trainer sees it. `weight` counts it more (a brand's own labels) or less. */
export interface Example {
  x: SparseVector;
  y: number;
  e: Evidence;
  post: Post;
  weight?: number;
}

export interface TrainOptions {
  epochs?: number;
  l2?: number;
  rate?: number;
  /** Start from these weights instead of zero (a brand's model starts from the shipped one). */
  init?: TriageModel;
  thresholds: TriageModel['thresholds'];
}

/** Reads a labelled post with its brand into an example. */
export function exampleOf(brand: TriageContext['brand']): (post: Post, kind: Kind, weight?: number) => Example {
  const read = createEvidence(staticContext(brand));
  return (post, kind, weight) => {
    const e = read(post);
    return { x: featurize(e, post), y: KINDS.indexOf(kind), e, post, ...(weight === undefined ? {} : { weight }) };
  };
}

/** Trains a model; class-balanced (square root) so the rare kinds count without every long story looking like one. */
export function trainModel(data: Example[], opts: TrainOptions): TriageModel {
  const run = training(data, opts);
  for (;;) {
    const step = run.next();
    if (step.done) return step.value;
  }
}

/**
 * The same training, giving the event loop a turn after each epoch: a running Kairos trains this way (the nightly
 * learn), so Discord's heartbeats and the posts coming in are not held up for the minute it takes.
 */
export async function trainModelAsync(data: Example[], opts: TrainOptions): Promise<TriageModel> {
  const run = training(data, opts);
  for (;;) {
    const step = run.next();
    if (step.done) return step.value;
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
}

/** The training loop, one epoch a step. */
function* training(data: Example[], opts: TrainOptions): Generator<number, TriageModel> {
  const { epochs = 1000, l2 = 3e-3, rate = 0.05 } = opts;
  const C = KINDS.length;
  const w = opts.init ? Float64Array.from(opts.init.weights) : new Float64Array(C * FEATURES);
  const b = opts.init ? Float64Array.from(opts.init.bias) : new Float64Array(C);
  const m = new Float64Array(w.length), v = new Float64Array(w.length), mb = new Float64Array(C), vb = new Float64Array(C);
  const mass = KINDS.map((_, c) => data.reduce((n, d) => n + (d.y === c ? (d.weight ?? 1) : 0), 0));
  const total = mass.reduce((a, n) => a + n, 0);
  const classWeight = mass.map((n) => (n ? Math.sqrt(total / (C * n)) : 0));
  const z = new Float64Array(C);
  const g = new Float64Array(w.length);
  const gb = new Float64Array(C);
  for (let t = 1; t <= epochs; t++) {
    g.fill(0);
    gb.fill(0);
    for (const d of data) {
      // The softmax of the logits, in place (the same sums in the same order as probabilities()).
      const { index, value } = d.x;
      let max = -Infinity;
      for (let c = 0; c < C; c++) {
        let sum = b[c]!;
        const row = c * FEATURES;
        for (let j = 0; j < index.length; j++) sum += w[row + index[j]!]! * value[j]!;
        z[c] = sum;
        if (sum > max) max = sum;
      }
      let norm = 0;
      for (let c = 0; c < C; c++) norm += z[c] = Math.exp(z[c]! - max);
      const cw = (classWeight[d.y]! * (d.weight ?? 1)) / total;
      for (let c = 0; c < C; c++) {
        const err = (z[c]! / norm - (c === d.y ? 1 : 0)) * cw;
        gb[c]! += err;
        const row = c * FEATURES;
        for (let j = 0; j < index.length; j++) g[row + index[j]!]! += err * value[j]!;
      }
    }
    const b1 = 0.9, b2 = 0.999, eps = 1e-8;
    for (let i = 0; i < w.length; i++) {
      const gi = g[i]! + l2 * w[i]!;
      if (gi === 0 && m[i] === 0) continue;
      m[i] = b1 * m[i]! + (1 - b1) * gi;
      v[i] = b2 * v[i]! + (1 - b2) * gi * gi;
      w[i]! -= (rate * (m[i]! / (1 - b1 ** t))) / (Math.sqrt(v[i]! / (1 - b2 ** t)) + eps);
    }
    for (let c = 0; c < C; c++) {
      mb[c] = b1 * mb[c]! + (1 - b1) * gb[c]!;
      vb[c] = b2 * vb[c]! + (1 - b2) * gb[c]! * gb[c]!;
      b[c]! -= (rate * (mb[c]! / (1 - b1 ** t))) / (Math.sqrt(vb[c]! / (1 - b2 ** t)) + eps);
    }
    yield t;
  }
  return { classes: [...KINDS], bias: Array.from(b), weights: w, thresholds: opts.thresholds };
}

export interface Figures {
  opportunity: number;
  risk: number;
  posts: number;
}

/** Opportunity and risk F1 of triage with this model (the rules included, as it runs) on labelled examples. */
export function figuresOf(model: TriageModel | null, data: Example[]): Figures {
  const e = evaluate(data.map((d) => ({ expected: KINDS[d.y] as Kind, predicted: decide(d.e, model, d.post).kind })));
  return { opportunity: e.perKind.opportunity.f1, risk: e.perKind.risk.f1, posts: data.length };
}

/** Better means a higher mean of the two F1s, and neither kind more than a little worse. */
export function isBetter(candidate: Figures, incumbent: Figures, slack = 0.02): boolean {
  const mean = (f: Figures) => (f.opportunity + f.risk) / 2;
  return (
    mean(candidate) > mean(incumbent) &&
    candidate.opportunity >= incumbent.opportunity - slack &&
    candidate.risk >= incumbent.risk - slack
  );
}

/** A stable fifth of the labels (by id) held back to judge a brand's model; never trained on. */
export function heldBack(id: string): boolean {
  return (createHash('sha256').update(id).digest()[0] as number) % 5 === 0;
}

/**
 * "Not a card" (a dismissal) says what a post is not, not what it is: it trains toward whichever of service and
 * noise the current model finds likelier.
 */
export function notACard(model: TriageModel | null, x: SparseVector): Kind {
  if (!model) return 'service';
  const p = probabilities(model, x);
  return p[KINDS.indexOf('service')]! >= p[KINDS.indexOf('noise')]! ? 'service' : 'noise';
}

export interface LearnResult {
  model: TriageModel;
  shipped: Figures;
  brand: Figures;
  /** The brand's model is better than the shipped one on the held-back labels. */
  keep: boolean;
  trainedOn: number;
}

/**
 * Trains a brand's model from the shipped sets plus the brand's labels (weighted `weight` times), started from
 * the shipped weights, and compares both on the brand's held-back labels.
 */
export function learnBrandModel(shippedSets: Example[], brandLabels: Example[], shipped: TriageModel, opts: LearnOptions = {}): LearnResult {
  const { data, held, train, options } = brandTraining(shippedSets, brandLabels, shipped, opts);
  return judged(trainModel(data, options), shipped, held, train.length);
}

/** learnBrandModel, training with trainModelAsync (inside a running Kairos). */
export async function learnBrandModelAsync(shippedSets: Example[], brandLabels: Example[], shipped: TriageModel, opts: LearnOptions = {}): Promise<LearnResult> {
  const { data, held, train, options } = brandTraining(shippedSets, brandLabels, shipped, opts);
  return judged(await trainModelAsync(data, options), shipped, held, train.length);
}

export interface LearnOptions {
  weight?: number;
  epochs?: number;
  heldOut?: Example[];
}

function brandTraining(shippedSets: Example[], brandLabels: Example[], shipped: TriageModel, opts: LearnOptions) {
  const weight = opts.weight ?? 5;
  const held = opts.heldOut ?? brandLabels.filter((d) => heldBack(d.post.id));
  const train = opts.heldOut ? brandLabels : brandLabels.filter((d) => !heldBack(d.post.id));
  const data = [...shippedSets, ...train.map((d) => ({ ...d, weight: weight * (d.weight ?? 1) }))];
  return { data, held, train, options: { init: shipped, epochs: opts.epochs ?? 150, thresholds: shipped.thresholds } };
}

function judged(model: TriageModel, shipped: TriageModel, held: Example[], trainedOn: number): LearnResult {
  const before = figuresOf(shipped, held);
  const after = figuresOf(model, held);
  return { model, shipped: before, brand: after, keep: held.length > 0 && isBetter(after, before), trainedOn };
}
