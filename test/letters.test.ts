import { describe, expect, it } from 'vitest';
import { bmpLetters, classOf, latinLetters, lexiconText } from '../src/detect/letters';

const byRegex = (cp: number) => (/^\p{L}$/u.test(String.fromCodePoint(cp)) ? 3 : /^\p{N}$/u.test(String.fromCodePoint(cp)) ? 2 : 1);

describe('letters', () => {
  it('classOf says what \\p{L} and \\p{N} say of a code point, asked the first time or again, in the BMP, plane 1 and beyond', () => {
    const points: number[] = [];
    for (let cp = 0; cp < 0x20000; cp += 7) points.push(cp);
    // Plane 1's letters, digits and emoji (𝐅, 𝟗, 😡), and planes beyond it (CJK extension B, a private use point).
    points.push(0x1d405, 0x1d7d7, 0x1f621, 0x20000, 0x2a6d6, 0x10fffd);
    for (const round of [1, 2]) {
      const wrong = points.filter((cp) => classOf(cp) !== byRegex(cp));
      expect(wrong, `round ${round}`).toEqual([]);
    }
    expect([classOf(0x1d405), classOf(0x1d7d7), classOf(0x1f621), classOf(0x20000)]).toEqual([3, 2, 1, 3]);
  });

  it('bmpLetters reads \\p{L} and \\p{N} as the BMP letters and numbers, in a class and outside one', () => {
    const sources = ['^\\p{L}$', '^[\\p{L}\\p{N}]$', '^[^\\p{L}\\p{N}]$', '^\\p{N}$', '^[\\p{L}-]$'];
    for (const source of sources) {
      const exact = new RegExp(source, 'u');
      const bmp = new RegExp(bmpLetters(source), 'u');
      const wrong: number[] = [];
      for (let cp = 0; cp < 0x10000; cp += 3) if (exact.test(String.fromCharCode(cp)) !== bmp.test(String.fromCharCode(cp))) wrong.push(cp);
      expect(wrong, source).toEqual([]);
    }
    // Other escapes are kept as written, and a source without a property escape comes back as it is.
    expect(bmpLetters('\\p{Lu}\\p{Ll}+\\]\\d')).toBe('\\p{Lu}\\p{Ll}+\\]\\d');
    expect(bmpLetters('[a\\]]\\p{N}')).toMatch(/^\[a\\\]\]\[\\u0030-\\u0039/);
    // Beyond the BMP they differ: a letter of plane 1 is no letter to the BMP form.
    expect(new RegExp(bmpLetters('^\\p{L}$'), 'u').test('𝐅')).toBe(false);
  });

  it('latinLetters reads \\p{L} and \\p{N} as the letters and numbers below U+0250, in a class and outside one', () => {
    for (const source of ['^\\p{L}$', '^[\\p{L}\\p{N}]$', '^[^\\p{L}\\p{N}]$', '^\\p{N}$']) {
      const exact = new RegExp(source, 'u');
      const latin = new RegExp(latinLetters(source), 'u');
      const wrong: number[] = [];
      for (let cp = 0; cp < 0x250; cp++) if (exact.test(String.fromCharCode(cp)) !== latin.test(String.fromCharCode(cp))) wrong.push(cp);
      expect(wrong, source).toEqual([]);
    }
    expect(['ª', '²', 'é', 'ж'].map((c) => new RegExp(latinLetters('^\\p{L}$'), 'u').test(c))).toEqual([true, false, true, false]);
  });

  it('lexiconText reads each BMP letter or number from U+0250 on as its stand-in, and gives up beyond the BMP', () => {
    expect(lexiconText('plain text é ½')).toBe('plain text é ½');
    expect(lexiconText('жених ٣ Ⅻ! 中文 ’ok’ 🙃 e\u0301')).toBe('ªªªªª ² ²! ªª ’ok’ 🙃 e\u0301');
    expect(['lone \ud835 surrogate', '\udc05 trail first', ''].map(lexiconText)).toEqual(['lone \ud835 surrogate', '\udc05 trail first', '']);
    // A letter or number beyond the BMP (not an emoji): the patterns as written read the text.
    expect(['bold 𝐅 letter', 'digit 𝟏', '𠀀 CJK extension B', 'x🙃𝐅'].map(lexiconText)).toEqual([null, null, null, null]);
    // Asked again of the same text, and then of another.
    expect([lexiconText('digit 𝟏'), lexiconText('digit 1'), lexiconText('ж')]).toEqual([null, 'digit 1', 'ª']);
  });
});
