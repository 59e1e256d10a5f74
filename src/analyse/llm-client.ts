import OpenAI, { APIConnectionTimeoutError, APIError } from 'openai';
import { ContentFilterFinishReasonError, LengthFinishReasonError } from 'openai/error';
import { zodResponseFormat } from 'openai/helpers/zod';
import { z } from 'zod';
import type { Logger } from '../domain/log';
import type { LlmOutcome, LlmPurpose, LlmUsageRecord } from '../domain/usage';
import type { Messages } from './llm-prompts';
import { estimateCostUsd } from './pricing';

/**
 * The one place Kairos talks to a model: the openai SDK (any OpenAI-compatible server via baseUrl), one
 * structured call at a time. Transport failures (timeouts, 429, 5xx) are retried by the SDK itself
 * (maxRetries, with its backoff); what comes back is parsed against a zod schema, and every call is recorded
 * with its tokens and estimated cost. Never throws: the caller decides what an unusable answer means.
 */

export interface LlmClientOptions {
  apiKey: string;
  baseUrl?: string;
  model: string;
  timeoutMs: number;
  maxRetries: number;
  log?: Logger;
  clock?: () => Date;
  /** Where each call's usage goes (llm_usage); called once per call, whatever its outcome. */
  recordUsage?: (record: LlmUsageRecord) => void;
  /** Options passed to the SDK as they are (tests shorten its retry backoff with a custom fetch, etc.). */
  sdk?: Partial<ConstructorParameters<typeof OpenAI>[0]>;
}

export type Completion<T> =
  | { ok: true; value: T }
  | { ok: false; outcome: Exclude<LlmOutcome, 'ok'>; detail: string };

export class LlmClient {
  readonly model: string;
  private readonly sdk: OpenAI;
  private readonly clock: () => Date;

  constructor(private readonly options: LlmClientOptions) {
    this.model = options.model;
    this.clock = options.clock ?? (() => new Date());
    this.sdk = new OpenAI({
      apiKey: options.apiKey,
      baseURL: options.baseUrl,
      timeout: options.timeoutMs,
      maxRetries: options.maxRetries,
      // The SDK's own console logging would bypass pino and its redaction.
      logLevel: 'off',
      ...options.sdk,
    });
  }

  async complete<S extends z.ZodType>(
    purpose: LlmPurpose,
    schema: S,
    schemaName: string,
    messages: Messages,
  ): Promise<Completion<z.infer<S>>> {
    const started = Date.now();
    let usage = { prompt: 0, completion: 0 };
    let result: Completion<z.infer<S>>;
    try {
      const completion = await this.sdk.chat.completions.parse({
        model: this.model,
        messages: [
          { role: 'system', content: messages.system },
          { role: 'user', content: messages.user },
        ],
        response_format: zodResponseFormat(schema, schemaName),
        // No temperature: reasoning models (o-series, gpt-5) reject any value but the default.
      });
      usage = { prompt: completion.usage?.prompt_tokens ?? 0, completion: completion.usage?.completion_tokens ?? 0 };
      const message = completion.choices[0]?.message;
      if (!message) result = { ok: false, outcome: 'invalid', detail: 'no choices in the answer' };
      else if (message.refusal) result = { ok: false, outcome: 'refusal', detail: message.refusal.slice(0, 200) };
      else if (message.parsed == null) result = { ok: false, outcome: 'invalid', detail: 'empty answer' };
      else {
        // The SDK parsed with the schema already; parse again so a future SDK change cannot let junk through.
        const checked = schema.safeParse(message.parsed);
        result = checked.success
          ? { ok: true, value: checked.data }
          : { ok: false, outcome: 'invalid', detail: describe(checked.error) };
      }
    } catch (err) {
      result = classify(err);
    }
    const outcome: LlmOutcome = result.ok ? 'ok' : result.outcome;
    this.options.recordUsage?.({
      at: this.clock(),
      model: this.model,
      purpose,
      promptTokens: usage.prompt,
      completionTokens: usage.completion,
      costUsd: estimateCostUsd(this.model, usage.prompt, usage.completion),
      outcome,
    });
    this.options.log?.debug(
      { purpose, model: this.model, outcome, ms: Date.now() - started, tokens: usage },
      'model call',
    );
    return result;
  }
}

function describe(error: z.ZodError): string {
  return error.issues
    .slice(0, 3)
    .map((i) => `${i.path.join('.') || '(answer)'}: ${i.message}`)
    .join('; ');
}

/** What went wrong, in words safe for logs and cards (no request content, no key). */
function classify(err: unknown): { ok: false; outcome: Exclude<LlmOutcome, 'ok'>; detail: string } {
  if (err instanceof APIConnectionTimeoutError) return { ok: false, outcome: 'error', detail: 'timeout' };
  if (err instanceof APIError) {
    return { ok: false, outcome: 'error', detail: err.status ? `HTTP ${err.status}` : 'connection failed' };
  }
  if (err instanceof LengthFinishReasonError) return { ok: false, outcome: 'incomplete', detail: 'answer cut off' };
  if (err instanceof ContentFilterFinishReasonError) {
    return { ok: false, outcome: 'refusal', detail: 'content filter' };
  }
  if (err instanceof SyntaxError) return { ok: false, outcome: 'invalid', detail: 'not JSON' };
  if (err instanceof z.ZodError) return { ok: false, outcome: 'invalid', detail: describe(err) };
  // A malformed completion (no choices array, wrong types) surfaces as a TypeError inside the SDK's parser.
  return { ok: false, outcome: 'invalid', detail: (err as Error)?.name ?? 'unreadable answer' };
}
