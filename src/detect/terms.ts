import { STOP_WORDS } from './stopwords';

/**
 * Turns a post's text into the terms the trends detector counts: words, hashtags (counted as the word, so
 * "#Elfstedentocht" and "elfstedentocht" are one term) and two-word phrases ("winter storm") of adjacent
 * content words. Mentions and links are dropped; brand names are ignored, since the brand is in every post.
 */

const URL = /\bhttps?:\/\/\S+|\bwww\.\S+/giu;
const MENTION = /(^|[^\p{L}\p{N}_])@[\p{L}\p{N}_]+/gu;
const WORD = /[\p{L}\p{N}]+/gu;
const ASCII = /^[\x00-\x7f]*$/;

export function normaliseText(text: string): string {
  // NFKC leaves ASCII as it is: most posts skip ICU.
  let s = (ASCII.test(text) ? text : text.normalize('NFKC')).toLowerCase();
  // Each pattern only where its text can be (most posts have no link): the same result, a scan saved per post.
  if (s.includes('http') || s.includes('www.')) s = s.replace(URL, ' ');
  if (s.includes('@')) s = s.replace(MENTION, '$1 ');
  return s.replace(/['’`]/gu, '');
}

/** The ignore set for a brand: each name and handle, its words run together, and its words as a phrase. */
export function brandIgnoreSet(names: readonly string[]): Set<string> {
  const out = new Set<string>();
  for (const raw of names) {
    const words = normaliseText(raw).match(/[\p{L}\p{N}]+/gu) ?? [];
    if (!words.length) continue;
    out.add(words.join(''));
    if (words.length === 1) out.add(words[0]!);
    if (words.length === 2) out.add(words.join(' '));
  }
  return out;
}

function keep(token: string): boolean {
  if (token.length < 3 || token.length > 30) return false;
  if (!hasLetter(token)) return false; // numbers, times and prices are not moments
  return !STOP_WORDS.has(token);
}

/** /\p{L}/u.test(token) for a token of letters and digits, without the regex for the usual ASCII ones. */
function hasLetter(token: string): boolean {
  let ascii = true;
  for (let i = 0; i < token.length; i++) {
    const c = token.charCodeAt(i);
    if (c >= 0x61 && c <= 0x7a) return true; // a–z (the text is lower case)
    if (c > 0x7f) ascii = false;
  }
  return !ascii && /\p{L}/u.test(token);
}

/** The distinct terms of one text, unigrams first. */
export function extractTerms(text: string, ignore: ReadonlySet<string> = new Set()): string[] {
  return [...termsOf(wordsOf(normaliseText(text)), ignore)];
}

/**
 * The distinct terms of a text's words (wordsOf of the normalised text) in the order they first occur, added to
 * `into` (cleared first; the trends detector reuses one set for every post). A hashtag's word is its run of
 * letters, so "#Elfstedentocht" and "elfstedentocht" are one term; a phrase is two adjacent kept words.
 */
export function termsOf(words: readonly string[], ignore: ReadonlySet<string> = new Set(), into = new Set<string>()): Set<string> {
  into.clear();
  let prev: string | null = null;
  for (const word of words) {
    if (!keep(word) || ignore.has(word)) {
      prev = null;
      continue;
    }
    into.add(word);
    if (prev !== null) {
      const phrase = `${prev} ${word}`;
      if (!ignore.has(phrase)) into.add(phrase);
    }
    prev = word;
  }
  return into;
}

/** A fingerprint of a text for spotting copies (retweets, copy-paste spam): its words, without RT and links. */
export function textFingerprint(text: string): string {
  return fingerprintOf(wordsOf(normaliseText(text)));
}

/** textFingerprint from the words of the normalised text (wordsOf). */
export function fingerprintOf(words: readonly string[]): string {
  let out = '';
  for (const w of words) {
    if (w === 'rt') continue;
    out = out ? `${out} ${w}` : w;
    if (out.length >= 200) break;
  }
  return out.slice(0, 200);
}

/** The words of a normalised text: runs of letters and digits. */
export function wordsOf(normalised: string): string[] {
  return normalised.match(WORD) ?? [];
}
