import { X_MAX_CHARS, type Analysis, type DraftRequest, type Drafts } from '../domain/analysis';
import { engagement, type Post } from '../domain/post';
import type { Signal, Triage } from '../domain/verdict';
import type { TextReading } from '../domain/reading';
import type { AnalyseInput, Analyst } from './analyst';
import { loadBrandSettings, type BrandPack, type BrandSettings, type RouteKey } from './brand-pack';
import type { Gesture } from './catalogue';
import { factLines, factsOf, personWords, relationIn, type Facts } from './facts';
import {
  loadOfflineTemplates,
  OPPORTUNITY_SITUATIONS,
  RISK_SITUATIONS,
  templateLanguages,
  type ByLang,
  type OfflineTemplates,
  type Situation,
} from './offline-templates';
import { chooseGesture, toProposed, type GestureUsage } from './policy';
import { render } from './template';
import { fitToLength, greetingName, neutraliseMentions } from './text';
import { grouped } from '../domain/numbers';

export { loadOfflineTemplates, type OfflineTemplates } from './offline-templates';

/** Signals of a celebration: on a card about a moment at stake they never pick the gesture (a rescue, not a party). */
const CELEBRATION: readonly Signal[] = ['milestone', 'life-event'];

/** The situation a card is written for: its strongest signal for its kind. */
/** Whether a situation is one of the post's signals (most situations are named after one; 'condolence' is not). */
function isSignal(signals: readonly Signal[], situation: Situation): situation is Situation & Signal {
  return (signals as readonly string[]).includes(situation);
}

export function situationOf(kind: 'opportunity' | 'risk', signals: readonly Signal[]): Situation {
  const order: readonly Situation[] = kind === 'risk' ? RISK_SITUATIONS : OPPORTUNITY_SITUATIONS;
  return order.find((s) => isSignal(signals, s)) ?? (kind === 'risk' ? 'accusation' : 'life-event');
}

// Words that point at an event without naming it: a named one ("Elfstedentocht") is preferred when both appear.
const GENERIC_EVENT = /^(?:start ?(?:ticket|bewijs|kaart)|startbewijs|finish|the final|de finale|(?:afscheids)?concert|festival)$/;

/**
 * The dated moment a post speaks of ("Elfstedentocht", "Champions League"), spelled as the fan or the calendar
 * spells it; found with detection's own event words.
 */
export function eventOf(
  text: string,
  lang: string,
  reading: Pick<TextReading, 'normalise' | 'eventWords'>,
  calendar: readonly { name: string; terms: readonly string[] }[] = [],
): string {
  const global = new RegExp(reading.eventWords.source, 'gu');
  const lower = reading.normalise(text);
  const terms = [...lower.matchAll(global)].map((m) => m[0].replace(/^[^\p{L}\p{N}]/u, '').trim()).filter(Boolean);
  const term = terms.find((t) => !GENERIC_EVENT.test(t)) ?? terms[0];
  if (!term) return lang === 'nl' ? 'dit bijzondere moment' : 'this special moment';
  const named = calendar.find((e) => e.name.toLowerCase() === term || e.terms.some((t) => t.toLowerCase() === term));
  if (named) return named.name;
  // The fan's own spelling when they capitalised it; else each word capitalised ("champions league" → "Champions League").
  const at = text.toLowerCase().indexOf(term);
  const written = at >= 0 ? text.slice(at, at + term.length) : term;
  if (written !== written.toLowerCase()) return written;
  return written.replace(/\p{L}+/gu, (w) => (w.length > 2 ? w.charAt(0).toUpperCase() + w.slice(1) : w));
}

