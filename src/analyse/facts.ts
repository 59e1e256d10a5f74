/**
 * Who and what a post is about, read from its words: the person whose moment it is (the grandfather, the child),
 * what is at stake, when, the amounts and flight or train numbers it names, whether it is a surprise, and whether
 * the author speaks as a customer, as a journalist or for someone else's case. Pure and offline; English and Dutch.
 * The card's summary, drafts and the gesture's fairness line use these, so the team reads the fan's facts, not a
 * template's guess.
 */

export type Role = 'customer' | 'journalist' | 'advocate';
type Gender = 'm' | 'f' | 'x';

export interface Person {
  /** The relation as the fan wrote it ("grandad", "zoon"). */
  relation: string;
  name?: string;
  age?: number;
  gender: Gender;
  lang: 'en' | 'nl';
}

export interface Facts {
  person?: Person;
  /** Amounts as written ("€1.480"), with their value in euros when the currency is the euro. */
  amounts: { text: string; eur?: number; context: string }[];
  /** Flight, train or order numbers as written ("OA1202", "IC 3521"). */
  numbers: string[];
  /** When, as written ("Thursday", "morgenochtend", "12 March"). */
  when?: string;
  /** What is at stake, as written ("wedding", "huwelijksreis"). */
  atStake?: string;
  surprise: boolean;
  /** What the words tell when triage names no moment: something the fan made, or thanks for someone's help. */
  cue?: 'creation' | 'thanks';
  role: Role;
  /** The author speaks up for someone else's case ("call that woman"), whatever their role. */
  speaksFor: boolean;
  /** Something went wrong and is not yet put right ("still hasn't shipped", "no answers", "geannuleerd"). */
  grievance: boolean;
  /** A loss or a grave illness behind the trip (ashes, a funeral, chemo): never congratulated. */
  grief: boolean;
  /** Nerves about the trip ("a bit nervous", "terrified of flying", "best bang"): reassured, not congratulated. */
  nervous: boolean;
}

const REL_EN: Record<string, Gender> = {
  grandfather: 'm', grandad: 'm', granddad: 'm', grandpa: 'm', grandmother: 'f', grandma: 'f', granny: 'f', nan: 'f', nana: 'f',
  mother: 'f', mum: 'f', mom: 'f', mommy: 'f', father: 'm', dad: 'm', daddy: 'm', son: 'm', daughter: 'f', kid: 'x', child: 'x',
  boy: 'm', girl: 'f', baby: 'x', brother: 'm', sister: 'f', wife: 'f', husband: 'm', aunt: 'f', uncle: 'm', niece: 'f',
  nephew: 'm', grandson: 'm', granddaughter: 'f', fiancé: 'm', fiancée: 'f', fiance: 'm', fiancee: 'f', stepdad: 'm', stepmom: 'f',
};
const REL_NL: Record<string, Gender> = {
  opa: 'm', oma: 'f', moeder: 'f', mama: 'f', moeke: 'f', vader: 'm', papa: 'm', pa: 'm', ma: 'f', zoon: 'm', zoontje: 'm',
  dochter: 'f', dochtertje: 'f', kind: 'x', kindje: 'x', broer: 'm', broertje: 'm', zus: 'f', zusje: 'f', zuster: 'f',
  vrouw: 'f', man: 'm', tante: 'f', oom: 'm', neef: 'm', nicht: 'f', kleinzoon: 'm', kleindochter: 'f', verloofde: 'x',
  schoonmoeder: 'f', schoonvader: 'm', opoe: 'f',
};

const NOT_A_NAME = new Set(['I', 'The', 'He', 'She', 'They', 'We', 'And', 'But', 'Is', 'Has', 'Was', 'Who', 'Ik', 'Hij', 'Zij', 'Ze', 'En', 'Maar', 'Die', 'Heeft', 'Is', 'Wil', 'Gaat']);

