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
