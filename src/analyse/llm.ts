import { z } from 'zod';
import { X_MAX_CHARS, type Analysis, type DraftRequest, type Drafts } from '../domain/analysis';
import { policyKeepsCard, SIGNALS, type Signal } from '../domain/verdict';
import type { Logger } from '../domain/log';
import type { TextReading } from '../domain/reading';
import type { LlmUsageRecord } from '../domain/usage';
import type { AnalyseInput, Analyst, Screening } from './analyst';
import { CallBudget, type BudgetStatus } from './budget';
import type { Gesture } from './catalogue';
import { factsOf } from './facts';
import { OfflineAnalyst } from './offline';
import { draftProblem, findPromise, handlesIn, stripMentions, untagStrangers, type DraftRules } from './guard';
import { LlmClient, type Completion } from './llm-client';
import { analyseMessages, digestMessages, draftMessages, type BrandContext, type Messages } from './llm-prompts';
import { eligibleGestures, enforceGesture, type GestureUsage } from './policy';
import { fitToLength } from './text';

/**
 * The model's answers, as the SDK asks the model for them (strict JSON schema: every field present, null
 * where there is nothing). Lengths are not part of the schema (not every server supports them); they are
 * enforced after parsing.
 */
export const AnalysisAnswerSchema = z.object({
  /** "none": the post needs no card (nothing reaches the team; the verdict keeps `why`). */
  kind: z.enum(['opportunity', 'risk', 'none']),
  summary: z.string(),
  why: z.string(),
  signals: z.array(z.string()),
  gesture: z.object({ id: z.string(), fairness: z.string() }).nullable(),
  reply: z.string(),
  publicPost: z.string().nullable(),
  verifyFirst: z.array(z.string()),
  risks: z.array(z.string()),
});
export type AnalysisAnswer = z.infer<typeof AnalysisAnswerSchema>;

export const DraftAnswerSchema = z.object({ reply: z.string(), publicPost: z.string().nullable() });
export const DigestAnswerSchema = z.object({ summary: z.string() });

/** The model and its bounds, as configured (OPENAI_*, LLM_*). */
export interface LlmSettings {
  apiKey: string;
  baseUrl?: string;
  model: string;
  timeoutMs: number;
  maxRetries: number;
  /** Triage's score a candidate needs to reach the model (uncertain and severe posts always do). */
  minScore: number;
  maxCallsPerHour: number;
  maxCallsPerDay: number;
  /** Whether e-mail addresses, phone numbers and booking references are removed before the model sees a post (LLM_REDACT). */
  redact: boolean;
}

export interface LlmAnalystOptions {
  config: LlmSettings;
  /** Detection's reading of a text: the model's drafts must be in the language the card asks for. */
  reading: Pick<TextReading, 'language'>;
  brand: BrandContext & { handles?: readonly string[] };
  /** Writes the card when the model may not or cannot (the offline analyst). */
  fallback: Analyst;
  catalogue: readonly Gesture[];
  /** This month's gesture counts, read fresh for every card (e.g. `() => store.gestureUsageThisMonth()`). */
  usage: () => GestureUsage;
  log?: Logger;
  clock?: () => Date;
  /** Stores each call's tokens and cost (e.g. `(r) => store.recordLlmUsage(r)`). */
  recordUsage?: (record: LlmUsageRecord) => void;
  /** Call times already spent, to restore the budget after a restart (llmCallTimesSince). */
  spent?: readonly Date[];
  /** Told once when the call cap is reached (the team is told), and once when calls are allowed again. */
  onBudgetExhausted?: (status: BudgetStatus) => void;
  onBudgetRestored?: (status: BudgetStatus) => void;
  /** A ready client (tests); by default one is built from `config`. */
  client?: LlmClient;
  /** Extra SDK options, e.g. a custom fetch. */
  sdk?: ConstructorParameters<typeof LlmClient>[0]['sdk'];
}

type Attempt<T> = { ok: true; value: T } | { ok: false; note: string };

const MAX_ITEMS = 6;
const MAX_ITEM_CHARS = 300;