/** What is at stake, in the draft's language ("huwelijksreis" in an English reply reads "the honeymoon"). */
const AT_STAKE_WORDS: Record<string, { en: string; nl: string }> = {
  wedding: { en: 'the wedding', nl: 'de bruiloft' }, bruiloft: { en: 'the wedding', nl: 'de bruiloft' }, huwelijk: { en: 'the wedding', nl: 'het huwelijk' },
  honeymoon: { en: 'the honeymoon', nl: 'de huwelijksreis' }, huwelijksreis: { en: 'the honeymoon', nl: 'de huwelijksreis' },
  funeral: { en: 'the funeral', nl: 'de uitvaart' }, begrafenis: { en: 'the funeral', nl: 'de begrafenis' }, uitvaart: { en: 'the funeral', nl: 'de uitvaart' },
  graduation: { en: 'the graduation', nl: 'de diploma-uitreiking' }, 'diploma-uitreiking': { en: 'the graduation', nl: 'de diploma-uitreiking' },
  birth: { en: 'the birth', nl: 'de bevalling' }, bevalling: { en: 'the birth', nl: 'de bevalling' },
  birthday: { en: 'the birthday', nl: 'de verjaardag' }, verjaardag: { en: 'the birthday', nl: 'de verjaardag' },
  anniversary: { en: 'the anniversary', nl: 'het jubileum' }, jubileum: { en: 'the anniversary', nl: 'het jubileum' },
  interview: { en: 'the interview', nl: 'het gesprek' }, sollicitatie: { en: 'the interview', nl: 'het sollicitatiegesprek' },
  exam: { en: 'the exam', nl: 'het examen' }, examen: { en: 'the exam', nl: 'het examen' },
  final: { en: 'the final', nl: 'de finale' }, finale: { en: 'the final', nl: 'de finale' }, concert: { en: 'the concert', nl: 'het concert' },
  afscheid: { en: 'the farewell', nl: 'het afscheid' }, christening: { en: 'the christening', nl: 'de doop' },
};

/** Where a card goes besides the social team, and the holding statement that replaces the service reply. */
export interface RouteChoice {
  key: RouteKey;
  holding: 'press' | 'legal' | 'safety' | null;
}

/** The teams a post concerns: the press office for journalists and the media, legal, safety, the privacy officer. */
export function routesOf(kind: 'opportunity' | 'risk', signals: readonly Signal[], facts: Facts, situation: Situation): RouteChoice[] {
  if (kind !== 'risk' && facts.role !== 'journalist') return [];
  const out: RouteChoice[] = [];
  if (signals.some((s) => s === 'safety' || s === 'assault' || s === 'health-emergency')) out.push({ key: 'safety', holding: situation === 'safety' ? 'safety' : null });
  if (signals.includes('data-breach')) out.push({ key: 'privacy', holding: null });
  if (signals.includes('legal')) out.push({ key: 'legal', holding: situation === 'legal' ? 'legal' : null });
  if (signals.includes('press') || facts.role === 'journalist') out.push({ key: 'press', holding: facts.role === 'journalist' ? 'press' : null });
  return out;
}

/** Signals of a celebration: never congratulated inside a complaint. */
const CELEBRATING_SITUATIONS: readonly Situation[] = ['milestone', 'life-event'];
/** The situations whose drafts speak of the person the moment is about, when the fan names one. */
const ABOUT_A_PERSON: readonly Situation[] = ['fan-creation', 'milestone', 'life-event', 'reassurance', 'compassion', 'health-emergency'];

export interface OfflineAnalystOptions {
  catalogue: readonly Gesture[];
  brand: { name: string; languages?: readonly string[] };
  /** Gesture usage this month, for caps; read per card. */
  usage: () => GestureUsage;
  templates?: OfflineTemplates;
  /** The brand pack's settings (words, emoji, sign-off, routes); the brand-neutral defaults otherwise. */
  settings?: BrandSettings;
  /** The calendar's events, for their names' own spelling. */
  events?: readonly { name: string; terms: readonly string[] }[];
  /** Detection's reading of a text: the event a post names is found with its words. */
  reading: Pick<TextReading, 'normalise' | 'eventWords'>;
  /** Triage for /draft on pasted text (to pick the situation). */
  triage?: (post: Post) => Triage;
  now?: () => Date;
}

