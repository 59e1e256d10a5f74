/**
 * What \p{L} and \p{N} say of a code point, without a regex each time: the BMP's answers are found once each and
 * kept in a 64 KB table (the model's word scanner and the lexicon's word lists ask of every code unit they read).
 */
const LETTER = /^\p{L}$/u;
const NUMBER = /^\p{N}$/u;
/** Each BMP code unit's class, found once: 0 not yet, 1 neither, 2 a number, 3 a letter. */
const unitClass = new Uint8Array(65536);
/** The same for plane 1 (U+10000–U+1FFFF). */
const plane1Class = new Uint8Array(65536);

/** 3 for a letter (\p{L}), 2 for a number (\p{N}), 1 for anything else (a lone surrogate included). */
export function classOf(cp: number): number {
  if (cp < 65536) {
    let k = unitClass[cp]!;
    if (k === 0) {
      const ch = String.fromCharCode(cp);
      k = LETTER.test(ch) ? 3 : NUMBER.test(ch) ? 2 : 1;
      unitClass[cp] = k;
    }
    return k;
  }
  // Beyond the BMP: the emoji and historic scripts of plane 1 kept as the BMP's are (a post with emoji asks of
  // them again and again), the rest found each time.
  if (cp < 0x20000) {
    const k = plane1Class[cp - 65536]!;
    if (k !== 0) return k;
  }
  const ch = String.fromCodePoint(cp);
  const k = LETTER.test(ch) ? 3 : NUMBER.test(ch) ? 2 : 1;
  if (cp < 0x20000) plane1Class[cp - 65536] = k;
  return k;
}

/** The code point that ends at `at` (a surrogate pair read whole, as a u-flag regex reads it). */
function codePointBefore(text: string, at: number): number {
  const low = text.charCodeAt(at - 1);
  if (low >= 0xdc00 && low <= 0xdfff && at >= 2) {
    const high = text.charCodeAt(at - 2);
    if (high >= 0xd800 && high <= 0xdbff) return (high - 0xd800) * 0x400 + (low - 0xdc00) + 0x10000;
  }
  return low;
}

/**
 * Whether `word` (a literal) occurs in the text as /(?:^|[^\p{L}\p{N}])word(?![\p{L}\p{N}])/u finds it: not
 * preceded nor followed by a letter or a number. A literal has one length, so any such occurrence is a match.
 */
export function hasWord(text: string, word: string): boolean {
  for (let at = text.indexOf(word); at >= 0; at = text.indexOf(word, at + 1)) {
    if (at > 0 && classOf(codePointBefore(text, at)) >= 2) continue;
    const end = at + word.length;
    if (end < text.length && classOf(text.codePointAt(end)!) >= 2) continue;
    return true;
  }
  return false;
}

/** A character class's ranges (`\u0041-\u005a…`) of the code units below `end` that match `re` (runs of them). */
function rangesBelow(end: number, re: RegExp): string {
  // Every code unit below `end` but the surrogates, in order: a match's index tells its first code point.
  const gap = end > 0xd800 ? 0x800 : 0;
  const units = new Uint16Array(end - gap);
  for (let i = 0; i < units.length; i++) units[i] = i < 0xd800 ? i : i + 0x800;
  const all = new TextDecoder('utf-16le').decode(units);
  const hex = (cp: number) => `\\u${cp.toString(16).padStart(4, '0')}`;
  let out = '';
  // A run never crosses the surrogates' gap: U+D7FF and U+E000 are neither letters nor numbers.
  for (const m of all.matchAll(re)) {
    const first = m.index < 0xd800 ? m.index : m.index + 0x800;
    const last = first + m[0].length - 1;
    out += first === last ? hex(first) : `${hex(first)}-${hex(last)}`;
  }
  return out;
}

/** Letters and numbers as class ranges, read once off the engine's own \p{L} and \p{N} (same Unicode version). */
interface Ranges {
  L: string;
  N: string;
}
let bmpRanges: Ranges | undefined;
let latinRanges: Ranges | undefined;
const rangesUpTo = (end: number): Ranges => ({ L: rangesBelow(end, /\p{L}+/gu), N: rangesBelow(end, /\p{N}+/gu) });

