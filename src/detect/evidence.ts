import type { Post } from '../domain/post';
import type { Kind, Signal } from '../domain/verdict';
import type { TriageContext } from './context';
import { hashtagWords } from './hashtags';
import { detectLanguage } from './lang';
import { FIRST_IN_A_WHILE, GENERIC_KINDNESS, LEX, MADE_IT } from './lexicon';
import { createBrandMasker, createBrandScope } from './scope';
import { severeSignals } from './severity';

/** Lower-cased text with URLs dropped and hashtags unwrapped into their words, which every pattern runs on. */
export function normalise(text: string): string {
  // Each replace runs only when its text can occur: most posts have no link, hashtag or curly quote, and a
  // replace that finds nothing still scans the whole text.
  let out = text.includes('http') ? text.replace(/https?:\/\/\S+/g, ' ') : text;
  if (out.includes('#')) out = out.replace(/#(\w+)/g, (_, tag: string) => ` ${hashtagWords(tag)} `);
  if (out.includes('’') || out.includes('‘')) out = out.replace(/[’‘]/g, "'");
  // The rules join words with one space: "support for #disabled" unwrapped, a line break or a double space between
  // two words must read as "support for disabled", or no phrase across them matches.
  if (UNEVEN_SPACE.test(out)) out = out.replace(UNEVEN_SPACES, ' ');
  return out.toLowerCase();
}

/** Whitespace other than one plain space: a run of two or more, or a line break, tab or other space character. */
const UNEVEN_SPACE = /\s\s|[^\S ]/;
const UNEVEN_SPACES = /\s{2,}|[^\S ]/g;

/** Whether normalise() changes more than the case: a link, a hashtag, a curly quote or uneven spacing. */
function normalisesBeyondCase(text: string): boolean {
  return text.includes('http') || text.includes('#') || text.includes('’') || text.includes('‘') || UNEVEN_SPACE.test(text);
}

/** The text the rules read, watch and rising terms included: normalised, lower case (see createEvidence). */
export function readText(postText: string, lower = postText.toLowerCase()): string {
  return normalisesBeyondCase(postText) ? normalise(postText) : lower;
}

const clamp = (x: number) => Math.max(0, Math.min(1, x));

/**
 * How far a post can travel: its author's audience and what it has already done. 0 for an account of a few
 * followers and no reposts, about 0.4 for 200 followers, about 0.9 for 200,000 or thousands of reposts.
 */
export function reachOf(post: Post): { score: number; reach: boolean; velocity: boolean } {
  // engagement()'s counts, read in place (no object a post): no metrics count as zero.
  const m = post.metrics;
  const reposts = m?.reposts ?? 0;
  const quotes = m?.quotes ?? 0;
  const followers = post.author.followers;
  const spread = reposts + quotes + 0.5 * (m?.replies ?? 0) + 0.1 * (m?.likes ?? 0);
  const audience = clamp(Math.log10(followers + 1) / 6);
  const traction = clamp(Math.log10(spread + 1) / 3.5);
  const score = clamp(Math.max(audience, traction) + 0.1 * Math.min(audience, traction) + (post.author.verified ? 0.05 : 0));
  return {
    score,
    reach: followers >= 10_000 || spread >= 150 || (post.author.verified === true && followers >= 2_000),
    // Travelling well beyond its author's own audience: the start of something going viral.
    velocity: reposts + quotes >= 50 && reposts + quotes >= followers * 0.05,
  };
}

/** Praise that only sounds negative ("would delay my flight for another one"). */
function praiseOnly(text: string): boolean {
  return LEX.praise.test(text) && !LEX.complaint.test(text);
}

export function includesAny(text: string, terms: readonly string[]): boolean {
  for (const t of terms) if (t && text.includes(t)) return true;
  return false;
}

/** Notes the signal when it is on (each once, in the order first seen; an array costs less than a Set): returns on. */
function noted(signals: Signal[], s: Signal, on: boolean): boolean {
  if (on && !signals.includes(s)) signals.push(s);
  return on;
}

/** A kind act beyond the generic phrases of thanks ("went above and beyond" alone is not one). */
function beyondGeneric(text: string): boolean {
  const stripped = text.replace(GENERIC_KINDNESS, ' ');
  return LEX.kindAct.test(stripped) || LEX.namedThanks.test(stripped);
}

/** Everything triage reads off a post: its signals, the flags behind them, its reach, and the rules' call. */
export interface Evidence {
  lang: string;
  /** Normalised text (lower case, URLs dropped, hashtags unwrapped). */
  text: string;
  /** The normalised text with our handles and names, and other handles, masked: what the model reads. */
  masked: string;
  signals: Signal[];
  flags: Record<EvidenceFlag, boolean>;
  reach: ReturnType<typeof reachOf>;
  /** The opportunity rules' points: each part of a story adds, complaints and bare questions take away. */
  points: number;
  /** The brand's own post: never a card. */
  ownPost: boolean;
  /** Told as a grievance (a complaint, an accusation, a let-down, or negative without praise). */
  grievanceTone: boolean;
  /** Each kind's score as the rules see it, and the rules' own call. */
  scores: Record<Kind, number>;
  rule: Kind;
}

export const EVIDENCE_FLAGS = [
  'firstPerson', 'flight', 'addressed', 'aboutUs', 'question', 'questionOnly', 'negative', 'emotion', 'family', 'age',
  'story', 'customerTopic', 'thanks', 'kindAct', 'crew', 'praised', 'fixedTicket', 'choice', 'clash', 'identity',
  'notToBrand', 'spreading', 'grievance', 'severe', 'blocked', 'sarcasm', 'ourBrand', 'atStake', 'hypothetical', 'repost',
] as const;
export type EvidenceFlag = (typeof EVIDENCE_FLAGS)[number];

/**
 * Reads a post the way triage does: offline, deterministic, a few microseconds a post. It names the signals it
 * sees, then the rules decide the kind from them:
 * - a post that tries to instruct the bot, spam, and the brand's own posts are never opportunities;
 * - risk: discrimination or safety told as an experience, or a grievance that is spreading;
 * - opportunity: a dilemma against a dated moment, a milestone or life event on a flight, a fan's creation,
 *   a thank-you that tells a story (points for each part, so no single keyword makes one);
 * - service: questions and ordinary complaints; noise: the rest.
 */
export function createEvidence(ctx: TriageContext): (post: Post) => Evidence {
  const brandTerms = [...ctx.brand.terms, ...ctx.brand.handles].map((t) => t.toLowerCase().replace(/^@/, ''));
  const ownHandles = new Set(ctx.brand.handles.map((h) => h.toLowerCase().replace(/^@/, '')));
  const scopeOf = createBrandScope(ctx.brand);
  const mask = createBrandMasker(ctx.brand);

  return (post: Post): Evidence => {
    const lang = detectLanguage(post.text, post.lang);
    // The post's own text in lower case (sarcasm and emotion read it with its links and hashtags). Most posts have
    // no link, hashtag or curly quote: their normalised text is that same string, lower-cased once, and a scan of
    // it (prefilter.ts) serves both.
    const lower = post.text.toLowerCase();
    const text = readText(post.text, lower);
    // The signals named so far (see noted()): no closure a post, which tsx's named functions would make dearer.
    const signals: Signal[] = [];

    const reach = reachOf(post);
    noted(signals, 'reach', reach.reach);
    noted(signals, 'velocity', reach.velocity);
    const ownPost = ownHandles.has(post.author.handle.toLowerCase());
    // "RT @someone: …" passes on someone else's post: the original is the one to judge, not the repost.
    // No character but R and T lower-cases to r and t, so a repost's lower-cased text holds "rt @".
    const repost = lower.includes('rt @') && /^\s*(?:[^:]{0,80}:\s*)?rt @[a-z0-9_]+/i.test(post.text);

    const manipulation = noted(signals, 'manipulation-attempt', LEX.manipulation.test(text));
    const spam = noted(signals, 'spam', LEX.spam.test(text));
    const firstPerson = LEX.firstPerson.test(text);
    const flight = LEX.flight.test(text);
    const notToBrand = noted(signals, 'not-to-brand', LEX.aboutNotTo.test(text) && !firstPerson);
    const scope = scopeOf(post);
    const addressed = scope.addressed;
    const ourBrand = scope.about;
    noted(signals, 'off-brand', !ourBrand);
    // A celebration alone must be about a trip with us; a dilemma, a creation or a kind act carries itself.
    const aboutUs = flight || addressed || includesAny(text, brandTerms);
    const watched = noted(signals, 'watch-term', includesAny(text, ctx.watchTerms()));
    const rising = noted(signals, 'rising-moment', includesAny(text, ctx.risingTerms()));
    const cultural = noted(signals, 'cultural-event', LEX.culturalEvent.test(text)) || watched || rising;

    const fixedTicket = LEX.fixedTicket.test(text);
    const choice = LEX.choice.test(text);
    const clash = choice || LEX.clash.test(text);
    // A complaint's ordinal or "first" ("4th time this happened", "my first flight with you will be my last") is
    // not a milestone: read the grievance first.
    const complaintWords = LEX.complaint.test(text);
    const accusationWords = LEX.accusation.test(text);
    const negativeWords = LEX.negative.test(text);
    const praised = LEX.praise.test(text);
    const kindAct = LEX.kindAct.test(text);
    const letDown = LEX.letDown.test(text) || (LEX.ironicStart.test(text) && (complaintWords || negativeWords));
    const grievanceTone = complaintWords || accusationWords || letDown || (negativeWords && !praised);
    const milestoneWords = LEX.milestone.test(text);
    const ordinalGrievance = milestoneWords && grievanceTone && (LEX.grievanceOrdinal.test(text) || !kindAct);
    const milestone = noted(signals, 'milestone', milestoneWords && !ordinalGrievance && !FIRST_IN_A_WHILE.test(text));
    const lifeEvent = noted(signals, 'life-event', LEX.lifeEvent.test(text));
    // A life event at stake: a disruption now threatens a dated moment that can still be rescued ("cancelled and my
    // sister's wedding is saturday"). Told after the fact ("we missed the wedding") it is a complaint.
    const atStake = noted(
      signals,
      'at-stake',
      (lifeEvent || LEX.datedNeed.test(text)) && LEX.disruption.test(text) && LEX.stillAhead.test(text) && !LEX.alreadyLost.test(text),
    );
    // A real dilemma: a dated moment against a flight that cannot simply move, and the fan feels the choice.
    const dilemma = noted(
      signals,
      'dilemma',
      (clash || fixedTicket || choice) && (cultural || lifeEvent) && (fixedTicket || choice) && (clash || fixedTicket),
    );
    // Something made needs a thing made, or a story around it ("made a lot of guests happy" is neither).
    // The thing made first: most posts have none, and then "made it" is not cut out of them for nothing.
    const creation = noted(
      signals,
      'fan-creation',
      (LEX.artefact.test(text) || (flight && text.length > 140)) &&
        LEX.creation.test(text.includes('made ') || text.includes('make ') ? text.replace(MADE_IT, ' ') : text),
    );
    const thanks = LEX.thanks.test(text);
    const sarcasm = LEX.sarcasm.test(lower);
    const crew = LEX.crew.test(text);
    const complaint = noted(signals, 'complaint', complaintWords);
    // An emergency told as thanks ("kudos to the crew who handled a medical emergency on board") is the crew's
    // story, not a claim against us: it is read as gratitude, and its hazard and health words do not make a risk.
    const thankedFor =
      (thanks || praised || LEX.acclaim.test(text)) && !complaint && !letDown && !sarcasm && !accusationWords && (!negativeWords || (crew && LEX.crewAcclaim.test(text)));
    const told = severeSignals(text);
    const harms = thankedFor ? told.filter((h) => h !== 'health-emergency' && h !== 'safety') : told;
    const handledWell = thankedFor && (crew || LEX.acclaim.test(text)) && harms.length === 0 && told.length > 0;
    const family = LEX.family.test(text);
    const age = LEX.age.test(text);
    // "Went above and beyond" alone is praise of named staff with no story; a story says for whom or what: a child,
    // a parent, a first flight, a life event, something found, someone ill or afraid, or the person posting ("went
    // above and beyond to get me to Hartford").
    const identity = LEX.identity.test(text) || LEX.disability.test(text);
    const thankedAct =
      ((kindAct && (crew || LEX.staff.test(text)) && (thanks || praised || firstPerson)) || LEX.namedThanks.test(text)) && !complaint && !letDown && !sarcasm;
    // Read only for a thank-you (few posts): is there a story, or an act beyond the generic phrases?
    const thankedStory =
      thankedAct && (family || age || lifeEvent || milestone || identity || LEX.storyDetail.test(text) || LEX.beyondForPoster.test(text) || beyondGeneric(text));
    const gratitude = noted(signals, 'gratitude-story', thankedStory || handledWell);
    noted(signals, 'praise', (praised || thanks) && !gratitude && !sarcasm);

    const accusation = noted(signals, 'accusation', accusationWords);
    const discrimination = noted(
      signals,
      'discrimination',
      (LEX.discrimination.test(text) && !LEX.notDiscrimination.test(text)) || (identity && accusation),
    );
    const safety = noted(signals, 'safety', LEX.safety.test(text) && !text.trim().endsWith('?') && !handledWell);
    for (const h of harms) noted(signals, h, true);
    const compassion = noted(signals, 'compassion', LEX.compassion.test(text) && (flight || addressed));
    const question = noted(signals, 'question', text.includes('?') || LEX.question.test(text));
    const customerTopic = LEX.customerTopic.test(text) || flight;

    const negative = negativeWords || sarcasm;
    const emotion = LEX.emotion.test(lower);

    // "What is your policy on nut allergies?" asks about a harm, it does not report one.
    const hypothetical = LEX.policyQuestion.test(text) && !LEX.reported.test(text);
    // Severity over reach: these harms are risks from any account; reach only ranks them.
    const severe =
      !hypothetical && (discrimination || harms.length > 0 || (safety && (complaint || accusation || negative || reach.reach)));

    // ── opportunity: points for each part of a story, so no single keyword makes one ──────────────────────
    const story = text.length > 140;
    // A celebration with us, told as one (a question or an ask is how most are told: "anything special for our
    // honeymoon?"); the same words in a let-down ("thanks for ruining our honeymoon") are a complaint.
    const celebration = (lifeEvent || milestone) && aboutUs && !complaint && !letDown && !sarcasm && !accusation;
    const questionOnly = question && !story && !text.includes('!') && !celebration;
    const points =
      (dilemma ? 2 : 0) +
      (atStake ? 2 : 0) +
      (creation ? 2 : 0) +
      (gratitude ? 2 : 0) +
      (milestone ? 1.5 : 0) +
      (lifeEvent ? 1 : 0) +
      (milestone && lifeEvent ? 0.5 : 0) +
      (celebration ? 1 : 0) +
      (family || age ? 0.5 : 0) +
      (emotion ? 0.5 : 0) +
      (story && (milestone || lifeEvent) ? 0.5 : 0) +
      (cultural && (milestone || lifeEvent || dilemma) ? 0.5 : 0) -
      (questionOnly ? 1 : 0) -
      (complaint && !dilemma && !atStake ? 1.5 : 0) -
      (negative && !dilemma && !gratitude && !atStake ? 0.5 : 0) -
      (letDown && !dilemma && !atStake ? 1 : 0);
    const staffVoice = LEX.staffVoice.test(text);
    const blocked = manipulation || spam || staffVoice || (notToBrand && !firstPerson) || discrimination || (safety && !gratitude);
    const isOpportunity =
      ourBrand && points >= 2 && (dilemma || atStake || creation || gratitude || aboutUs) && !blocked && !severe && (!accusation || dilemma);
    const opportunityScore = clamp(0.35 + 0.1 * points + (rising ? 0.07 : 0) + reach.score * 0.1);

    // ── risk: something went wrong, and it is travelling ───────────────────────────────────────────────────
    const spreading = reach.reach || reach.velocity;
    const grievance = accusation || complaint || discrimination || safety || (negative && (sarcasm || !praiseOnly(text)));
    const isRisk =
      ourBrand &&
      !(spam && !spreading) &&
      !isOpportunity &&
      ((severe && (firstPerson || spreading || addressed)) || (grievance && spreading) || (compassion && accusation && spreading));
    const riskScore = clamp(
      0.2 + (severe ? 0.3 : 0) + 0.05 * Math.min(2, harms.length) + (accusation ? 0.1 : 0) + (compassion ? 0.1 : 0) + (reach.velocity ? 0.1 : 0) + reach.score * 0.35,
    );


    const scores: Record<Kind, number> = {
      opportunity: opportunityScore,
      risk: riskScore,
      service: clamp(0.2 + (complaint ? 0.1 : 0) + (accusation ? 0.1 : 0) + reach.score * 0.3),
      noise: clamp(0.05 + reach.score * 0.1),
    };
    const rule: Kind = ownPost
      ? 'noise'
      : isRisk
        ? 'risk'
        : isOpportunity
          ? 'opportunity'
          : !manipulation &&
              !spam &&
              !notToBrand &&
              (complaint ||
                accusation ||
                (negative && (addressed || customerTopic) && firstPerson) ||
                (question && (addressed || customerTopic)) ||
                (compassion && firstPerson))
            ? 'service'
            : 'noise';
    return {
      lang,
      text,
      masked: mask(text),
      signals,
      flags: {
        firstPerson, flight, addressed, aboutUs, question, questionOnly, negative, emotion, family, age, story,
        customerTopic, thanks, kindAct, crew, praised, fixedTicket, choice, clash, identity, notToBrand, spreading,
        grievance, severe, blocked, sarcasm, ourBrand, atStake, hypothetical, repost,
      },
      reach,
      points,
      ownPost,
      grievanceTone,
      scores,
      rule,
    };
  };
}

export function round(score: number): number {
  return Math.round(score * 1000) / 1000;
}
