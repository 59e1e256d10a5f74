/**
 * Model calls and what they cost: written by the LLM analyst, read by /stats and the digest. Costs are estimates
 * in US dollars from the price table in analyse/pricing.ts.
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