/** A u-flag regex source with each \p{L} and \p{N} (in a class or not) read as the given ranges. */
function withRanges(source: string, { L, N }: Ranges): string {
  if (!source.includes('\\p{')) return source;
  let inClass = false;
  // An escape is read whole, so an escaped bracket neither opens nor closes a class.
  return source.replace(/\\p\{([LN])\}|\\.|\[|\]/g, (match, name: string | undefined) => {
    if (name) return inClass ? (name === 'L' ? L : N) : `[${name === 'L' ? L : N}]`;
    if (match === '[') inClass = true;
    else if (match === ']') inClass = false;
    return match;
  });
}

/**
 * A u-flag regex source with each \p{L} and \p{N} read as the BMP's letters and numbers only. V8 spends most of a
 * lexicon pattern's compilation on those escapes' code points beyond the BMP (each boundary of a word list turns
 * into hundreds of surrogate-pair ranges, and again for two-byte texts): the BMP's ranges alone compile in about a
 * third of the time. The two sources match alike on any text without a letter or number beyond the BMP (see
 * lexiconText): a regex made from this one is tried on such texts only.
 */
export function bmpLetters(source: string): string {
  return withRanges(source, (bmpRanges ??= rangesUpTo(0x10000)));
}

/**
 * Folding, for the lexicon's patterns: each BMP letter from U+0250 on reads as ª and each such number as ² (both
 * below U+0250, and still a letter and a number), so that a pattern's \p{L} and \p{N} need only the code points
 * below U+0250, a class of a few dozen ranges instead of the BMP's hundreds (latinLetters). V8 compiles such a
 * pattern about three times quicker, which is most of what a process's first posts wait for. A pattern reads the
 * folded text only when it cannot tell it from the text (see foldable() in prefilter.ts): no letter or number
 * from U+0250 on and no stand-in in it, no other property escape, no back-reference, no case-insensitivity.
 */
export const FOLD_FROM = 0x250;
export const LETTER_STAND_IN = 0xaa;
export const NUMBER_STAND_IN = 0xb2;
const LETTER_STAND_IN_TEXT = String.fromCharCode(LETTER_STAND_IN);
const NUMBER_STAND_IN_TEXT = String.fromCharCode(NUMBER_STAND_IN);

/** A u-flag regex source with each \p{L} and \p{N} read as the letters and numbers below U+0250 (see FOLD_FROM). */
export function latinLetters(source: string): string {
  return withRanges(source, (latinRanges ??= rangesUpTo(FOLD_FROM)));
}

/** The last text asked of, and its answer: a post's text is asked of by one pattern after another. */
let askedText = '';
let askedAnswer: string | null = '';
/**
 * The text as a folded pattern reads it (see FOLD_FROM): the same length, each BMP letter or number from U+0250 on
 * replaced by its stand-in. Null when the text holds a letter or number beyond the BMP (𝐅, 𝟗; not an emoji): there
 * the patterns as written read the text itself.
 */
export function lexiconText(text: string): string | null {
  if (text !== askedText) {
    askedAnswer = folded(text);
    askedText = text;
  }
  return askedAnswer;
}

function folded(text: string): string | null {
  let out = '';
  let from = 0;
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i);
    if (unit < FOLD_FROM) continue;
    if (unit >= 0xd800 && unit <= 0xdbff) {
      const low = text.charCodeAt(i + 1);
      if (low >= 0xdc00 && low <= 0xdfff) {
        if (classOf((unit - 0xd800) * 0x400 + (low - 0xdc00) + 0x10000) >= 2) return null;
        i++;
      }
      continue;
    }
    const k = classOf(unit);
    if (k < 2) continue;
    out += text.slice(from, i) + (k === 3 ? LETTER_STAND_IN_TEXT : NUMBER_STAND_IN_TEXT);
    from = i + 1;
  }
  return from === 0 ? text : out + text.slice(from);
}
