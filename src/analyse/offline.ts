import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { z } from 'zod';
import { X_MAX_CHARS, type Analysis, type DraftRequest, type Drafts } from '../domain/analysis';
import { describeIssues, engagement, type Post } from '../domain/post';
import type { Signal, Triage } from '../domain/verdict';
import { LEX } from '../detect/lexicon';
import { normalise } from '../detect/triage';
import type { AnalyseInput, Analyst } from './analyst';
import { PROMPTS_DIR, type Gesture } from './catalogue';
import { chooseGesture, toProposed, type GestureUsage } from './policy';
import { render } from './template';
import { fitToLength, greetingName, neutraliseMentions } from './text';

// Strongest first. A moment at stake comes before the celebrations: "flight cancelled and my sister's wedding is
// saturday" fires 'life-event' too, and must be written as a rescue, never as a congratulation.
const OPPORTUNITY_SITUATIONS = ['dilemma', 'at-stake', 'fan-creation', 'gratitude-story', 'milestone', 'life-event'] as const;
// Harm to a person first, then what the law, the press or a crowd will do with it, then reach-driven grievances.
const RISK_SITUATIONS = [
  'discrimination',
  'assault',
  'safety',
  'health-emergency',
  'data-breach',
  'legal',
  'press',
  'compassion',
  'call-to-spread',
  'accusation',
  'complaint',
] as const;
type Situation = (typeof OPPORTUNITY_SITUATIONS)[number] | (typeof RISK_SITUATIONS)[number];
const SITUATIONS = [...OPPORTUNITY_SITUATIONS, ...RISK_SITUATIONS] as const;

const byLang = z.object({ en: z.string(), nl: z.string() });
const perSituation = <T extends z.ZodType>(t: T) => z.object(Object.fromEntries(SITUATIONS.map((s) => [s, t])) as Record<Situation, T>);
const TemplatesSchema = z.object({
  summary: perSituation(z.string()),
  why: z.record(z.string(), z.string()),
  reply: perSituation(byLang).extend({ generic: byLang }),
  publicPost: z.record(z.string(), z.string()),
  fairness: z.record(z.string(), z.string()),
  verifyFirst: perSituation(z.array(z.string())),
  risks: perSituation(z.array(z.string())),
});
export type OfflineTemplates = z.infer<typeof TemplatesSchema>;

export function loadOfflineTemplates(path = `${PROMPTS_DIR}offline.yaml`): OfflineTemplates {
  const parsed = TemplatesSchema.safeParse(parse(readFileSync(path, 'utf8')));
  if (!parsed.success) throw new Error(`${path}: ${describeIssues(parsed.error)}`);
  return parsed.data;
}

/** Signals of a celebration: on a card about a moment at stake they never pick the gesture (a rescue, not a party). */
const CELEBRATION: readonly Signal[] = ['milestone', 'life-event'];

/** The situation a card is written for: its strongest signal for its kind. */
export function situationOf(kind: 'opportunity' | 'risk', signals: readonly Signal[]): Situation {
  const order: readonly Situation[] = kind === 'risk' ? RISK_SITUATIONS : OPPORTUNITY_SITUATIONS;
  return order.find((s) => signals.includes(s)) ?? (kind === 'risk' ? 'accusation' : 'life-event');
}

// Words that point at an event without naming it: a named one ("Elfstedentocht") is preferred when both appear.
const GENERIC_EVENT = /^(?:start ?(?:ticket|bewijs|kaart)|startbewijs|finish|the final|de finale|(?:afscheids)?concert|festival)$/;

/** The dated moment a post speaks of ("Elfstedentocht"), as the fan wrote it. */
export function eventOf(text: string, lang: string): string {
  const global = new RegExp(LEX.culturalEvent.source, 'gu');
  const terms = [...normalise(text).matchAll(global)].map((m) => m[0].replace(/^[^\p{L}\p{N}]/u, '').trim()).filter(Boolean);
  const term = terms.find((t) => !GENERIC_EVENT.test(t)) ?? terms[0];
  if (!term) return lang === 'nl' ? 'dit bijzondere moment' : 'this special moment';
  return term.charAt(0).toUpperCase() + term.slice(1);
}

export interface OfflineAnalystOptions {
  catalogue: readonly Gesture[];
  brand: { name: string };
  /** Gesture usage this month, for caps; read per card. */
  usage: () => GestureUsage;
  templates?: OfflineTemplates;
  /** Triage for /draft on pasted text (to pick the situation). */
  triage?: (post: Post) => Triage;
  now?: () => Date;
}

/** Writes cards from the templates in prompts/offline.yaml: no network, no model, always available. */
export class OfflineAnalyst implements Analyst {
  readonly name = 'offline' as const;
  private readonly t: OfflineTemplates;