/**
 * Cards written by a model, within bounds: only candidates triage scores at least `minScore` reach it, calls
 * are capped per hour and per day, an unusable answer gets one more try, and anything else goes to the
 * fallback analyst with a note on the card. Whatever the model answers, the gesture passes policy in code and
 * the drafts are checked (no mass mentions, no strangers tagged, no promises, fit X) before they reach a card.
 */
export class LlmAnalyst implements Analyst {
  readonly name = 'llm' as const;
  readonly client: LlmClient;
  readonly budget: CallBudget;
  private readonly log?: Logger;

  constructor(private readonly options: LlmAnalystOptions) {
    const { config } = options;
    this.log = options.log?.child({ component: 'llm' });
    this.client =
      options.client ??
      new LlmClient({
        apiKey: config.apiKey,
        baseUrl: config.baseUrl,
        model: config.model,
        timeoutMs: config.timeoutMs,
        maxRetries: config.maxRetries,
        log: this.log,
        clock: options.clock,
        recordUsage: options.recordUsage,
        sdk: options.sdk,
      });
    this.budget = new CallBudget(
      { perHour: config.maxCallsPerHour, perDay: config.maxCallsPerDay },
      {
        clock: options.clock,
        spent: options.spent,
        onExhausted: (s) => {
          this.log?.warn({ budget: s }, 'model call cap reached; cards are written offline until it frees up');
          options.onBudgetExhausted?.(s);
        },
        onRestored: (s) => {
          this.log?.info({ budget: s }, 'model call budget available again');
          options.onBudgetRestored?.(s);
        },
      },
    );
  }

  /**
   * Whether a post deserves a model call: the cascade's gate, also used by the benchmark. A candidate must score
   * at least `minScore`; a post triage is unsure of (the uncertain band) and a severe risk (which reach only
   * ranks, so a small account's scores low) are always asked about.
   */
  reachesModel(input: AnalyseInput): boolean {
    const t = input.triage;
    return t.uncertain !== undefined || policyKeepsCard(t) || t.score >= this.options.config.minScore;
  }

  budgetStatus(): BudgetStatus {
    return this.budget.status();
  }

  async analyse(input: AnalyseInput): Promise<Analysis> {
    const s = await this.screen(input, { mayDismiss: false });
    // Not dismissable, so there is always a card; the fallback keeps the type honest.
    return s.card ?? this.options.fallback.analyse(input);
  }