/** Writes cards from the templates (prompts/offline.yaml and the brand pack's): no network, no model, always available. */
export class OfflineAnalyst implements Analyst {
  readonly name = 'offline' as const;
  private readonly t: OfflineTemplates;
  private readonly settings: BrandSettings;

  constructor(private readonly opts: OfflineAnalystOptions) {
    this.t = opts.templates ?? loadOfflineTemplates();
    this.settings = opts.settings ?? loadBrandSettings();
  }

  async analyse({ post, triage }: AnalyseInput): Promise<Analysis> {
    return this.write(post, triage.kind, triage.signals, triage.lang);
  }

  /** The language drafts are written in: the fan's when the brand speaks it and has templates for it, else the brand's first. */
  languageFor(lang: string): string {
    const have = templateLanguages(this.t);
    const speaks = this.opts.brand.languages ?? this.settings.languages ?? have;
    if (speaks.includes(lang) && have.includes(lang)) return lang;
    return speaks.find((l) => have.includes(l)) ?? (have.includes('en') ? 'en' : (have[0] as string));
  }

  /** What a card for this post says beside its drafts: the facts from the post, the routes, the drafts' language. */
  context(post: Post, kind: 'opportunity' | 'risk', signals: readonly Signal[], lang: string): Pick<Analysis, 'facts' | 'routes' | 'lang'> {
    const facts = factsOf(post.text, post.author);
    const routes = routesOf(kind, signals, facts, situationOf(kind, signals));
    return { facts: factLines(facts), routes: routes.map((x) => this.routeLabel(x.key, 'en')), lang: this.languageFor(lang) };
  }

