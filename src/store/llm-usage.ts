import type { Db } from './db';

/**
 * Model calls and what they cost (the llm_usage table): written by the LLM analyst, read by /stats and the
 * digest. Costs are estimates in US dollars from the price table in analyse/pricing.ts.
 */

export type LlmPurpose = 'analyse' | 'draft' | 'regenerate' | 'digest';
/** ok: the answer was used · invalid / refusal / incomplete: not usable · error: no answer (timeout, 5xx…). */
export type LlmOutcome = 'ok' | 'invalid' | 'refusal' | 'incomplete' | 'error';

export interface LlmUsageRecord {
  at: Date;
  model: string;
  purpose: LlmPurpose;
  promptTokens: number;
  completionTokens: number;
  costUsd: number;
  outcome: LlmOutcome;
}

export function recordLlmUsage(db: Db, r: LlmUsageRecord): void {
  db.prepare(
    `INSERT INTO llm_usage (at, model, purpose, prompt_tokens, completion_tokens, cost_usd, outcome)
     VALUES (?, ?, ?, ?, ?, ?, ?)`,
  ).run(r.at.toISOString(), r.model, r.purpose, r.promptTokens, r.completionTokens, r.costUsd, r.outcome);
}

export interface LlmModelTotals {
  model: string;
  calls: number;
  promptTokens: number;
  completionTokens: number;
  costUsd: number;
}

export interface LlmUsageTotals {
  calls: number;
  /** Calls whose answer ended up on a card or draft. */
  okCalls: number;
  /** Calls with no usable answer (invalid, refusal, incomplete, error). */
  failedCalls: number;
  promptTokens: number;
  completionTokens: number;
  costUsd: number;
  byModel: LlmModelTotals[];
  byPurpose: Partial<Record<LlmPurpose, number>>;
}

/** Totals over [from, to) (ISO times or Dates; either end open when omitted), for /stats and the digest. */
export function llmUsageTotals(db: Db, from?: Date | string, to?: Date | string): LlmUsageTotals {
  const f = from === undefined ? null : typeof from === 'string' ? from : from.toISOString();
  const t = to === undefined ? null : typeof to === 'string' ? to : to.toISOString();
  const where = '(? IS NULL OR at >= ?) AND (? IS NULL OR at < ?)';
  const args = [f, f, t, t];
  const models = db
    .prepare(
      `SELECT model, COUNT(*) AS calls, SUM(prompt_tokens) AS pt, SUM(completion_tokens) AS ct, SUM(cost_usd) AS cost
       FROM llm_usage WHERE ${where} GROUP BY model ORDER BY cost DESC, calls DESC`,
    )
    .all(...args) as { model: string; calls: number; pt: number; ct: number; cost: number }[];
  const purposes = db
    .prepare(`SELECT purpose, COUNT(*) AS n FROM llm_usage WHERE ${where} GROUP BY purpose`)
    .all(...args) as { purpose: LlmPurpose; n: number }[];
  const ok = db.prepare(`SELECT COUNT(*) AS n FROM llm_usage WHERE ${where} AND outcome = 'ok'`).get(...args) as {
    n: number;
  };
  const byModel = models.map((m) => ({
    model: m.model,
    calls: m.calls,
    promptTokens: m.pt ?? 0,
    completionTokens: m.ct ?? 0,
    costUsd: round6(m.cost ?? 0),
  }));
  const calls = byModel.reduce((n, m) => n + m.calls, 0);
  return {
    calls,
    okCalls: ok.n,
    failedCalls: calls - ok.n,
    promptTokens: byModel.reduce((n, m) => n + m.promptTokens, 0),
    completionTokens: byModel.reduce((n, m) => n + m.completionTokens, 0),
    costUsd: round6(byModel.reduce((n, m) => n + m.costUsd, 0)),
    byModel,
    byPurpose: Object.fromEntries(purposes.map((p) => [p.purpose, p.n])),
  };
}

/** Times of the calls made since `since`, to restore the call budget after a restart. */
export function llmCallTimesSince(db: Db, since: Date): Date[] {
  return (
    db.prepare('SELECT at FROM llm_usage WHERE at >= ? ORDER BY at').all(since.toISOString()) as { at: string }[]
  ).map((r) => new Date(r.at));
}

function round6(n: number): number {
  return Math.round(n * 1e6) / 1e6;
}
