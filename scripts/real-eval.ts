/**
 * Triage on real posts, as each airline's own team would run it (`npm run -s cli -- eval --real`, or
 * `npx tsx scripts/real-eval.ts`):
 *  1. the labelled development half (the corpus's 340 labels and ours in test/fixtures/real-dev): precision,
 *     recall and F1 per kind, the confusion matrix, and the random sample's own figures (the stream's real mix);
 *  2. with `--rates`: cards per 1,000 over all 57,711 real airline posts (both halves, counted only), posts to
 *     other airlines triaged as United and as the default brand, and the Dutch MPs' tweets with KLM as the brand.
 * `--errors` lists the development posts triage gets wrong (development half only; never the held-out half).
 */
import { parseArgs } from 'node:util';
import { loadConfig } from '../src/config';
import { evaluate, formatEvaluation } from '../src/detect/evaluate';
import { isCardKind, KINDS, type Kind } from '../src/domain/verdict';
import { staticContext } from '../src/detect/context';
import { createTriager } from '../src/detect/triage';
import { dutchPoliticalTweets } from './lib/corpora';
import { airlineFiles, devHalf, realLabels, fourthReading, secondReading, studyHalf, thirdReading, triageFiles, type Judged, type RealLabel } from './lib/real-airline';

const perThousand = (n: number, total: number) => ((1000 * n) / Math.max(1, total)).toFixed(2);

/** A post can sit in two airline files; it is judged once, in the first. */
function judgedOnce(judged: Judged[], labels: Map<string, RealLabel>): Judged[] {
  const seen = new Set<string>();
  return judged.filter((j) => labels.has(j.post.id) && !seen.has(j.post.id) && seen.add(j.post.id));
}

/**
 * The second reading: 1,000 fresh random posts of the development half, labelled by another reader with the
 * strength of each moment and risk. Its measuring half (see `studyHalf`) is never read for rules or training.
 */
function secondReadingFigures(dev: Judged[], errors: boolean): void {
  const labels = secondReading();
  if (labels.size === 0) return;
  const judged = judgedOnce(dev, labels);
  console.log(`\nsecond reading, a fresh random sample (${judged.length} posts, read independently and more generously):`);
  readingFigures(labels, [
    ['measuring half', judged.filter((j) => !studyHalf(j.post.id))],
    ['study half', judged.filter((j) => studyHalf(j.post.id))],
    ['both', judged],
  ]);
  if (errors) listErrors(judged.filter((j) => studyHalf(j.post.id)), labels);
}

/**
 * A reading of 1,000 more fresh random posts of the development half by the corpus README's reading, from a reader
 * who never saw triage's verdicts. The third only measures: nobody reads its errors (--errors leaves it out). The
 * fourth is read to study the stream (--errors lists its wrong calls).
 */
function readingOnce(title: string, labels: Map<string, RealLabel>, dev: Judged[], studied: boolean, errors: boolean): void {
  if (labels.size === 0) return;
  const judged = judgedOnce(dev, labels);
  console.log(`\n${title} (${judged.length} posts, ${studied ? 'read to study errors' : 'never read for rules or training'}):`);
  readingFigures(labels, [['all', judged]]);
  if (studied && errors) listErrors(judged, labels);
}

/** F1 for moments and risks (and how many clear ones are found) and card rates, for each part of a reading. */
function readingFigures(labels: Map<string, RealLabel>, parts: (readonly [string, Judged[]])[]): void {
  for (const [name, part] of parts) {
    const e = evaluate(part.map((j) => ({ expected: labels.get(j.post.id)!.kind, predicted: j.triage.kind })));
    const clear = (k: Kind) => {
      const cs = part.filter((j) => labels.get(j.post.id)!.kind === k && labels.get(j.post.id)!.strength === 'clear');
      return `${cs.filter((j) => j.triage.kind === k).length} of ${cs.length} clear`;
    };
    const f = (k: Kind) =>
      `${k} F1 ${e.perKind[k].f1.toFixed(3)} (P ${e.perKind[k].precision.toFixed(2)}, R ${e.perKind[k].recall.toFixed(2)}, n ${e.perKind[k].support}; ${clear(k)})`;
    const flagged = (k: Kind) => perThousand(part.filter((j) => j.triage.kind === k).length, part.length);
    console.log(`  ${name} (${part.length}): ${f('opportunity')}; ${f('risk')}; cards ${flagged('opportunity')} and ${flagged('risk')} per 1,000`);
  }
}

function listErrors(judged: Judged[], labels: Map<string, RealLabel>): void {
  console.log('\nwrong calls (labelled → predicted):');
  for (const j of judged) {
    const want = labels.get(j.post.id)!.kind;
    if (want !== j.triage.kind) {
      console.log(`  ${want.padEnd(11)} → ${j.triage.kind.padEnd(11)} ${j.triage.score.toFixed(2)} ${j.post.id} [${j.triage.signals.join(',')}] ${j.post.text.replace(/\s+/g, ' ').slice(0, 200)}`);
    }
  }
}

