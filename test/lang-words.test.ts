import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FUNCTION_WORDS, functionWords, hasOtherLetter } from '../src/detect/lang';

/** The counts as the words' strings give them: each run of [a-z0-9_] of the cleaned text looked up by name. */
function reference(text: string): { clean: string; nl: number; en: number; foreign: number } {
  const clean = text.replace(/https?:\/\/\S+/g, ' ').replace(/[@#]\w+/g, ' ').toLowerCase();
  const counts = { clean, nl: 0, en: 0, foreign: 0 };
  for (const word of clean.match(/[A-Za-z0-9_]+/g) ?? []) {
    const bits = FUNCTION_WORDS.get(word) ?? 0;
    counts.nl += bits & 1;
    counts.en += (bits >> 1) & 1;
    counts.foreign += bits >> 2;
  }
  return counts;
}

describe('function words', () => {
  it('are counted as looking each word up by name would count them, without making a string of it', () => {
    const sample = 'Ik ben de koffer kwijt @KLM, THE flight is not here #de https://x.nl/de para el vuelo İk ünd _the the_';
    const { clean, nl, en, foreign } = functionWords(sample);
    expect({ clean, nl, en, foreign }).toEqual(reference(sample));
    expect(nl).toBeGreaterThan(0);
    expect(en).toBeGreaterThan(0);
    expect(foreign).toBeGreaterThan(0);
    const pieces = ['de', 'the', 'ik', 'THE', 'Ik', 'para', 'que', 'el', 'ben', 'a', 'i', '9', '_', ' ', ',', "'", '@', '#', 'http://', 'https://x ', 'İ', 'K', 'é', 'ß', '😡', 'vlucht', 'thanks'];
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...pieces), { maxLength: 30 }), (parts) => {
        const text = parts.join('');
        const { clean: c, nl: n, en: e, foreign: f } = functionWords(text);
        expect({ clean: c, nl: n, en: e, foreign: f }).toEqual(reference(text));
      }),
      { numRuns: 3000 },
    );
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