/** "my (autistic) son (9) Daan", "mijn opa Kees": the possessive, at most one word before the relation, then age or name. */
function findPerson(text: string): Person | undefined {
  const re = /\b([Mm]y|[Oo]ur|[Mm]ijn|[Mm]'n|[Oo]nze|[Oo]ns)\s+(?:([\p{L}-]+)\s+)?([\p{L}é]+)(?:\s*\((\d{1,3})\))?(?:,?\s+(\p{Lu}\p{Ll}+))?/gu;
  for (const m of text.matchAll(re)) {
    const nl = /^(mijn|m'n|onze|ons)$/i.test(m[1] as string);
    const table = nl ? REL_NL : REL_EN;
    // The relation is the word right after the possessive, or the one after an adjective ("my autistic son").
    const [first, second] = [m[2]?.toLowerCase(), (m[3] as string).toLowerCase()];
    const relation = first && table[first] !== undefined ? first : table[second] !== undefined ? second : undefined;
    if (!relation) continue;
    // "mijn vrouw en ik", "my wife and I": a companion on the teller's own trip is not the person of the moment.
    const from = text.slice(m.index ?? 0, (m.index ?? 0) + 40);
    if (/^\S+\s+(?:vrouw|man|wife|husband|partner)\s+(?:en ik|and i\b|& i\b)/i.test(from)) continue;
    const gender = table[relation] as Gender;
    const candidate = relation === first ? m[3] : m[5];
    const name = candidate && /^\p{Lu}\p{Ll}+$/u.test(candidate) && !NOT_A_NAME.has(candidate) ? candidate : undefined;
    const age = Number(m[4]) || ageNear(text.slice(m.index ?? 0, (m.index ?? 0) + 80));
    return { relation, ...(name ? { name } : {}), ...(age ? { age } : {}), gender, lang: nl ? 'nl' : 'en' };
  }
  return undefined;
}

function ageNear(text: string): number | undefined {
  const m = /\b(?:turns|turning|aged|at|wordt|is)\s+(\d{1,3})\b(?!\s*(?:%|€|euro|min|hours?|uur|km|x))|\b(\d{1,3})[- ](?:year[- ]old|jarige?)\b|\bwordt\s+(\d{1,3})\s+jaar\b/i.exec(text);
  const n = Number(m?.[1] ?? m?.[2] ?? m?.[3]);
  return n > 0 && n < 120 ? n : undefined;
}

/** "€1.480", "€ 1,480", "1480 euro", "$200", "£75": with the euro value when it is in euros. */
function findAmounts(text: string): Facts['amounts'] {
  const re = /([€$£])\s?(\d{1,3}(?:[.,]\d{3})+|\d+)(?:[.,](\d{2}))?(?!\d)|\b(\d{1,3}(?:[.,]\d{3})+|\d+)\s?(euro|eur|euros)\b/gi;
  const out: Facts['amounts'] = [];
  for (const m of text.matchAll(re)) {
    const digits = (m[2] ?? m[4] ?? '').replace(/[.,]/g, '');
    const euro = m[1] === '€' || Boolean(m[5]);
    // The clause the amount stands in ("omboeken kost ons €1.480"), from the last punctuation before it.
    const before = text.slice(Math.max(0, (m.index ?? 0) - 40), m.index ?? 0);
    const clause = before.split(/[,.;:!?()\n]/).pop() ?? '';
    const context = `${clause}${m[0]}`.replace(/\s+/g, ' ').trim();
    out.push({ text: m[0].trim(), ...(euro ? { eur: Number(digits) } : {}), context });
  }
  return out;
}

/** Flight or train numbers: two letters and digits ("OA1202", "KL 1234", "IC 3521"), or "train 3521" / "trein 3521". */
function findNumbers(text: string): string[] {
  const re = /\b([A-Z]{2}|[A-Z]\d|\d[A-Z])\s?(\d{2,4})\b|\b(?:flight|vlucht|train|trein)\s+(?:nr\.?\s*|number\s*)?(\d{2,5})\b/g;
  const seen = new Set<string>();
  for (const m of text.matchAll(re)) {
    const v = m[3] ? m[0] : `${m[1]}${m[2]}`;
    // Years and times are not flight numbers.
    if (!m[3] && /^(?:EU|NL|UK|US|AM|PM)$/.test(m[1] as string)) continue;
    seen.add(v);
  }
  return [...seen].slice(0, 3);
}

const WHEN =
  /(?<!black |cyber )\b(?:today|tonight|tomorrow(?: morning| night| evening)?|this (?:weekend|morning|evening|(?:mon|tues|wednes|thurs|fri|satur|sun)day)|next (?:week|month|(?:mon|tues|wednes|thurs|fri|satur|sun)day)|(?:on )?(?:mon|tues|wednes|thurs|fri|satur|sun)day|\d{1,2} (?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*|(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]* \d{1,2}(?:st|nd|rd|th)?|vandaag|vanavond|morgen(?:ochtend|avond|middag)?|overmorgen|volgende week|dit weekend|(?:maan|dins|woens|donder|vrij|zater|zon)dag|\d{1,2} (?:januari|februari|maart|april|mei|juni|juli|augustus|september|oktober|november|december))\b/i;

const AT_STAKE =
  /\b(wedding|honeymoon|funeral|graduation|birth|birthday|anniversary|christening|interview|exam|final|concert|bruiloft|huwelijk|huwelijksreis|begrafenis|uitvaart|afscheid|diploma-uitreiking|bevalling|verjaardag|jubileum|sollicitatie|examen|finale|concert)\b/i;

const SURPRISE = /\bsurprise\b|\bverrass\w*|weet van niks|weet van niets|doesn'?t know|does not know|don'?t tell|niet verklappen|🤫/i;

const JOURNALIST =
  /\b(?:journalist|reporter|columnist|correspondent|verslaggever|redacteur|redactie|podcast(?:er)?)\b|collecting (?:cases|stories)|(?:my|our) readers|\breaders?\b.{0,24}\b(?:tell|telling|sent|send)|for (?:an?|my|our) (?:article|story|piece|report|column)|mijn lezers|voor (?:een|mijn) (?:artikel|stuk|reportage|column)|verzamel (?:verhalen|gevallen)|comment for|om commentaar/i;
const JOURNALIST_HANDLE = /journalist|reporter|columnist|news|nieuws|redactie|press|pers\b/i;

// Speaking for someone else's case: "call that woman", "bel die vrouw", "help this family", "her case".
const ADVOCATE =
  /\b(?:call|help|contact|phone|fix this for) (?:that|this|the) (?:woman|man|lady|guy|family|passenger|customer|mother|father|girl|boy)\b|\b(?:bel|help|bellen|helpen) (?:die|deze|dat|die arme) (?:vrouw|man|meneer|mevrouw|familie|moeder|vader|passagier|klant|meid|jongen)\b|\b(?:her|his|their) (?:case|story)\b|\b(?:haar|zijn|hun) (?:verhaal|zaak)\b|\b(?:that|this|the) (?:woman|man|mother|father|family|passenger|customer) (?:who|whose)\b|\b(?:die|deze) (?:vrouw|man|meneer|mevrouw|moeder|vader|familie|passagier|klant|reiziger) (?:die|wiens|wier)\b/i;

const CREATION = /\b(?:made|built|drew|painted|knitted|sewed|baked|crafted|designed|gemaakt|gebouwd|getekend|geschilderd|gebreid|genaaid|gebakken|ontworpen)\b/i;
const THANKS = /\b(?:thank(?:s| you)|shout ?out|bedankt|dank(?:je|u| je| u)?(?: wel)?)\b.{0,120}\b(?:helped|stayed|went out of|took the time|geholpen|bleef|nam de tijd)\b|\b(?:helped|stayed|geholpen)\b.{0,120}\b(?:thank(?:s| you)|bedankt)\b/i;

const GRIEVANCE =
  /\b(?:still (?:hasn'?t|has not|haven'?t|not|no)|never (?:arrived|came|shipped)|hasn'?t (?:shipped|arrived|come)|no (?:answers?|reply|response|info|refund)|(?:was|got|been|is) (?:cancell?ed|lost|delayed|refused|denied)|cancell?ed (?:my|our|the)|ruin(?:ed|ing)|nobody (?:helps|answers|cares)|three calls|(?:nog steeds|nog altijd) (?:niet|geen)|niet (?:geleverd|aangekomen|bezorgd)|geen (?:antwoord|reactie|info)|(?:is|werd|wordt) (?:geannuleerd|vertraagd|geweigerd)|kwijt(?:geraakt)?)\b/i;

const GRIEF =
  /\b(?:ashes|urn|funeral|memorial service|passed away|died|his death|her death|in memory of|chemo(?:therapy)?|hospice|terminal(?:ly)? ill|overleden|uitvaart|begrafenis|crematie|as (?:te )?verstrooien|in memoriam)\b/i;

// Dutch "bang" only as afraid ("ik ben bang", "een beetje bang"), not English "bang on time".
const NERVOUS =
  /\b(?:nervous|nervy|anxious|anxiety|scared|terrified|afraid|frightened|petrified|jittery|fear of flying|zenuwachtig|zenuwen|angstig|vliegangst|(?:ben|is|zijn|was|erg|best|heel|beetje|wat) bang)\b/i;

export function factsOf(text: string, author: { handle: string } = { handle: '' }): Facts {
  const when = WHEN.exec(text)?.[0];
  const atStake = AT_STAKE.exec(text)?.[1];
  const person = findPerson(text);
  const speaksFor = ADVOCATE.test(text);
  const role: Role = JOURNALIST.test(text) || JOURNALIST_HANDLE.test(author.handle) ? 'journalist' : speaksFor ? 'advocate' : 'customer';
  return {
    ...(person ? { person } : {}),
    amounts: findAmounts(text),
    numbers: findNumbers(text),
    ...(when ? { when } : {}),
    ...(atStake ? { atStake } : {}),
    surprise: SURPRISE.test(text),
    ...(CREATION.test(text) ? { cue: 'creation' as const } : THANKS.test(text) ? { cue: 'thanks' as const } : {}),
    role,
    speaksFor,
    grievance: GRIEVANCE.test(text),
    grief: GRIEF.test(text),
    nervous: NERVOUS.test(text),
  };
}

const PRONOUN: Record<'en' | 'nl', Record<Gender, string>> = {
  en: { m: 'him', f: 'her', x: 'them' },
  nl: { m: 'hem', f: 'haar', x: 'hen' },
};

/** English and Dutch names for each relation, so a Dutch post's "opa" reads "grandad" in an English draft. */
const TRANSLATE: Record<string, { en: string; nl: string }> = {
  grandfather: { en: 'grandfather', nl: 'opa' }, grandad: { en: 'grandad', nl: 'opa' }, granddad: { en: 'grandad', nl: 'opa' },
  grandpa: { en: 'grandpa', nl: 'opa' }, opa: { en: 'grandad', nl: 'opa' }, grandmother: { en: 'grandmother', nl: 'oma' },
  grandma: { en: 'grandma', nl: 'oma' }, granny: { en: 'granny', nl: 'oma' }, nan: { en: 'nan', nl: 'oma' }, nana: { en: 'nana', nl: 'oma' },
  oma: { en: 'grandma', nl: 'oma' }, opoe: { en: 'grandma', nl: 'opoe' }, mother: { en: 'mother', nl: 'moeder' }, mum: { en: 'mum', nl: 'moeder' },
  mom: { en: 'mom', nl: 'moeder' }, mommy: { en: 'mom', nl: 'mama' }, moeder: { en: 'mother', nl: 'moeder' }, mama: { en: 'mum', nl: 'mama' },
  moeke: { en: 'mum', nl: 'moeke' }, ma: { en: 'mum', nl: 'ma' }, father: { en: 'father', nl: 'vader' }, dad: { en: 'dad', nl: 'vader' },
  daddy: { en: 'dad', nl: 'papa' }, vader: { en: 'father', nl: 'vader' }, papa: { en: 'dad', nl: 'papa' }, pa: { en: 'dad', nl: 'pa' },
  son: { en: 'son', nl: 'zoon' }, zoon: { en: 'son', nl: 'zoon' }, zoontje: { en: 'son', nl: 'zoontje' },
  daughter: { en: 'daughter', nl: 'dochter' }, dochter: { en: 'daughter', nl: 'dochter' }, dochtertje: { en: 'daughter', nl: 'dochtertje' },
  kid: { en: 'kid', nl: 'kind' }, child: { en: 'child', nl: 'kind' }, kind: { en: 'child', nl: 'kind' }, kindje: { en: 'little one', nl: 'kindje' },
  boy: { en: 'boy', nl: 'zoon' }, girl: { en: 'girl', nl: 'dochter' }, baby: { en: 'baby', nl: 'baby' },
  brother: { en: 'brother', nl: 'broer' }, broer: { en: 'brother', nl: 'broer' }, broertje: { en: 'little brother', nl: 'broertje' },
  sister: { en: 'sister', nl: 'zus' }, zus: { en: 'sister', nl: 'zus' }, zusje: { en: 'little sister', nl: 'zusje' }, zuster: { en: 'sister', nl: 'zus' },
  wife: { en: 'wife', nl: 'vrouw' }, vrouw: { en: 'wife', nl: 'vrouw' }, husband: { en: 'husband', nl: 'man' }, man: { en: 'husband', nl: 'man' },
  aunt: { en: 'aunt', nl: 'tante' }, tante: { en: 'aunt', nl: 'tante' }, uncle: { en: 'uncle', nl: 'oom' }, oom: { en: 'uncle', nl: 'oom' },
  niece: { en: 'niece', nl: 'nicht' }, nicht: { en: 'niece', nl: 'nicht' }, nephew: { en: 'nephew', nl: 'neef' }, neef: { en: 'nephew', nl: 'neef' },
  grandson: { en: 'grandson', nl: 'kleinzoon' }, kleinzoon: { en: 'grandson', nl: 'kleinzoon' },
  granddaughter: { en: 'granddaughter', nl: 'kleindochter' }, kleindochter: { en: 'granddaughter', nl: 'kleindochter' },
  fiancé: { en: 'fiancé', nl: 'verloofde' }, fiancée: { en: 'fiancée', nl: 'verloofde' }, fiance: { en: 'fiancé', nl: 'verloofde' },
  fiancee: { en: 'fiancée', nl: 'verloofde' }, verloofde: { en: 'fiancé(e)', nl: 'verloofde' }, stepdad: { en: 'stepdad', nl: 'stiefvader' },
  stepmom: { en: 'stepmom', nl: 'stiefmoeder' }, schoonmoeder: { en: 'mother-in-law', nl: 'schoonmoeder' },
  schoonvader: { en: 'father-in-law', nl: 'schoonvader' },
};

export function relationIn(p: Person, lang: string): string {
  const t = TRANSLATE[p.relation];
  return t ? (lang === 'nl' ? t.nl : t.en) : p.relation;
}

/** The words about the person for a draft in `lang`: "your grandad Kees" / "je opa Kees", "him" / "hem", and for the public "Kees". */
export function personWords(
  p: Person,
  lang: string,
  handle: string,
): { who: string; them: string; whoPublic: string; subject: string; relationEn: string } {
  const rel = relationIn(p, lang);
  const nl = lang === 'nl';
  const who = `${nl ? 'je' : 'your'} ${rel}${p.name ? ` ${p.name}` : ''}`;
  const them = PRONOUN[nl ? 'nl' : 'en'][p.gender];
  const whoPublic = p.name ? p.name : nl ? `de ${rel} van @${handle}` : `@${handle}'s ${rel}`;
  const subject = `@${handle}'s ${relationIn(p, 'en')}${p.name ? ` ${p.name}` : ''}${p.age ? ` (${p.age})` : ''}`;
  return { who, them, whoPublic, subject, relationEn: relationIn(p, 'en') };
}

/** The facts as short lines for the team: "Person: grandad Kees (90)", "Amount: €1.480". */
export function factLines(f: Facts): string[] {
  const lines: string[] = [];
  if (f.person) lines.push(`person: ${relationIn(f.person, 'en')}${f.person.name ? ` ${f.person.name}` : ''}${f.person.age ? ` (${f.person.age})` : ''}`);
  if (f.atStake) lines.push(`at stake: ${f.atStake}`);
  if (f.when) lines.push(`when: ${f.when}`);
  for (const a of f.amounts.slice(0, 2)) lines.push(`amount: ${a.text}`);
  if (f.numbers.length) lines.push(`number: ${f.numbers.join(', ')}`);
  if (f.surprise) lines.push('a surprise: keep it quiet');
  if (f.role !== 'customer') lines.push(f.role === 'journalist' ? 'author: press (journalist or columnist), not a customer' : "author: speaks up for someone else's case");
  return lines;
}
