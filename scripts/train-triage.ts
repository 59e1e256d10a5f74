/**
 * Trains the triage model (src/detect/model.ts) on labelled posts and writes src/detect/triage-model.json.
 *   npx tsx scripts/train-triage.ts [--train a,b,...] [--test c,...] [--dry-run] [--folds] [--cv]
 * Sets are folders under test/fixtures (posts.jsonl + labels.jsonl) or "demo". Deterministic: the same sets give
 * the same model. It prints the rules alone and rules + model on every test set, so a model that does not help
 * is seen before it ships.
 */
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { evaluate } from '../src/detect/evaluate';
import { trainModel, type Example } from '../src/detect/learn';
import { compact, MODEL_FILE, type TriageModel } from '../src/detect/model';
import { setExamples, TRAIN_SETS } from '../src/detect/training-sets';
import { decide } from '../src/detect/triage';
import { KINDS, type Kind } from '../src/domain/verdict';

const { values } = parseArgs({
  options: {
    train: { type: 'string', default: TRAIN_SETS.join(',') },
    test: { type: 'string', default: 'blind2,blind3,blind4' },
    'dry-run': { type: 'boolean', default: false },
    /** Leave-one-set-out cross-validation of the regularisation, on the training sets only. */
    cv: { type: 'boolean', default: false },
    /** Print the leave-one-set-out figures of the chosen regularisation too. */
    folds: { type: 'boolean', default: false },
  },
});

const examples = setExamples;

/** Chosen by `--cv` (leave-one-set-out on the training sets), never on the blind set. */
const EPOCHS = Number(process.env.EPOCHS ?? 1000);
const L2 = Number(process.env.L2 ?? 3e-3);

const train = (data: Example[], epochs: number, l2: number): TriageModel => trainModel(data, { epochs, l2, thresholds: THRESHOLDS });

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
 * one they cannot. The uncertain band's bars were read off `scripts/bench-llm.ts` on the real development half: the
 * risk band at 0.5 sent a model about 7 angry but ordinary complaints per 1,000 posts and not one labelled risk (real
 * risks are admitted by severity, which always reaches the model), so it now takes a model that is sure (0.8).
 */
const THRESHOLDS: TriageModel['thresholds'] = { named: 0.5, ruled: 0.15, sure: 0.7, review: { opportunity: 0.1, risk: 0.8 } };

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
