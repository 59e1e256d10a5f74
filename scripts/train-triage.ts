/**
 * Trains the triage model (src/detect/model.ts) on labelled posts and writes src/detect/triage-model.json.
 *   npx tsx scripts/train-triage.ts [--train a,b,...] [--test c,...] [--dry-run] [--folds] [--cv]
 * Sets are folders under test/fixtures (posts.jsonl + labels.jsonl) or "demo". Deterministic: the same sets give
 * the same model. It prints the rules alone and rules + model on every test set, so a model that does not help
 * is seen before it ships.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { staticContext } from '../src/detect/context';
import { evaluate } from '../src/detect/evaluate';
import { compact, FEATURES, featurize, MODEL_FILE, type SparseVector, type TriageModel } from '../src/detect/model';
import { createEvidence, type Evidence } from '../src/detect/evidence';
import { decide } from '../src/detect/triage';
import { parsePostLine, type Post } from '../src/domain/post';
import { KINDS, type Kind } from '../src/domain/verdict';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
/** Every set written for the project; blind2 and blind3 are never among them, nor any real post. */
const TRAIN_SETS = 'eval,holdout,demo,blind,train-a,train-b,train-c,train-d,train-e,train-f,train-g,train-h,train-i,train-j,train-k,train-l,train-m,train-n,train-o';
const { values } = parseArgs({
  options: {
    train: { type: 'string', default: TRAIN_SETS },
    test: { type: 'string', default: 'blind2,blind3' },
    'dry-run': { type: 'boolean', default: false },
    /** Leave-one-set-out cross-validation of the regularisation, on the training sets only. */
    cv: { type: 'boolean', default: false },
    /** Print the leave-one-set-out figures of the chosen regularisation too. */
    folds: { type: 'boolean', default: false },
  },
});

function load(set: string): { post: Post; kind: Kind }[] {
  const [postsPath, labelsPath] =
    set === 'demo'
      ? [`${ROOT}src/sources/demo-stream.jsonl`, `${ROOT}src/sources/demo-stream.labels.jsonl`]
      : [`${ROOT}test/fixtures/${set}/posts.jsonl`, `${ROOT}test/fixtures/${set}/labels.jsonl`];
  const labels = new Map(
    readFileSync(labelsPath as string, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as { id: string; kind: Kind })
      .map((l) => [String(l.id), l.kind]),
  );
  return readFileSync(postsPath as string, 'utf8')
    .split('\n')
    .filter(Boolean)
    .flatMap((line) => {
      const p = parsePostLine(line);
      const kind = p.ok ? labels.get(p.post.id) : undefined;
      return p.ok && kind ? [{ post: p.post, kind }] : [];
    });
}

const ORANJE = { name: 'Oranje Air', handles: ['OranjeAir'], terms: ['Oranje Air', 'OranjeAir'] };
/** A set's brand: Oranje Air unless the set names its own in brand.json (so the model learns patterns, not a name). */
function brandOf(set: string): typeof ORANJE {
  const path = `${ROOT}test/fixtures/${set}/brand.json`;
  return existsSync(path) ? (JSON.parse(readFileSync(path, 'utf8')) as typeof ORANJE) : ORANJE;
}
type Example = { x: SparseVector; y: number; e: Evidence; post: Post };
const examples = (set: string): Example[] => {
  const read = createEvidence(staticContext(brandOf(set)));
  return load(set).map(({ post, kind }) => {
    const e = read(post);
    return { x: featurize(e, post), y: KINDS.indexOf(kind), e, post };
  });
};

/** Chosen by `--cv` (leave-one-set-out on the training sets), never on the blind set. */
const EPOCHS = Number(process.env.EPOCHS ?? 1000);
const L2 = Number(process.env.L2 ?? 3e-3);

