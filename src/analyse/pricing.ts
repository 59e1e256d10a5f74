/**
 * Estimated prices in US dollars per million tokens (input, output), from OpenAI's public price list. Good
 * enough for the team to see what the model costs; the invoice is the truth. A model not in this table (a
 * local model served by Ollama, vLLM or LM Studio, or any other name) is counted as free.
 */
const PRICES: Record<string, { input: number; output: number }> = {
  'gpt-4o-mini': { input: 0.15, output: 0.6 },
  'gpt-4o': { input: 2.5, output: 10 },
  'gpt-4.1-nano': { input: 0.1, output: 0.4 },
  'gpt-4.1-mini': { input: 0.4, output: 1.6 },
  'gpt-4.1': { input: 2, output: 8 },
  'gpt-5-nano': { input: 0.05, output: 0.4 },
  'gpt-5-mini': { input: 0.25, output: 2 },
  'gpt-5': { input: 1.25, output: 10 },
  'o4-mini': { input: 1.1, output: 4.4 },
  'o3-mini': { input: 1.1, output: 4.4 },
  'gpt-3.5-turbo': { input: 0.5, output: 1.5 },
};

// Longest name first, so "gpt-4o-mini-2024-07-18" is priced as gpt-4o-mini and not as gpt-4o.
const NAMES = Object.keys(PRICES).sort((a, b) => b.length - a.length);

export function priceOf(model: string): { input: number; output: number } | null {
  const m = model.toLowerCase().replace(/^openai\//, '');
  const name = NAMES.find((n) => m === n || m.startsWith(`${n}-`));
  return name ? (PRICES[name] ?? null) : null;
}

export function estimateCostUsd(model: string, promptTokens: number, completionTokens: number): number {
  const p = priceOf(model);
  if (!p) return 0;
  return (promptTokens * p.input + completionTokens * p.output) / 1_000_000;
}
