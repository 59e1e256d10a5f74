import type { Signal } from '../domain/verdict';

/**
 * Severity over reach: what makes a post a risk from any account, 0 followers included. Reach and velocity rank
 * these posts; they do not admit them. Each pattern names the harm as people tell it ("the agent grabbed my
 * arm", "my lawyer will be in touch", "please RT"), in English and Dutch, and runs on normalised text (lower
 * case, URLs dropped, hashtags unwrapped). Discrimination and safety are read in lexicon.ts with the other
 * signals; these are the rest.
 */
const w = (alternatives: string[]) => new RegExp(`(?:^|[^\\p{L}\\p{N}])(?:${alternatives.join('|')})(?![\\p{L}\\p{N}])`, 'u');

export const SEVERITY = {
  /** Assault, harassment and threats, by staff or passengers. */
  assault: w([
    'assault(?:ed|ing)?',
    'sexually',
    'sexual(?:ly)? (?:harass\\p{L}*|assault\\p{L}*|misconduct)',
    'harass(?:ed|ing|ment)',
    'grop(?:ed|ing|e)',
    'molest\\p{L}*',
    'touched me inappropriately',
    'inappropriately touched',
    '(?:hit|punched|slapped|shoved|pushed|grabbed|kicked|choked|spat on|spit on) (?:me|my (?:wife|husband|son|daughter|mom|mother|dad|father|child|kid|arm|hand))',
    'put (?:his|her|their) hands on (?:me|my)',
    'physically (?:attacked|assaulted|removed|abused|threatened)',
    'threaten(?:ed|ing)? (?:to (?:kill|hurt|beat|have me arrested|call the police|call security)|me|us|my)',
    'death threats?',
    'verbally (?:abused|assaulted|attacked)',
    'verbal(?:ly)? abus\\p{L}*',
    'stalk(?:ed|ing)',
    'aangerand',
    'aanranding',
    'seksueel',
    'geslagen',
    'mishandeld',
    'geduwd',
    'bedreigd',
    'bedreiging\\p{L}*',
    'lastiggevallen',
    'intimidat\\p{L}*',
  ]),
  /** A health emergency on board or at the airport. */
  health: w([
    'allergic reaction',
    'anaphyla\\p{L}*',
    'epi ?pen',
    'medical emergency',
    'heart attack',
    'seizure',
    'stroke',
    'passed out',
    'fainted',
    'unconscious',
    'couldn\'?t breathe',
    'could not breathe',
    'can\'?t breathe',
    'ambulance',
    'paramedics?',
    'rushed to (?:the )?(?:hospital|er)',
    'taken to (?:the )?(?:hospital|er)',
    'er visit',
    'emergency room',
    'food poisoning',
    'peanut allergy',
    'nut allergy',
    'allergie\\p{L}* reactie',
    'flauwgevallen',
    'bewusteloos',
    'hartaanval',
    'ambulance',
    'naar het ziekenhuis gebracht',
  ]),
  /** Leaked personal data, someone else's data, a hacked or emptied account. */
  data: w([
    'hacked',
    'hacker\\p{L}*',
    'data (?:breach|leak)',
    'breach of (?:my )?(?:data|privacy)',
    'leak(?:ed|ing)? (?:my|our|personal|customer|passenger)',
    'identity theft',
    'someone else\'?s (?:passport|booking|boarding pass|name|details|data|reservation|itinerary|info\\p{L}*|account|credit card)',
    'another (?:passenger|person|customer)\'?s (?:passport|booking|boarding pass|name|details|data|reservation|itinerary|info\\p{L}*|account|credit card)',
    'strangers?\'?s? (?:passport|booking|details|data|info\\p{L}*|itinerary|boarding pass)',
    '(?:miles|points|avios) (?:were |got |have been )?(?:stolen|taken|drained|emptied)',
    '(?:stole|drained|emptied) (?:my|all my) (?:miles|points|avios|account)',
    'unauthori[sz]ed (?:charges?|transaction|access|purchase|booking)',
    'fraudulent (?:charges?|booking|transaction|purchase|use)',
    'gdpr',
    'my (?:card|credit card|account) (?:was|got|has been) (?:used|compromised|charged without)',
    'phishing',
    'gehackt',
    'datalek',
    'privacy ?schending',
    'gegevens van (?:een )?(?:ander|iemand anders)',
  ]),
  /** Legal action: lawyers, suits, complaints to regulators, the police. */
  legal: w([
    'lawyers?',
    'attorneys?',
    'legal action',
    'legal counsel',
    'legal team',
    'take (?:you|this|it|them) to court',
    'see you in court',
    'small claims',
    'su(?:e|ing) (?:you|u|them|the airline)',
    'su(?:e|ing) (?:for|over)',
    'lawsuit',
    'class action',
    'filed? (?:a )?(?:complaint|report) with (?:the )?(?:dot|faa|caa|department of transportation|police|bbb|ombudsman)',
    '(?:report(?:ed|ing)?|complain(?:ed|ing)?) (?:this |you |it )?to (?:the )?(?:dot|faa|caa|department of transportation|police|attorney general|bbb)',
    'dot complaint',
    'faa complaint',
    'police report',
    'called the (?:police|cops)',
    'police (?:were|was) called',
    'cops (?:were|was) called',
    'arrested',
    'advocaat',
    'rechtszaak',
    'aangifte',
    'naar de rechter',
    'juridische stappen',
    'ilt',
    'politie',
  ]),
  /** Journalists and the media, or the author taking it there. */
  press: w([
    'journalists?',
    'reporters?',
    'writing (?:an? |my )?(?:article|story|piece|column|blog(?: post)?) (?:about|on)',
    '(?:contact(?:ing|ed)?|call(?:ing|ed)?|going to|tell(?:ing)?|tipp(?:ing|ed)) (?:the )?(?:local )?(?:news|media|press|newspapers?|tv stations?|consumer show)',
    'news (?:station|channel|desk)',
    'for (?:the|a|my) (?:newspaper|paper|magazine|column|podcast)',
    'press (?:inquiry|enquiry|request)',
    'media (?:inquiry|enquiry|request)',
    'comment for (?:an|my|a|our) (?:article|story|piece)',
    'journalist(?:e|en)?',
    'verslaggever',
    'redactie',
    'kassa',
    'radar',
    'de pers',
  ]),
  /** A call to spread it or to boycott. */
  spread: w([
    'please (?:rt|retweet|share|spread)',
    'pls (?:rt|retweet|share)',
    'plz (?:rt|retweet|share)',
    '(?:rt|retweet|share) (?:this|so|if|to|please|pls|plz|until|and)',
    'spread the word',
    'everyone (?:needs to|should) (?:see|know|hear)',
    'make this (?:go )?viral',
    'help (?:me )?make this viral',
    'boycott\\p{L}*',
    'delen aub',
    'graag delen',
    'deel dit',
    'rt aub',
  ]),
} as const satisfies Record<string, RegExp>;

const SIGNAL_OF: Record<keyof typeof SEVERITY, Signal> = {
  assault: 'assault',
  health: 'health-emergency',
  data: 'data-breach',
  legal: 'legal',
  press: 'press',
  spread: 'call-to-spread',
};

/** The severe harms a post tells of, as signals (in a fixed order). */
export function severeSignals(text: string): Signal[] {
  const out: Signal[] = [];
  for (const key of Object.keys(SEVERITY) as (keyof typeof SEVERITY)[]) if (SEVERITY[key].test(text)) out.push(SIGNAL_OF[key]);
  return out;
}

export const SEVERE_SIGNALS: readonly Signal[] = Object.values(SIGNAL_OF);