/** Softmax regression with L2, full batch, Adam; class-balanced so the rare kinds count as much as the common. */
function train(data: Example[], epochs = 600, l2 = 1e-2, rate = 0.05): TriageModel {
  const C = KINDS.length;
  const w = new Float64Array(C * FEATURES);
  const b = new Float64Array(C);
  const m = new Float64Array(w.length), v = new Float64Array(w.length), mb = new Float64Array(C), vb = new Float64Array(C);
  const counts = KINDS.map((_, c) => data.filter((d) => d.y === c).length);
  // Balance is partial (square root): the rare kinds count more, but not so much that every long story looks like a moment.
  const classWeight = counts.map((n) => (n ? Math.sqrt(data.length / (C * n)) : 0));
  for (let t = 1; t <= epochs; t++) {
    const g = new Float64Array(w.length);
    const gb = new Float64Array(C);
    for (const d of data) {
      const logits = Array.from(b);
      for (let c = 0; c < C; c++) for (let j = 0; j < d.x.index.length; j++) logits[c]! += w[c * FEATURES + d.x.index[j]!]! * d.x.value[j]!;
      const max = Math.max(...logits);
      const exps = logits.map((z) => Math.exp(z - max));
      const sum = exps.reduce((a, c) => a + c, 0);
      const cw = classWeight[d.y]! / data.length;
      for (let c = 0; c < C; c++) {
        const err = (exps[c]! / sum - (c === d.y ? 1 : 0)) * cw;
        gb[c]! += err;
        for (let j = 0; j < d.x.index.length; j++) g[c * FEATURES + d.x.index[j]!]! += err * d.x.value[j]!;
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
  }
  return { classes: [...KINDS], bias: Array.from(b), weights: w, thresholds: THRESHOLDS };
}

function report(name: string, data: Example[], model: TriageModel): void {
  const rules = evaluate(data.map((d) => ({ expected: KINDS[d.y] as Kind, predicted: d.e.rule })));
  const both = evaluate(data.map((d) => ({ expected: KINDS[d.y] as Kind, predicted: decide(d.e, model, d.post).kind })));
  const f = (e: ReturnType<typeof evaluate>, k: Kind) => e.perKind[k].f1.toFixed(3);
  console.log(
    `${name.padEnd(10)} ${String(data.length).padStart(4)} posts   rules: opp ${f(rules, 'opportunity')} risk ${f(rules, 'risk')} acc ${rules.accuracy.toFixed(3)}` +
      `   rules+model: opp ${f(both, 'opportunity')} risk ${f(both, 'risk')} acc ${both.accuracy.toFixed(3)}`,
  );
}

const trainSets = (values.train as string).split(',').filter(Boolean);

const sets = Object.fromEntries(trainSets.map((s) => [s, examples(s)])) as Record<string, Example[]>;

/** Leave-one-set-out: each training set in turn predicted by a model trained on the others. */
function folds(l2: number): { model: TriageModel; held: Example[] }[] {
  return trainSets.map((held) => ({ model: train(trainSets.filter((s) => s !== held).flatMap((s) => sets[s]!), EPOCHS, l2), held: sets[held]! }));
}

function crossValidated(fs: { model: TriageModel; held: Example[] }[], thresholds: TriageModel['thresholds']) {
  const pairs = fs.flatMap(({ model, held }) =>
    held.map((d) => ({ expected: KINDS[d.y] as Kind, predicted: decide(d.e, { ...model, thresholds }, d.post).kind })),
  );
  return evaluate(pairs);
}

/**
 * How likely the model must find an opportunity to call one. Fixed by policy rather than fitted: cross-validation
 * on these sets, where a fifth of the posts are moments, always favours calling more of them, while a real
 * stream holds a handful in ten thousand. The model must at least favour a moment the rules name, and be sure of
 * one they cannot. The uncertain band's bars were read off `scripts/bench-llm.ts` on the real development half: below
 * 0.5 the risk band sent a model about 50 ordinary complaints per 1,000 posts for every real risk it caught.
 */
const THRESHOLDS: TriageModel['thresholds'] = { named: 0.5, ruled: 0.15, sure: 0.7, review: { opportunity: 0.1, risk: 0.5 } };

if (values.cv) {
  // How well the model generalises to posts written by someone else, per regularisation, without touching the
  // blind sets.
  for (const l2 of [1e-4, 3e-4, 1e-3, 3e-3, 1e-2]) {
    const e = crossValidated(folds(l2), THRESHOLDS);
    console.log(
      `l2 ${l2}: cross-validated opportunity F1 ${e.perKind.opportunity.f1.toFixed(3)}, risk F1 ${e.perKind.risk.f1.toFixed(3)}, ` +
        `accuracy ${e.accuracy.toFixed(3)}`,
    );
  }
  process.exit(0);
}
const testSets = (values.test as string).split(',').filter(Boolean);
const trainData = trainSets.flatMap((s) => sets[s]!);
// Leave-one-set-out takes a training per set (minutes); `--folds` prints it with the model.
if (values.folds) {
  const cv = crossValidated(folds(L2), THRESHOLDS);
  console.log(
    `cross-validated (leave one set out): opportunity F1 ${cv.perKind.opportunity.f1.toFixed(3)}, risk F1 ${cv.perKind.risk.f1.toFixed(3)}, ` +
      `accuracy ${cv.accuracy.toFixed(3)}`,
  );
}
const model = { ...train(trainData, EPOCHS, L2), thresholds: THRESHOLDS };
console.log(`trained on ${trainSets.join(', ')} (${trainData.length} posts)`);
for (const s of trainSets) report(s, sets[s]!, model);
console.log('held out:');
for (const s of testSets) report(s, examples(s), model);
if (!values['dry-run']) {
  writeFileSync(MODEL_FILE, `${JSON.stringify(compact(model, trainSets))}\n`);
  console.log(`wrote ${fileURLToPath(MODEL_FILE)}`);
}