export function labelledFigures(errors = false): { opportunity: number; risk: number } {
  const labels = realLabels();
  const dev = triageFiles(airlineFiles('dev'));
  const judged = judgedOnce(dev, labels);
  const pairs = (js: Judged[]) => js.map((j) => ({ expected: labels.get(j.post.id)!.kind, predicted: j.triage.kind }));
  const all = evaluate(pairs(judged));
  const random = judged.filter((j) => labels.get(j.post.id)!.selectedBy === 'random');
  console.log(`Real posts, labelled development half: ${judged.length} of ${labels.size} labels found`);
  console.log(formatEvaluation(all));
  console.log('');
  for (const source of ['corpus', 'own'] as const) {
    const part = evaluate(pairs(judged.filter((j) => labels.get(j.post.id)!.source === source)));
    const f = (k: Kind) => `${k} F1 ${part.perKind[k].f1.toFixed(3)} (P ${part.perKind[k].precision.toFixed(2)}, R ${part.perKind[k].recall.toFixed(2)}, n ${part.perKind[k].support})`;
    console.log(`${source === 'corpus' ? "the corpus's own labels" : 'our labels'} (${part.total} posts): ${f('opportunity')}; ${f('risk')}`);
  }
  // How well "clear" picks the corpus's clear moments (its notes say S or M) out of the moments triage finds.
  const found = judged.filter((j) => j.triage.kind === 'opportunity' && labels.get(j.post.id)!.kind === 'opportunity' && labels.get(j.post.id)!.source === 'corpus' && labels.get(j.post.id)!.strength);
  const picked = (s: 'clear' | 'mild') => {
    const told = found.filter((j) => labels.get(j.post.id)!.strength === s);
    return `${told.filter((j) => j.triage.strength === 'clear').length} of ${told.length}`;
  };
  console.log(`moment strength, on the corpus's moments triage finds: called clear ${picked('clear')} of its clear (S) ones and ${picked('mild')} of its milder (M) ones`);
  const r = evaluate(pairs(random));
  const cards = (k: Kind) => random.filter((j) => j.triage.kind === k).length;
  console.log(
    `\nrandom sample (${random.length} posts, the stream's mix): accuracy ${r.accuracy.toFixed(3)}; ` +
      `labelled ${KINDS.map((k) => `${k} ${r.perKind[k].support}`).join(', ')}; ` +
      `cards: ${perThousand(cards('opportunity'), random.length)} opportunity and ${perThousand(cards('risk'), random.length)} risk per 1,000`,
  );
  if (errors) listErrors(judged, labels);
  secondReadingFigures(dev, errors);
  readingOnce("third reading, a fresh random sample by the corpus README's reading", thirdReading(), dev, false, errors);
  readingOnce("fourth reading, a fresh random sample by the corpus README's reading", fourthReading(), dev, true, errors);
  return { opportunity: all.perKind.opportunity.f1, risk: all.perKind.risk.f1 };
}

export function rateFigures(): void {
  const files = airlineFiles('all');
  const judged = triageFiles(files);
  const n = judged.length;
  const count = (js: Judged[], k: Kind) => js.filter((j) => j.triage.kind === k).length;
  console.log(`\nAll real airline posts (both halves, counted only): ${n} posts, each triaged with its own airline`);
  console.log(
    `  opportunity cards ${count(judged, 'opportunity')} (${perThousand(count(judged, 'opportunity'), n)} per 1,000), ` +
      `risk cards ${count(judged, 'risk')} (${perThousand(count(judged, 'risk'), n)} per 1,000)`,
  );
  // A floor under any triage's card rate: the development half's moments and risks found by hand (only those,
  // so the stream holds more). F1 >= 0.8 needs recall >= 2/3 even at perfect precision.
  const labels = realLabels();
  const devPosts = judged.filter((j) => devHalf(j.post.id));
  const labelled = (k: Kind) => new Set(devPosts.filter((j) => labels.get(j.post.id)?.kind === k).map((j) => j.post.id)).size;
  const floor = (k: Kind) => `${perThousand(labelled(k), devPosts.length)} ${k} (F1 0.8 at perfect precision: at least ${perThousand((labelled(k) * 2) / 3, devPosts.length)})`;
  console.log(`  floor: the development half's labelled moments and risks alone are ${floor('opportunity')} and ${floor('risk')} per 1,000 of its ${devPosts.length} posts`);
  const clear = judged.filter((j) => j.triage.kind === 'opportunity' && j.triage.strength === 'clear').length;
  console.log(`  with KAIROS_CARDS=clear (cards for clear moments only): opportunity cards ${clear} (${perThousand(clear, n)} per 1,000); risks unchanged`);

  // Posts to other airlines: everything outside United's file, triaged as United; everything, as the default brand.
  const united = files.find((f) => f.key === 'united')!.brand;
  const others = files.filter((f) => f.key !== 'united').map((f) => ({ ...f, brand: united }));
  const asUnited = triageFiles(others);
  const cardsOf = (js: Judged[]) => js.filter((j) => isCardKind(j.triage.kind)).length;
  console.log(`  posts to other airlines triaged as United: ${cardsOf(asUnited)} cards of ${asUnited.length}`);
  const brand = loadConfig({}).brand;
  const asDefault = triageFiles(files.map((f) => ({ ...f, brand })));
  console.log(`  all of them triaged as the default brand (${brand.name}): ${cardsOf(asDefault)} cards of ${asDefault.length}`);

  const mps = dutchPoliticalTweets();
  const klm = createTriager(staticContext({ name: 'KLM', handles: ['KLM'], terms: ['KLM', 'KLM Royal Dutch Airlines'] }));
  const mpCards = mps.filter((p) => isCardKind(klm(p).kind)).length;
  console.log(`  Dutch MPs' tweets with KLM as the brand: ${mpCards} cards of ${mps.length} (${perThousand(mpCards, mps.length)} per 1,000)`);
}

export function realEval(argv: string[]): number {
  const { values } = parseArgs({ args: argv, options: { rates: { type: 'boolean' }, errors: { type: 'boolean' } }, allowPositionals: false });
  labelledFigures(values.errors);
  if (values.rates) rateFigures();
  return 0;
}

if (import.meta.url === `file://${process.argv[1]}`) process.exitCode = realEval(process.argv.slice(2));