  /** Synchronous core, shared by analyse() and draft(). */
  write(post: Post, kind: 'opportunity' | 'risk', signals: readonly Signal[], lang: string): Analysis {
    const facts = factsOf(post.text, post.author);
    let situation = situationOf(kind, signals);
    // Triage named no moment: the words pick the template (something made, thanks for help), never a congratulation by default.
    if (kind === 'opportunity' && !OPPORTUNITY_SITUATIONS.some((s) => isSignal(signals, s)) && facts.cue) {
      situation = facts.cue === 'creation' ? 'fan-creation' : 'gratitude-story';
    }
    // A complaint is never congratulated: a celebration inside one is written as a moment to rescue.
    if (kind === 'opportunity' && (signals.includes('complaint') || facts.grievance) && CELEBRATING_SITUATIONS.includes(situation)) {
      situation = 'at-stake';
    }
    // A trip that comes with a loss is met with condolences, never a congratulation, and nothing in public.
    if (kind === 'opportunity' && facts.grief && (CELEBRATING_SITUATIONS.includes(situation) || situation === 'at-stake')) situation = 'condolence';
    // A first told with nerves ("first time flying alone and a bit nervous") is met with reassurance, not a party.
    if (kind === 'opportunity' && facts.nervous && CELEBRATING_SITUATIONS.includes(situation)) situation = 'reassurance';
    // A surprise being planned is the moment of the person it is for, not a thank-you story.
    if (kind === 'opportunity' && facts.surprise && situation === 'gratitude-story') {
      situation = signals.includes('milestone') ? 'milestone' : signals.includes('life-event') ? 'life-event' : situation;
    }
    const draftLang = this.languageFor(lang);
    const person = facts.person && ABOUT_A_PERSON.includes(situation) ? facts.person : undefined;
    const routes = routesOf(kind, signals, facts, situation);
    const vars = this.vars(post, draftLang, facts, person, routes[0]?.key ?? 'safety', situation);
    const r = (tpl: string, name: string, v = vars) => tidy(render(tpl, v, name));
    const pick = (byLang: ByLang, name: string, l = draftLang, v = vars) => {
      const entry = byLang[l] as ByLang[string];
      const text = typeof entry === 'string' ? entry : person ? entry.other : entry.self;
      return r(text, `${name}.${l}`, v);
    };

    // Pair each template with its own signal, so an error names the template it is in.
    const why = signals.flatMap((s) => {
      const tpl = this.t.why[s];
      return tpl ? [r(tpl, `why.${s}`)] : [];
    });
    // The gesture answers the situation the card is written for (a dilemma gets the rebooking, not the cheapest
    // gesture matching a side signal such as the honeymoon); the other signals only when none fits the situation,
    // and for a moment at stake never the celebration ones (a wedding at stake gets no crew card or gift).
    const policy = { kind, usage: this.opts.usage() };
    const others = situation === 'at-stake' || situation === 'condolence' ? signals.filter((s) => !CELEBRATION.includes(s)) : signals;
    const gesture =
      (isSignal(signals, situation) ? chooseGesture(this.opts.catalogue, { ...policy, signals: [situation] }) : null) ??
      chooseGesture(this.opts.catalogue, { ...policy, signals: others });

    // The reply: to a journalist the press office's holding line, to someone speaking up for another's case a
    // thank-you that takes it up with that person, a holding statement where legal or safety lead, a surprise kept.
    const holding = facts.speaksFor ? null : facts.role === 'journalist' ? 'press' : (routes.find((x) => x.holding)?.holding ?? null);
    const replyText = facts.speaksFor
      ? pick(this.t.amplifier, 'amplifier')
      : holding !== null
        ? pick(this.t.holding[holding], `holding.${holding}`)
          : kind === 'opportunity' && facts.surprise
            ? pick(this.t.surprise, 'surprise')
            : pick(this.t.reply[situation], `reply.${situation}`);

    // The public post tells the story of the gesture given, after the fan agreed; a stand-in gesture must not come
    // with its promise, a risk has none, and a surprise gets none before it has happened.
    // Nor has the story of someone who is not the teller's own (a journalist, a columnist speaking up for a case).
    const tells =
      gesture?.publicStory && kind === 'opportunity' && isSignal(gesture.signals, situation) && !facts.surprise && facts.role === 'customer';
    const story = tells ? this.t.publicPost[situation] : undefined;
    let publicPost: string | null = null;
    if (story) {
      publicPost = fitToLength(pick(story, `publicPost.${situation}`), X_MAX_CHARS);
      const second = this.settings.bilingualPublicPost ? this.secondLanguage(draftLang) : undefined;
      if (second) {
        const v2 = this.vars(post, second, facts, person, routes[0]?.key ?? 'safety', situation);
        publicPost = `${publicPost}\n\n${fitToLength(pick(story, `publicPost.${situation}`, second, v2), X_MAX_CHARS)}`;
      }
    }

    const fairness = gesture ? this.fairness(gesture, facts, vars) : '';
    const handle = String(vars.handle);
    const verifyFirst = this.t.verifyFirst[situation].map((x) => r(x, `verifyFirst.${situation}`));
    if (facts.surprise) verifyFirst.unshift(`A surprise: speak only to @${handle} (in DM), and nothing in public before it has happened.`);
    if (facts.role === 'journalist') verifyFirst.unshift('Not a customer: the press office answers; ask for no booking or order.');
    if (facts.speaksFor) verifyFirst.unshift('The author speaks up for someone else: find the person it is about and reach out to them.');
    if (publicPost) verifyFirst.push(`The public post goes out only after @${handle} agrees${person ? ` (and ${person.name ?? `their ${vars.relation}`}, whose moment it is)` : ''}.`);
    const notes: string[] = [];
    if (draftLang !== lang) notes.push(`The post is in ${lang}; the drafts are in ${draftLang}, a language the brand speaks.`);

    const summary = r(this.t.summary[situation], `summary.${situation}`);
    return {
      summary: facts.speaksFor ? `Speaks up for someone else's case: @${handle} (${vars.followers} followers, ${vars.reposts} reposts)` : summary,
      why: why.length ? capitalise(`${why.join('; ')}.`) : 'Triage flagged it.',
      gesture: gesture ? toProposed(gesture, fairness) : null,
      reply: fitToLength(replyText, X_MAX_CHARS),
      publicPost,
      verifyFirst,
      risks: this.t.risks[situation].map((x) => r(x, `risks.${situation}`)),
      analyst: 'offline',
      notes,
      facts: factLines(facts),
      routes: routes.map((x) => this.routeLabel(x.key, 'en')),
      lang: draftLang,
    };
  }