  /**
   * The card, or the model's word that none is needed. A post from the uncertain band is a card only when the
   * model says so: when it cannot be asked (cap reached, model down, unusable answer) triage's own reading stands
   * and no card is made.
   */
  async screen(input: AnalyseInput, { mayDismiss }: { mayDismiss: boolean }): Promise<Screening> {
    const unsure = input.triage.uncertain !== undefined;
    if (!this.reachesModel(input)) return { card: await this.options.fallback.analyse(input) };
    const usage = this.options.usage();
    const policy = { kind: input.triage.kind, signals: input.triage.signals, usage };
    const messages = analyseMessages(
      { post: input.post, kind: input.triage.kind, signals: input.triage.signals, lang: input.triage.lang },
      {
        brand: this.options.brand,
        eligible: eligibleGestures(this.options.catalogue, policy),
        redact: this.options.config.redact,
      },
    );
    const answer = await this.ask('analyse', AnalysisAnswerSchema, 'card', messages, (a) =>
      a.kind === 'none' || (a.summary.trim() && a.reply.trim()) ? null : 'summary or reply is empty',
    );
    if (!answer.ok) {
      if (unsure) return { card: null, why: `Not asked: ${answer.note.replace(/^Written offline: /, '')}` };
      return { card: await this.offline(input, answer.note) };
    }

    const a = answer.value;
    const notes: string[] = [];
    if (a.kind === 'none') {
      if (mayDismiss || unsure) return { card: null, why: internal(a.why || a.summary, 600) || 'The model sees no card here.' };
      notes.push('The model sees no card here; policy keeps it (a severe harm is a risk whatever the model says).');
    }
    const enforced = enforceGesture(this.options.catalogue, policy, a.gesture, (g) => `From the catalogue: ${g.fits}`);
    if (enforced.replaced) notes.push(enforced.replaced);
    if (enforced.gesture) enforced.gesture.fairness = internal(enforced.gesture.fairness, MAX_ITEM_CHARS);

    // Drafts: fan-facing text gets every check; a failing draft is replaced by the offline analyst's. The offline
    // card also gives what the post itself says (facts, routes) and the language the drafts must be in.
    const allowed = [...handlesIn(input.post.text), input.post.author.handle, ...(this.options.brand.handles ?? [])];
    const upgradeAllowed = enforced.gesture?.id.includes('upgrade') ?? false;
    let offline: Promise<Analysis> | undefined;
    const offlineCard = () => (offline ??= this.options.fallback.analyse(input));
    const facts = factsOf(input.post.text, input.post.author);
    // What the post itself says and where it goes, as the offline analyst reads it (no template rendered).
    const fallback = this.options.fallback;
    const own = fallback instanceof OfflineAnalyst ? fallback.context(input.post, input.triage.kind, input.triage.signals, input.triage.lang) : undefined;
    const brandLangs = this.options.brand.languages;
    const rules: DraftRules = {
      lang: own?.lang ?? (brandLangs.includes(input.triage.lang) ? input.triage.lang : brandLangs[0]),
      grievance: input.triage.signals.includes('complaint') || facts.grievance,
      customer: facts.role === 'customer' && !facts.speaksFor,
    };
    const checks = { allowed, upgradeAllowed, rules };
    const reply = (await this.checkDraft(a.reply, 'reply', checks, notes, async () => (await offlineCard()).reply)) ?? '';
    // A risk is never told in public, nor a surprise before it happened, nor someone else's case.
    const noPublic = input.triage.kind === 'risk' || facts.surprise || !rules.customer;
    if (noPublic && a.publicPost?.trim()) notes.push("Dropped the model's public post: a risk, a surprise or someone else's case is not told in public.");
    const publicPost =
      noPublic || a.publicPost === null || !a.publicPost.trim()
        ? null
        : await this.checkDraft(a.publicPost, 'public post', checks, notes, async () => (await offlineCard()).publicPost);

    if (a.kind !== 'none' && a.kind !== input.triage.kind) notes.push(`The model reads this as a ${a.kind}, not a ${input.triage.kind}.`);
    const extra = a.signals.filter(
      (s): s is Signal => (SIGNALS as readonly string[]).includes(s) && !input.triage.signals.includes(s as Signal),
    );
    if (extra.length) notes.push(`The model also sees: ${extra.slice(0, 4).join(', ')}.`);

    return {
      card: {
        summary: internal(a.summary, 600),
        why: internal(a.why, 600),
        gesture: enforced.gesture,
        reply,
        publicPost,
        verifyFirst: a.verifyFirst.slice(0, MAX_ITEMS).map((s) => internal(s, MAX_ITEM_CHARS)).filter(Boolean),
        risks: a.risks.slice(0, MAX_ITEMS).map((s) => internal(s, MAX_ITEM_CHARS)).filter(Boolean),
        analyst: 'llm',
        notes,
        facts: own?.facts,
        routes: own?.routes,
        lang: rules.lang,
      },
    };
  }

  /** Drafts for /draft and Regenerate: the same budget and the same checks as a card's drafts. */
  async draft(request: DraftRequest): Promise<Drafts> {
    const purpose = request.feedback === undefined ? 'draft' : 'regenerate';
    const messages = draftMessages(request, { brand: this.options.brand, redact: this.options.config.redact });
    const answer = await this.ask(purpose, DraftAnswerSchema, 'drafts', messages, (a) =>
      a.reply.trim() || a.publicPost?.trim() ? null : 'both drafts are empty',
    );
    if (!answer.ok) {
      const d = await this.options.fallback.draft(request);
      return { ...d, notes: [...d.notes, answer.note] };
    }
    const notes: string[] = [];
    const allowed = [...handlesIn(request.text), ...(this.options.brand.handles ?? [])];
    const opts = { allowed, upgradeAllowed: false };
    let offline: Promise<Drafts> | undefined;
    const offlineDrafts = () => (offline ??= this.options.fallback.draft(request));
    const reply = answer.value.reply.trim()
      ? ((await this.checkDraft(answer.value.reply, 'reply', opts, notes, async () => (await offlineDrafts()).reply)) ?? '')
      : '';
    const post = answer.value.publicPost;
    const publicPost =
      post === null || !post.trim()
        ? null
        : await this.checkDraft(post, 'public post', opts, notes, async () => (await offlineDrafts()).publicPost);
    return { reply, publicPost, analyst: 'llm', notes };
  }

