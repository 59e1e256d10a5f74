/**
 * Checks on what a model wrote, applied whatever the prompt said: a model that follows an instruction hidden in
 * a fan's post still cannot ping a whole server, tag strangers, or promise what only the team can decide.
 * Pure functions; the LLM analyst applies them to every answer.
 */

// @everyone / @here, and Discord's <@id>, <@!id>, <@&role>, plus full-width and zero-width tricks around the @.
const MASS_MENTION = /[@＠][\u200b\u200c\u200d\u2060]*(everyone|here)\b/gi;
const DISCORD_MENTION = /<@[!&]?\d*>|<#\d+>/g;

/** Removes mass and Discord mentions; returns the text and whether anything was removed. */
export function stripMentions(text: string): { text: string; changed: boolean } {
  const out = text
    // Inside a word (an address such as hello@here.com) a zero-width space defuses it and keeps it readable.
    .replace(MASS_MENTION, (whole, word: string, offset: number, all: string) =>
      offset > 0 && /\w/.test(all[offset - 1] as string) ? `@\u200b${word}` : word,
    )
    .replace(DISCORD_MENTION, '')
    .replace(/ {2,}/g, ' ');
  return { text: out, changed: out !== text };
}

/**
 * Drops the @ from handles the fan did not use themselves ("never tag people the fan did not tag"), so a draft
 * cannot drag a third party into the thread.
 */
export function untagStrangers(text: string, allowed: readonly string[]): { text: string; changed: boolean } {
  const ok = new Set(allowed.map((h) => h.replace(/^@/, '').toLowerCase()));
  let changed = false;
  const out = text.replace(/(?<![\w@])@(\w{1,30})/g, (whole, handle: string) => {
    if (ok.has(handle.toLowerCase())) return whole;
    changed = true;
    return handle;
  });
  return { text: out, changed };
}

/** The handles in a text, as written (without @). */
export function handlesIn(text: string): string[] {
  return [...text.matchAll(/(?<![\w@])@(\w{1,30})/g)].map((m) => m[1] as string);
}

// Never on a draft, hedged or not: these are the team's decision and a public promise cannot be taken back.
const HARD = [
  /\bfree\s+(?:flights?|tickets?|trips?|travel|upgrades?|seats?|miles|nights?|stays?)\b/i,
  /\bfor\s+(?:life|a\s+year|ever)\b/i,
  /\bvouchers?\b|\bgift\s*cards?\b|\btravel\s+credits?\b|\bcoupons?\b/i,
  /\bcash\b|\bmoney\s+back\b|\bon\s+us\b|\bon\s+the\s+house\b/i,
  /[€$£]\s?\d|\b\d[\d.,]*\s?(?:eur|euros?|usd|dollars?|pounds?)\b/i,
  /\b\d[\d.,]*\s*(?:bonus\s+)?(?:miles|points)\b|\bbonus\s+(?:miles|points)\b/i,
  /\bgratis\b|\btegoedbon\w*\b|\bwaardebon\w*\b|\bcadeaubon\w*\b|\bgeld\s+terug\b|\bop\s+onze\s+kosten\b|\bvoor\s+altijd\b/i,
];
// Allowed only as something we will look into ("we'll look into your refund"), never as a commitment.
const SOFT = [/\brefund\w*|\breimburs\w*|\bcompensat\w*|\bterugbetal\w*|\bvergoed\w*|\bcompensatie\b|\bschadevergoeding\b/i];
const UPGRADE = /\bupgrad\w*/i;
const HEDGE =
  /\b(?:look(?:ing)?\s+into|check(?:ing)?|see\s+(?:what|whether|if)|find\s+out|review(?:ing)?|can(?:no|')t\s+promise|no\s+promises?|not\s+(?:able\s+to\s+)?promise|kijken|bekijken|uitzoeken|zoeken\s+(?:\w+\s+){0,3}uit|nagaan|beloven\s+(?:\w+\s+){0,2}niets|niets\s+beloven)\b/i;
const COMMIT =
  /\b(?:you(?:'ll|\s+will)\s+(?:get|receive|have|be\s+(?:given|getting|receiving))|we(?:'ll|\s+will|\s+are\s+going\s+to|'re\s+going\s+to|'d\s+like\s+to|\s+would\s+like\s+to|\s+can|\s+want\s+to)\s+(?:give|send|offer|refund|compensate|upgrade|provide|book|credit|reimburse|add|gift|treat)|here(?:'s|\s+is)|enjoy|je\s+krijgt|jij\s+krijgt|krijg\s+je|ontvang\s+je|je\s+ontvangt|we\s+geven|we\s+sturen|we\s+bieden)\b/i;

export interface PromiseCheck {
  /** What was found, in a few words for the card's notes; null when the text promises nothing. */
  problem: string | null;
}

/**
 * Whether a draft promises money, compensation, free travel or an upgrade. `upgradeAllowed` is true only when
 * policy put the upgrade gesture on the card; even then the draft may only say the team will look into it.
 */
export function findPromise(text: string, opts: { upgradeAllowed: boolean }): PromiseCheck {
  for (const sentence of text.split(/(?<=[.!?\n])\s+/)) {
    const hard = HARD.map((re) => sentence.match(re)?.[0]).find(Boolean);
    if (hard) return { problem: `"${hard.trim()}"` };
    const hedged = HEDGE.test(sentence) && !COMMIT.test(sentence);
    const soft = SOFT.map((re) => sentence.match(re)?.[0]).find(Boolean);
    if (soft && !hedged) return { problem: `"${soft.trim()}"` };
    const upgrade = sentence.match(UPGRADE)?.[0];
    if (upgrade && (!opts.upgradeAllowed || !hedged)) return { problem: `"${upgrade.trim()}"` };
  }
  return { problem: null };
}

/** What a card's drafts must respect, whoever wrote them (see draftProblem). */
export interface DraftRules {
  /** The language the drafts must be in (the fan's, among the brand's); undefined: not checked. */
  lang?: string;
  /** The post is a complaint or tells of something gone wrong: no congratulation. */
  grievance: boolean;
  /** The author is a customer; a journalist or someone speaking for another's case is asked for no booking. */
  customer: boolean;
}

const CONGRATULATION = /\bcongrat\w*|\bgefeliciteerd\b|\bproficiat\b|\bhappy (?:birthday|anniversary)\b|\bwhat a (?:moment|milestone|celebration)\b|\bcelebrat\w*|\bfeestje\b/i;
const BOOKING_ASK =
  /\b(?:booking|order|ticket|reservation|confirmation)\s*(?:reference|number|code|nr|id)?\b|\bboekings\w*|\bbestel\w*nummer|\bticketnummer|\breserverings\w*|\bdossiernummer/i;

/** Why a fan-facing draft cannot stand as the model wrote it: the wrong language, a congratulation, a booking asked of a non-customer. */
export function draftProblem(text: string, rules: DraftRules, detect: (text: string) => string): string | null {
  if (rules.lang) {
    const lang = detect(text);
    // Only a clear reading counts: a short line or an undetermined one is given the benefit of the doubt.
    if ((lang === 'en' || lang === 'nl') && lang !== rules.lang && [...text].length >= 40) return `written in ${lang}, not ${rules.lang}`;
  }
  if (rules.grievance && CONGRATULATION.test(text)) return 'congratulates a complaint';
  if (!rules.customer && BOOKING_ASK.test(text)) return 'asks someone who is not a customer for a booking';
  return null;
}