  /** The gesture's fairness line, and what the fan says it costs them beside what it costs us. */
  private fairness(gesture: Gesture, facts: Facts, vars: Record<string, string | number>): string {
    const base = tidy(render(this.t.fairness[gesture.id] ?? 'Within the catalogue and its monthly cap.', vars, `fairness.${gesture.id}`));
    const amount = facts.amounts.find((a) => a.eur !== undefined && a.eur > gesture.costEur) ?? facts.amounts[0];
    if (!amount) return base;
    const line = render(
      this.t.fairnessAmount,
      { ...vars, amount: amount.text, amountContext: neutraliseMentions(amount.context.slice(0, 80)), cost: gesture.costEur },
      'fairnessAmount',
    );
    // A bare figure needs no quote of itself: "£1,200 (“£1,200”)" reads as a glitch.
    return `${base} ${tidy(amount.context === amount.text ? line.replace(/\s*\(“[^”]*”\)/, '') : line)}`;
  }

  /** The brand's other language for a bilingual public post. */
  private secondLanguage(lang: string): string | undefined {
    const have = templateLanguages(this.t);
    const speaks = this.opts.brand.languages ?? this.settings.languages ?? [];
    return speaks.find((l) => l !== lang && have.includes(l));
  }

  private routeLabel(key: RouteKey, lang: string): string {
    const r = this.settings.routes[key];
    const team = r.team[lang] ?? r.team.en ?? key;
    return r.contact ? `${team} (${r.contact})` : team;
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
    const lang = this.languageFor(request.lang);
    const facts = factsOf(post.text, post.author);
    const vars = this.vars(post, lang, facts, undefined, 'safety');
    const pick = (byLang: ByLang, name: string) => {
      const entry = byLang[lang] as ByLang[string];
      return tidy(render(typeof entry === 'string' ? entry : entry.self, vars, `${name}.${lang}`));
    };
    if (triage && (triage.kind === 'opportunity' || triage.kind === 'risk')) {
      const a = this.write(post, triage.kind, triage.signals, request.lang);
      const situation = situationOf(triage.kind, triage.signals);
      const story = this.t.publicPost[situation];
      const publicPost = a.publicPost ?? (story && triage.kind === 'opportunity' ? pick(story, `publicPost.${situation}`) : null);
      return { reply: a.reply, publicPost: request.kind === 'announcement' ? publicPost : a.publicPost, analyst: 'offline', notes: a.notes };
    }
    const generic = this.t.publicPost.generic;
    return {
      reply: fitToLength(pick(this.t.reply.generic, 'reply.generic'), X_MAX_CHARS),
      publicPost: request.kind === 'announcement' && generic ? pick(generic, 'publicPost.generic') : null,
      analyst: 'offline',
      notes: [],
    };
  }