  /**
   * A few sentences on the day for the digest, from facts the digest composes; null when the model may not or
   * cannot answer (the digest then goes without).
   */
  async summariseDay(input: { day: string; facts: string }): Promise<string | null> {
    const messages = digestMessages(input, { brand: this.options.brand, redact: this.options.config.redact });
    const answer = await this.ask('digest', DigestAnswerSchema, 'digest', messages, (a) =>
      a.summary.trim() ? null : 'empty summary',
    );
    if (!answer.ok) return null;
    return internal(answer.value.summary, 1500);
  }

  private async offline(input: AnalyseInput, note: string): Promise<Analysis> {
    const card = await this.options.fallback.analyse(input);
    return { ...card, notes: [...card.notes, note] };
  }

  /**
   * One call, and one more when the answer was unusable (refused, invalid, incomplete). A transport failure
   * has been retried by the SDK already, so it goes straight to the fallback. Each call takes from the budget.
   */
  private async ask<S extends z.ZodType>(
    purpose: 'analyse' | 'draft' | 'regenerate' | 'digest',
    schema: S,
    name: string,
    messages: Messages,
    incomplete: (value: z.infer<S>) => string | null,
  ): Promise<Attempt<z.infer<S>>> {
    let last: Completion<z.infer<S>> | undefined;
    for (let attempt = 0; attempt < 2; attempt++) {
      if (!this.budget.tryTake()) {
        const s = this.budget.status();
        const cap = s.cap === 'day' ? `${s.limits.perDay} per day` : `${s.limits.perHour} per hour`;
        return { ok: false, note: `Written offline: the model call cap (${cap}) is reached.` };
      }
      last = await this.client.complete(purpose, schema, name, messages);
      if (last.ok) {
        const missing = incomplete(last.value);
        if (missing === null) return last;
        last = { ok: false, outcome: 'incomplete', detail: missing };
      }
      this.log?.warn({ purpose, outcome: last.outcome, detail: last.detail, attempt }, 'unusable model answer');
      if (last.outcome === 'error') {
        return { ok: false, note: `Written offline: the model was unavailable (${last.detail}).` };
      }
    }
    const why = last && !last.ok ? `${last.outcome}: ${last.detail}` : 'no answer';
    return { ok: false, note: `Written offline: the model's answer was unusable twice (${why.slice(0, 120)}).` };
  }

  /** Checks one fan-facing draft; returns it (cleaned, fitted to X) or the fallback's, noting what changed. */
  private async checkDraft(
    text: string,
    label: 'reply' | 'public post',
    opts: { allowed: readonly string[]; upgradeAllowed: boolean; rules?: DraftRules },
    notes: string[],
    fallback: () => Promise<string | null>,
  ): Promise<string | null> {
    const mentions = stripMentions(text);
    const tags = untagStrangers(mentions.text, opts.allowed);
    if (mentions.changed || tags.changed) notes.push(`Removed mentions from the model's ${label}.`);
    const promise = findPromise(tags.text, { upgradeAllowed: opts.upgradeAllowed });
    const broken = opts.rules ? draftProblem(tags.text, opts.rules, (t) => this.options.reading.language(t)) : null;
    if (promise.problem || broken) {
      notes.push(
        promise.problem
          ? `The model's ${label} promised what only the team can decide (${promise.problem.slice(0, 60)}); replaced by the offline draft.`
          : `The model's ${label} ${broken}; replaced by the offline draft.`,
      );
      const replacement = await fallback();
      return replacement === null ? null : fitToLength(stripMentions(replacement).text, X_MAX_CHARS);
    }
    const fitted = fitToLength(tags.text, X_MAX_CHARS);
    if (fitted !== tags.text.trim()) notes.push(`The model's ${label} was shortened to fit X.`);
    return fitted;
  }
}

/** Team-facing text from the model: no pings, bounded length. */
function internal(text: string, max: number): string {
  const t = stripMentions(text).text.trim();
  return [...t].length <= max ? t : `${[...t].slice(0, max - 1).join('').trimEnd()}…`;
}
