/**
 * Plays a team teaching Kairos (printed; `npx tsx scripts/bench-learn.ts [--weight 5] [--epochs 150]`).
 *
 * The hand-labelled development half of the real airline posts (../shared/corpora; research use, read at run
 * time, nothing learned from it is written anywhere) is split by a fixed rule into the posts the team sees and
 * the posts it is measured on. The team labels in the order it would: the cards the current triage raises
 * (Approve gives the kind; Dismiss "not special" or "wrong call" gives only "not a card") and the `/label` queue
 * (the posts the model is least sure of, answered with the kind), half and half. After each 50 labels the brand's
 * model is trained again (the shipped sets plus the labels, weighted more, from the shipped weights) and
 * opportunity and risk F1 on the measured posts are printed after 0, 50, 100, 200 and 400 labels.
 */
import { createHash } from 'node:crypto';
import { parseArgs } from 'node:util';
import { exampleOf, figuresOf, learnBrandModel, notACard, type Example } from '../src/detect/learn';
import type { TriageModel } from '../src/detect/model';
import { margin } from '../src/learning';
import { shippedExamples } from '../src/detect/training-sets';
import { decide, shippedModel } from '../src/detect/triage';
import { isCardKind, KINDS, type Kind } from '../src/domain/verdict';
import { airlineFiles, realLabels } from './lib/real-airline';

const { values } = parseArgs({ options: { weight: { type: 'string', default: '5' }, epochs: { type: 'string', default: '150' } } });
const weight = Number(values.weight);
const epochs = Number(values.epochs);
const shipped = shippedModel();
if (!shipped) throw new Error('no shipped model: run scripts/train-triage.ts first');

const labels = realLabels();
const rows: Example[] = airlineFiles('dev').flatMap((f) => {
  const of = exampleOf(f.brand);
  return f.posts.flatMap((post) => {
    const l = labels.get(post.id);
    return l ? [of(post, l.kind as Kind)] : [];
  });
});
const measured = (id: string) => (createHash('sha256').update(`measure:${id}`).digest()[0] as number) % 2 === 0;
const test = rows.filter((r) => measured(r.post.id));
const pool = rows.filter((r) => !measured(r.post.id));
const started = Date.now();
const base = shippedExamples();
console.log(
  `${rows.length} labelled real posts: ${pool.length} the team sees, ${test.length} measured on; ` +
    `${base.length} shipped training posts; the team's labels weigh ${weight}×`,
);

const f = (n: number) => n.toFixed(3);
const print = (n: number, model: TriageModel) => {
  const fig = figuresOf(model, test);
  console.log(`after ${String(n).padStart(3)} labels: opportunity F1 ${f(fig.opportunity)}, risk F1 ${f(fig.risk)}  [${((Date.now() - started) / 1000).toFixed(0)} s]`);
  return fig;
};

let model = shipped;
const given: Example[] = [];
const used = new Set<string>();
const first = print(0, model);
let last = first;
const CHECKPOINTS = new Set([50, 100, 200, 400]);
while (given.length < 400) {
  // Half from the cards the current triage raises, in stream order; half from the least-sure queue.
  const cards = pool.filter((r) => !used.has(r.post.id) && isCardKind(decide(r.e, model, r.post).kind)).slice(0, 25);
  for (const r of cards) {
    used.add(r.post.id);
    const truth = KINDS[r.y] as Kind;
    given.push(isCardKind(truth) ? r : { ...r, y: KINDS.indexOf(notACard(model, r.x)) });
  }
  const queue = pool.filter((r) => !used.has(r.post.id)).sort((a, b) => margin(model, a.x) - margin(model, b.x));
  for (const r of queue.slice(0, 50 - cards.length)) {
    used.add(r.post.id);
    given.push(r);
  }
  model = learnBrandModel(base, given, shipped, { weight, epochs, heldOut: test }).model;
  if (CHECKPOINTS.has(given.length)) last = print(given.length, model);
}
console.log(
  `from 0 to 400 labels: opportunity F1 ${f(first.opportunity)} → ${f(last.opportunity)} (${last.opportunity >= first.opportunity ? '+' : ''}${f(last.opportunity - first.opportunity)}), ` +
    `risk F1 ${f(first.risk)} → ${f(last.risk)} (${last.risk >= first.risk ? '+' : ''}${f(last.risk - first.risk)})`,
);