  private vars(
    post: Post,
    lang: string,
    facts: Facts,
    person: Facts['person'],
    route: RouteKey,
    situation?: Situation,
  ): Record<string, string | number> {
    const m = engagement(post);
    const handle = noMassMention(post.author.handle.replace(/[^A-Za-z0-9_]/g, '').slice(0, 30) || 'fan');
    const words = this.settings.words[lang] ?? this.settings.words.en ?? { reference: 'reference number', staff: 'colleagues', customer: 'customer' };
    const nl = lang === 'nl';
    const p = person ? personWords(person, lang, handle) : undefined;
    const stake = facts.atStake ? AT_STAKE_WORDS[facts.atStake.toLowerCase()] : undefined;
    // Whose it is at stake: "your sister's wedding" / "de bruiloft van je zus" (the teller's own when no one is named).
    const owner = facts.person && situation === 'at-stake' ? facts.person : undefined;
    const stakeIn = (l: 'en' | 'nl', perspective: 'fan' | 'team') => {
      if (!stake) return l === 'nl' ? 'dit' : 'this';
      const noun = stake[l].replace(/^(?:the|de|het) /, '');
      if (!owner) return stake[l];
      const rel = relationIn(owner, l);
      if (l === 'nl') return `de ${noun} van je ${rel}`;
      return `${perspective === 'fan' ? 'your' : 'their'} ${rel}'s ${noun}`;
    };
    const routeTeam = this.settings.routes[route].team;
    const contact = this.settings.routes[route].contact;
    return {
      brand: this.opts.brand.name,
      handle,
      name: neutraliseMentions(greetingName(post.author.name, post.author.handle)),
      event: eventOf(post.text, lang, this.opts.reading, this.opts.events),
      followers: grouped(post.author.followers),
      reposts: grouped(m.reposts + m.quotes),
      reference: words.reference,
      staff: words.staff,
      customer: words.customer,
      emoji: this.settings.emoji,
      signOff: this.settings.signOff[lang] ?? '',
      who: neutraliseMentions(p?.who ?? (nl ? 'hen' : 'them')),
      them: p?.them ?? (nl ? 'hen' : 'them'),
      whoPublic: neutraliseMentions(p?.whoPublic ?? `@${handle}`),
      subject: neutraliseMentions(p?.subject ?? `@${handle}`),
      relation: p?.relationEn ?? '',
      plans: stake ? (nl ? stake.nl : stake.en) : nl ? 'een boeking' : 'a booking',
      atStake: stakeIn(nl ? 'nl' : 'en', 'fan'),
      stakeTeam: stake ? stakeIn('en', 'team') : 'something that matters',
      plansTeam: stake ? stakeIn('en', 'team') : 'a booking',
      routeTeam: routeTeam[lang] ?? routeTeam.en ?? route,
      routeContact: contact ? ` (${contact})` : '',
      // The fairness line's figures (see fairness()); empty when the post names no amount.
      amount: facts.amounts[0]?.text ?? '',
      amountContext: neutraliseMentions(facts.amounts[0]?.context.slice(0, 80) ?? ''),
      cost: '',
    };
  }
}

/** A rendered line without the gaps an empty setting leaves ("do both.  " when there is no emoji or sign-off). */
function tidy(s: string): string {
  return s.replace(/[ \t]{2,}/g, ' ').replace(/ +([.,!?;:])(?=\s|$)/g, '$1').trim();
}

/** "everyone" and "here" are valid X handles, but after the templates' "@" they are Discord mass mentions. */
function noMassMention(handle: string): string {
  return /^(?:everyone|here)$/i.test(handle) ? `\u200b${handle}` : handle;
}

function capitalise(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}

/**
 * The offline analyst for a brand: the pack's catalogue, templates and words, the config's identity, and the
 * calendar and reading detection hands in.
 */
export function offlineAnalystFor(
  config: { brand: OfflineAnalystOptions['brand'] & { bilingualPublicPost?: boolean } },
  pack: BrandPack,
  opts: Pick<OfflineAnalystOptions, 'usage' | 'triage' | 'now' | 'events' | 'reading'>,
): OfflineAnalyst {
  return new OfflineAnalyst({
    ...opts,
    catalogue: pack.catalogue,
    templates: pack.templates,
    settings: { ...pack.settings, bilingualPublicPost: config.brand.bilingualPublicPost ?? pack.settings.bilingualPublicPost },
    brand: config.brand,
  });
}
