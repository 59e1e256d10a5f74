import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FUNCTION_WORDS, functionWords, hasOtherLetter } from '../src/detect/lang';

/** The counts as the words' strings give them: each run of [a-z0-9_] of the cleaned text looked up by name. */
function reference(text: string): { clean: string; nl: number; en: number; foreign: number; settled: boolean } {
  const clean = text.replace(/https?:\/\/\S+/g, ' ').replace(/[@#]\w+/g, ' ').toLowerCase();
  const counts = { clean, nl: 0, en: 0, foreign: 0, settled: false };
  for (const word of clean.match(/[A-Za-z0-9_]+/g) ?? []) {
    const bits = FUNCTION_WORDS.get(word) ?? 0;
    counts.nl += bits & 1;
    counts.en += (bits >> 1) & 1;
    counts.foreign += bits >> 2;
  }
  // Settled as the cleaned string reads: its length, and a letter of another language in it.
  const { nl, en, foreign } = counts;
  const most = Math.max(nl, en);
  counts.settled = nl !== en && (clean.length <= 30 || (most >= 2 && most >= 2 * Math.min(nl, en) && foreign * 2 < most && !/[^\P{L}a-zéèëêïöüáàäóòôúç]/u.test(clean)));
  return counts;
}

describe('function words', () => {
  it('are counted as looking each word up by name would count them, without making a string of it', () => {
    const sample = 'Ik ben de koffer kwijt @KLM, THE flight is not here #de https://x.nl/de para el vuelo İk ünd _the the_';
    const { clean, nl, en, foreign, settled } = functionWords(sample);
    expect({ clean, nl, en, foreign, settled }).toEqual(reference(sample));
    expect(nl).toBeGreaterThan(0);
    expect(en).toBeGreaterThan(0);
    expect(foreign).toBeGreaterThan(0);
    // Links, handles and hashtags in every arrangement (a handle ending where a link starts, a link with nothing
    // after it), letters that lower-case to ASCII or to two characters, other scripts, lone surrogates.
    const pieces = ['de', 'the', 'ik', 'THE', 'Ik', 'para', 'que', 'el', 'ben', 'a', 'i', '9', '_', ' ', '\u00a0', '\n', ',', "'", '@', '#', 'http', 'http://', 'https://', 'https://x ', 'hTTp://', 'İ', 'K', 'É', 'é', 'ß', 'ñ', 'Ж', 'Σ', '😡', '𝒜', '\ud835', 'vlucht', 'thanks', 'THANKS'];
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...pieces), { maxLength: 30 }), (parts) => {
        const text = parts.join('');
        const { clean: c, nl: n, en: e, foreign: f, settled: s } = functionWords(text);
        expect({ clean: c, nl: n, en: e, foreign: f, settled: s }).toEqual(reference(text));
      }),
      { numRuns: 6000 },
    );
    // Around the length where short posts settle, with and without a letter of another language.
    for (const extra of ['', 'ñ', 'ß', 'Ж', 'É', 'İ', 'K', '😡', '𝒜', '@x', '#y', 'http://z', 'de ik']) {
      for (let pad = 0; pad < 30; pad++) {
        for (const text of [`the thanks ${'x'.repeat(pad)} ${extra}`, `${extra} ik mijn ${'A'.repeat(pad)}`, `i the ${extra}${'x'.repeat(pad)}`]) {
          const { clean: c, nl: n, en: e, foreign: f, settled: s } = functionWords(text);
          expect({ clean: c, nl: n, en: e, foreign: f, settled: s }).toEqual(reference(text));
        }
      }
    }
  });

  it('find a letter English and Dutch do not write exactly where the regex does, code point by code point', () => {
    const OTHER_LETTER = /[^\P{L}a-zéèëêïöüáàäóòôúç]/u;
    for (const [text, other] of [['vlucht één', false], ['vuelo año', true], ['ÉÉN', true], ['straße', true], ['𝒜', true], ['😡 9 ²', false], ['\ud835', false]] as const) {
      expect(hasOtherLetter(text)).toBe(other);
      expect(OTHER_LETTER.test(text)).toBe(other);
    }
    const pieces = ['a', 'Z', 'é', 'ç', 'É', 'ñ', 'ß', 'ı', 'İ', 'ª', 'µ', '²', '٣', 'ж', '中', '😡', '𝒜', '𝟘', '\ud835', '\udc9c', ' ', '9', '.'];
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...pieces), { maxLength: 20 }), (parts) => {
        const text = parts.join('');
        expect(hasOtherLetter(text)).toBe(OTHER_LETTER.test(text));
      }),
      { numRuns: 3000 },
    );
  });
});
