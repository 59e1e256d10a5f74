import { KINDS, type Kind } from '../domain/verdict';

export interface KindScores {
  precision: number;
  recall: number;
  f1: number;
  support: number;
}

export interface Evaluation {
  total: number;
  accuracy: number;
  perKind: Record<Kind, KindScores>;
  /** confusion[expected][predicted] */
  confusion: Record<Kind, Record<Kind, number>>;
}

/** Precision, recall and F1 per kind and the confusion matrix, from (expected, predicted) pairs. */
export function evaluate(pairs: Iterable<{ expected: Kind; predicted: Kind }>): Evaluation {
  const confusion = Object.fromEntries(KINDS.map((e) => [e, Object.fromEntries(KINDS.map((p) => [p, 0]))])) as Record<
    Kind,
    Record<Kind, number>
  >;
  let total = 0;
  let correct = 0;
  for (const { expected, predicted } of pairs) {
    confusion[expected][predicted]++;
    total++;
    if (expected === predicted) correct++;
  }
  const perKind = Object.fromEntries(
    KINDS.map((k) => {
      const tp = confusion[k][k];
      const predicted = KINDS.reduce((n, e) => n + confusion[e][k], 0);
      const support = KINDS.reduce((n, p) => n + confusion[k][p], 0);
      const precision = predicted ? tp / predicted : 0;
      const recall = support ? tp / support : 0;
      const f1 = precision + recall ? (2 * precision * recall) / (precision + recall) : 0;
      return [k, { precision, recall, f1, support }];
    }),
  ) as Record<Kind, KindScores>;
  return { total, accuracy: total ? correct / total : 0, perKind, confusion };
}

export function formatEvaluation(e: Evaluation): string {
  const pct = (x: number) => x.toFixed(3);
  const rows = [
    `posts: ${e.total}   accuracy: ${pct(e.accuracy)}`,
    '',
    'kind          precision  recall     f1  support',
    ...KINDS.map((k) => {
      const s = e.perKind[k];
      return `${k.padEnd(12)}  ${pct(s.precision).padStart(9)}  ${pct(s.recall).padStart(6)}  ${pct(s.f1).padStart(5)}  ${String(s.support).padStart(7)}`;
    }),
    '',
    'confusion (rows: labelled, columns: predicted)',
    `${''.padEnd(12)}  ${KINDS.map((k) => k.slice(0, 11).padStart(11)).join(' ')}`,
    ...KINDS.map((e2) => `${e2.padEnd(12)}  ${KINDS.map((p) => String(e.confusion[e2][p]).padStart(11)).join(' ')}`),
  ];
  return rows.join('\n');
}
