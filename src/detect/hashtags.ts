/**
 * The words a hashtag runs together, when it holds a moment the rules know ("#HoneymoonPart3" is a honeymoon,
 * "#30thbirthdaydreams" a 30th birthday, "#MyKidsFirstFlight" a child's first flight). Such a tag is split where the
 * case or a number changes and around its moment words, which people often write in lower case. Other tags stay
 * whole: their words would only move the model ("#FirstClass", "#flightstalking").
 */
// "first"/"last" only before what they count: "#lastminute" or "#blastoff" hold no last flight.
const MOMENT_WORDS = /honeymoon|birthday|bday|wedding|anniversary|farewell|retirement|graduation|reunion|(?:first|last|final)(?:flight|time)/g;
const CASE_OR_NUMBER = /(?<=\p{Ll})(?=\p{Lu})|(?<=\p{L})(?=\p{N})|(?<=\p{N})(?!st|nd|rd|th)(?=\p{L})|(?<=\p{N}(?:st|nd|rd|th))(?=\p{L})/gu;
const spaced = (word: string) => ` ${word.replace(/^(?:first|last|final)(?=flight|time)/, '$& ')} `;

/**
 * A hashtag's text (without "#") as the rules read it: the tag as written, then its words when it holds a moment
 * word, so a tag still matches as written (a watched or rising tag) and its words match as words.
 */
export function hashtagWords(tag: string): string {
  const lower = tag.toLowerCase();
  // Most tags hold no moment word: a search, no replace. A tag that is one moment word alone stays as it is.
  if (lower.search(MOMENT_WORDS) < 0 || lower.replace(MOMENT_WORDS, spaced).trim() === lower) return tag;
  return `${tag} ${tag.replace(CASE_OR_NUMBER, ' ').toLowerCase().replace(MOMENT_WORDS, spaced).replace(/ {2,}/g, ' ').trim()}`;
}
