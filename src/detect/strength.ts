/**
 * How clear a moment is: `clear` when a team can act on it personally today, `mild` when it is a moment told in
 * passing. Read in the corpus's own terms, most moments people post are mild (a honeymoon flight announced, an
 * upgrade asked for a birthday, thanks for a rebooking); the clear ones ask for something special, mark a crew
 * milestone, show something a fan made, or tell of our people caring for a child or a relative. A team that
 * gets more moments than it can answer can take cards for clear moments only (KAIROS_CARDS=clear); the mild
 * ones stay in the store and reach the digest's "came close" list.
 *
 * Runs only on opportunities (about 2 posts in 100), on the post's own text lower-cased, so the patterns need no
 * case-insensitive flag: with `\p{L}` in them, V8 compiles a case-insensitive pattern several times slower (about
 * 3 ms against 1 for the first below), and a live pipe's first moment waits for it.
 */
import type { Signal } from '../domain/verdict';

export type Strength = 'clear' | 'mild';

/** Asked for a gesture beyond an upgrade: "anything special for her?", "make their flight sweeter", "hook them up". */
const ASKS_SOMETHING_SPECIAL = new RegExp(
  [
    '\\b(?:any(?:thing)?|some(?:thing)?) (?:special|amazing|extra special|nice|memorable)\\b',
    '\\bdo (?:any|some)thing (?:special|nice|for (?:her|him|them|us|me))\\b',
    '\\bmak(?:e|ing) (?:it|this|our|their|her|his|the|my) (?:\\p{L}+ ){0,2}(?:special|sweeter|memorable|extra special|unforgettable)\\b',
    '\\bmake (?:her|his|their) day\\b',
    '\\bhook (?:them|us|her|him|me) up\\b',
    '\\bsuggestions for making\\b',
    '\\bsurpris(?:e|ing) (?:my|her|him|them|our)\\b',
    '\\bgive (?:him|her|them) (?:my|our) love\\b',
    '\\barrange (?:any|some)thing\\b',
    '\\bnot sure if you can help\\b',
  ].join('|'),
  'u',
);

/** A crew member's milestone: a retirement, a captain's last flight, a new flight attendant's first ones. */
const CREW_MILESTONE = new RegExp(
  [
    '\\bretire(?:d|ment|s|ing)?\\b',
    '\\b(?:captain|pilot|first officer|flight attendant|purser|stewardess|steward)s?\\b.{0,50}\\b(?:last|final|first) flights?\\b',
    '\\b(?:last|final) flight (?:of|for) (?:captain|pilot|first officer)\\b',
    '\\bnew (?:flight attendant|pilot|captain)\\b',
  ].join('|'),
  'u',
);

/** Someone close to the poster: a child, a parent, a relative. */
const RELATIVE =
  /\b(?:son|daughter|sis|sister|brother|bro|uncle|aunt|boy|girl|kids?|child(?:ren)?|toddler|baby|mom|mum|mother|dad|father|grandma|grandpa|nan|granny|niece|nephew|parents?)\b|\b\d{1,2} ?(?:yr|year)s? old\b/u;

/** Our people caring for them: "for making my sis comfy", "looked after our son", "let her see the cockpit". */
const CARED_FOR =
  /\b(?:for making|made (?:my|our|his|her|their|the)|looked after|looking after|took (?:such )?(?:good )?care|taking (?:such )?(?:good )?care|letting (?:my|our)|feel special|comfy|cockpit)\b/u;

export function momentStrength(postText: string, signals: readonly Signal[]): Strength {
  const text = postText.toLowerCase();
  const clear =
    ASKS_SOMETHING_SPECIAL.test(text) ||
    CREW_MILESTONE.test(text) ||
    signals.includes('fan-creation') ||
    (RELATIVE.test(text) && CARED_FOR.test(text));
  return clear ? 'clear' : 'mild';
}