  constructor(private readonly opts: OfflineAnalystOptions) {
    this.t = opts.templates ?? loadOfflineTemplates();
  }

  async analyse({ post, triage }: AnalyseInput): Promise<Analysis> {
    return this.write(post, triage.kind, triage.signals, triage.lang);
  }

  /** Synchronous core, shared by analyse() and draft(). */
  write(post: Post, kind: 'opportunity' | 'risk', signals: readonly Signal[], lang: string): Analysis {
    const situation = situationOf(kind, signals);
    const vars = this.vars(post, lang);
    const r = (tpl: string, name: string) => render(tpl, vars, name);

    // Pair each template with its own signal, so an error names the template it is in.
    const why = signals.flatMap((s) => {
      const tpl = this.t.why[s];
      return tpl ? [r(tpl, `why.${s}`)] : [];
    });
    // The gesture answers the situation the card is written for (a dilemma gets the rebooking, not the cheapest
    // gesture matching a side signal such as the honeymoon); the other signals only when none fits the situation,
    // and for a moment at stake never the celebration ones (a wedding at stake gets no crew card or gift).
    const policy = { kind, usage: this.opts.usage() };
    const others = situation === 'at-stake' ? signals.filter((s) => !CELEBRATION.includes(s)) : signals;
    const gesture =
      (signals.includes(situation) ? chooseGesture(this.opts.catalogue, { ...policy, signals: [situation] }) : null) ??
      chooseGesture(this.opts.catalogue, { ...policy, signals: others });
    // The public post tells the story of the gesture given; a stand-in gesture must not come with its promise.
    const publicTemplate =
      gesture?.publicStory && kind === 'opportunity' && gesture.signals.includes(situation) ? this.t.publicPost[situation] : undefined;

    return {
      summary: r(this.t.summary[situation], `summary.${situation}`),
      why: why.length ? capitalise(`${why.join('; ')}.`) : 'Triage flagged it.',
      gesture: gesture
        ? toProposed(gesture, r(this.t.fairness[gesture.id] ?? 'Within the catalogue and its monthly cap.', `fairness.${gesture.id}`))
        : null,
      reply: fitToLength(r(this.t.reply[situation][lang === 'nl' ? 'nl' : 'en'], `reply.${situation}`), X_MAX_CHARS),
      publicPost: publicTemplate ? fitToLength(r(publicTemplate, `publicPost.${situation}`), X_MAX_CHARS) : null,
      verifyFirst: this.t.verifyFirst[situation].map((x) => r(x, `verifyFirst.${situation}`)),
      risks: this.t.risks[situation].map((x) => r(x, `risks.${situation}`)),
      analyst: 'offline',
      notes: [],
    };
  }

  async draft(request: DraftRequest): Promise<Drafts> {
    const post: Post = {
      id: 'draft',
      platform: 'draft',
      author: { handle: 'fan', followers: 0 },
      text: request.text,
      createdAt: (this.opts.now?.() ?? new Date()).toISOString(),
      lang: request.lang,
    };
    const triage = this.opts.triage?.(post);
    const vars = this.vars(post, request.lang);
    const lang = request.lang === 'nl' ? 'nl' : 'en';
    if (triage && (triage.kind === 'opportunity' || triage.kind === 'risk')) {
      const a = this.write(post, triage.kind, triage.signals, request.lang);
      const situation = situationOf(triage.kind, triage.signals);
      const publicPost = a.publicPost ?? (this.t.publicPost[situation] ? render(this.t.publicPost[situation] as string, vars) : null);
      return { reply: a.reply, publicPost: request.kind === 'announcement' ? publicPost : a.publicPost, analyst: 'offline', notes: [] };
    }
    return {
      reply: fitToLength(render(this.t.reply.generic[lang], vars, 'reply.generic'), X_MAX_CHARS),
      publicPost: request.kind === 'announcement' ? render(this.t.publicPost.generic ?? '', vars, 'publicPost.generic') : null,
      analyst: 'offline',
      notes: [],
    };
  }

  private vars(post: Post, lang: string): Record<string, string | number> {
    const m = engagement(post);
    return {
      brand: this.opts.brand.name,
      handle: noMassMention(post.author.handle.replace(/[^A-Za-z0-9_]/g, '').slice(0, 30) || 'fan'),
      name: neutraliseMentions(greetingName(post.author.name, post.author.handle)),
      event: eventOf(post.text, lang),
      followers: post.author.followers.toLocaleString('en-US'),
      reposts: (m.reposts + m.quotes).toLocaleString('en-US'),
    };
  }
}

/** "everyone" and "here" are valid X handles, but after the templates' "@" they are Discord mass mentions. */
function noMassMention(handle: string): string {
  return /^(?:everyone|here)$/i.test(handle) ? `\u200b${handle}` : handle;
}

function capitalise(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}
