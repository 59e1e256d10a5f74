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

/**
 * \p{L} and \p{N} of the BMP as the ranges of a character class (`\u0041-\u005a…`), read once off the engine's own
 * \p{L} and \p{N}: the same code points, in the same Unicode version, as the property escapes.
 */
let bmpRanges: { L: string; N: string } | undefined;
function rangesOf(): { L: string; N: string } {
  if (bmpRanges) return bmpRanges;
  // Every BMP code unit but the surrogates, in order: a match's index tells its first code point.
  const units = new Uint16Array(0x10000 - 0x800);
  for (let i = 0; i < units.length; i++) units[i] = i < 0xd800 ? i : i + 0x800;
  const all = new TextDecoder('utf-16le').decode(units);
  const hex = (cp: number) => `\\u${cp.toString(16).padStart(4, '0')}`;
  const ranges = (re: RegExp) => {
    let out = '';
    for (const m of all.matchAll(re)) {
      const first = m.index < 0xd800 ? m.index : m.index + 0x800;
      const last = first + m[0].length - 1;
      out += first === last ? hex(first) : `${hex(first)}-${hex(last)}`;
    }
    return out;
  };
  // A run never crosses the surrogates' gap: U+D7FF and U+E000 are neither letters nor numbers.
  return (bmpRanges = { L: ranges(/\p{L}+/gu), N: ranges(/\p{N}+/gu) });
}

/**
 * A u-flag regex source with each \p{L} and \p{N} read as the BMP's letters and numbers only. V8 spends most of a
 * lexicon pattern's compilation on those escapes' code points beyond the BMP (each boundary of a word list turns
 * into hundreds of surrogate-pair ranges, and again for two-byte texts): the BMP's ranges alone compile in about a
 * third of the time. The two sources match alike on any text without a letter or number beyond the BMP (see
 * hasAstralWordChar): a regex made from this one is tried on such texts only.
 */
export function bmpLetters(source: string): string {
  if (!source.includes('\\p{')) return source;
  const { L, N } = rangesOf();
  let inClass = false;
  // An escape is read whole, so an escaped bracket neither opens nor closes a class.
  return source.replace(/\\p\{([LN])\}|\\.|\[|\]/g, (match, name: string | undefined) => {
    if (name) return inClass ? (name === 'L' ? L : N) : `[${name === 'L' ? L : N}]`;
    if (match === '[') inClass = true;
    else if (match === ']') inClass = false;
    return match;
  });
}

/** The last text asked of, and its answer: a post's text is asked of by one pattern after another. */
let askedText = '';
let askedAnswer = false;
/** Whether the text holds a letter or a number beyond the BMP (𝐅, 𝟗; not an emoji): where bmpLetters() differs. */
export function hasAstralWordChar(text: string): boolean {
  if (text === askedText) return askedAnswer;
  let found = false;
  for (let i = 0; i < text.length; i++) {
    const high = text.charCodeAt(i);
    if (high < 0xd800 || high > 0xdbff) continue;
    const low = text.charCodeAt(i + 1);
    if (low >= 0xdc00 && low <= 0xdfff && classOf((high - 0xd800) * 0x400 + (low - 0xdc00) + 0x10000) >= 2) {
      found = true;
      break;
    }
  }
  askedText = text;
  askedAnswer = found;
  return found;
}
