import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { LEX } from '../src/detect/lexicon';
import { foldable, prefilterTables, readPrefilterTables, requiredLiterals, splitAlternatives, warmUpSteps, withPrefilter } from '../src/detect/prefilter';
import { hasWord } from '../src/detect/letters';
import { SEVERITY } from '../src/detect/severity';

const plainTest = (re: RegExp, text: string) => RegExp.prototype.test.call(re, text);

describe('the lexicon prefilter', () => {
  it('reads the strings every match needs off a pattern', () => {
    expect(requiredLiterals(/(?:^|\W)first[- ]time fl(?:yer|ier)\b/u)?.sort()).toEqual(
      ['first time flier', 'first time flyer', 'first-time flier', 'first-time flyer'].sort(),
    );
    expect(requiredLiterals(/\d+(?:st|nd|rd|th) birthday/u)?.sort()).toEqual(['nd birthday', 'rd birthday', 'st birthday', 'th birthday']);
    // A run of text goes on into how the next part starts: "l+" starts with "l", and a few-character class is one of them.
    expect(requiredLiterals(/cancel+ed|delay/u)?.sort()).toEqual(['cancel', 'delay']);
    expect(requiredLiterals(/\bis (?:[6-9]\d|1[01]\d)\b/u)?.sort()).toEqual(['is 10', 'is 11', 'is 6', 'is 7', 'is 8', 'is 9']);
    // …and a run starts again with how a part ends: "0th flight", never just " flight".
    expect(requiredLiterals(/[1-9]\d*0(?:st|nd|rd|th) flight/u)?.sort()).toEqual(['0nd flight', '0rd flight', '0st flight', '0th flight']);
    expect(requiredLiterals(/(?:\d+ )+hours? late/u)?.sort()).toEqual([' hour late', ' hours late']);
    // A class of more than a few characters, or a part that may be empty, says nothing of how it starts.
    expect(requiredLiterals(/flight (?:[0-9]\d+|\p{L}+) cancelled/u)?.sort()).toEqual([' cancelled']);
    expect(requiredLiterals(/my(?: \p{L}+)? flight/u)?.sort()).toEqual([' flight']);
    // Nothing to require: a pattern that can match without a literal, or one that ignores case, always runs.
    expect(requiredLiterals(/\p{L}+|honeymoon/u)).toBeNull();
    expect(requiredLiterals(/honeymoon/i)).toBeNull();
  });

  it('has a warm-up step for every pattern of every table, and warming changes no answer', () => {
    const table = withPrefilter({ late: /late/u, every: /\p{L}+/gu });
    const patterns = [...Object.values(LEX), ...Object.values(SEVERITY), ...Object.values(table)];
    const texts = ['my flight is late 🙂', 'nothing here', 'Mijn koffer is kwijt'];
    const before = patterns.map((re) => texts.map((t) => re.test(t)));
    table.every.lastIndex = 0;
    expect(warmUpSteps().length).toBeGreaterThanOrEqual(patterns.length);
    for (const step of warmUpSteps()) step();
    // A global pattern is left where it was found (lastIndex 0), so its next use starts at the beginning.
    expect(table.every.lastIndex).toBe(0);
    expect(patterns.map((re) => texts.map((t) => re.test(t)))).toEqual(before);
  });

  it('tests a word list word by word, each word with its own strings, and answers as the whole list does', () => {
    const list = /(?:^|[^\p{L}\p{N}])(?:first (?:time )?flight|\d+(?:st|nd|rd|th) birthday|bag|\p{L}*farewell|(?<!\d)\d+ flight)(?![\p{L}\p{N}])/u;
    const parts = splitAlternatives(list)!;
    // A word that is one of a few strings is tested without a regex; a word with a short string alone; those with
    // long, rare strings together.
    expect(parts.map((p) => [p.needs?.sort() ?? null, p.literal ?? null])).toEqual([
      [['first flight', 'first time flight'], { bounded: true }],
      [['bag'], { bounded: true }],
      [[' flight'], null],
      [['farewell', 'nd birthday', 'rd birthday', 'st birthday', 'th birthday'], null],
    ]);
    expect(parts[3]!.source).toBe('(?:^|[^\\p{L}\\p{N}])(?:\\d+(?:st|nd|rd|th) birthday|\\p{L}*farewell)(?![\\p{L}\\p{N}])');
    // An assertion inside a word (\b, a lookbehind) keeps its regex: the strings alone do not say where it matches.
    expect(splitAlternatives(/\b(?:as always|yet again)\b|🙃/u)).toBeNull();
    const asserted = splitAlternatives(/(?:^|[^\p{L}\p{N}])(?:(?<!not )first flight|bag|seats?)(?![\p{L}\p{N}])/u)!;
    expect(asserted.map((p) => (p.literal ? p.needs : null))).toEqual([['bag'], ['seat', 'seats'], null]);
    const table = withPrefilter({ list });
    for (const text of ['my first flight', 'my first time flights', 'first time flight!', 'her 90th birthday', 'the 630 flight', '#pilotfarewell', 'a flight', 'first flights', 'x1 flight', 'bag', 'baggage', 'é bag!', '']) {
      expect(table.list.test(text), text).toBe(plainTest(list, text));
    }
    // Not split: a capturing group or a back-reference could mean something else in a part.
    expect(splitAlternatives(/(a|b)\1/u)).toBeNull();
    expect(splitAlternatives(/x(?:a|(b))/u)).toBeNull();
    expect(splitAlternatives(/late|delay/iu)).toBeNull();
  });

  it('finds overlapping strings of several patterns in one pass', () => {
    const table = withPrefilter({ she: /she/, he: /he/, hers: /hers/, his: /his/ });
    expect(Object.values(table).map((re) => re.test('ushers'))).toEqual([true, true, true, false]);
    expect(Object.values(table).map((re) => re.test('this'))).toEqual([false, false, false, true]);
    // Texts asked about in turn keep their answers.
    expect(table.she.test('ushers')).toBe(true);
    expect(table.his.test('ushers')).toBe(false);
  });

  // The prefilter never changes what a pattern means: on texts built from the patterns' own strings, with
  // random glue, every lexicon and severity pattern answers as its plain regex does.
  const patterns = Object.entries({ ...LEX, ...SEVERITY }) as [string, RegExp][];
  // The strings of each word of a list too (a list is tested word by word, each with its own strings).
  const pieces = patterns.flatMap(([, re]) => [
    ...(requiredLiterals(re) ?? []).slice(0, 20),
    ...(splitAlternatives(re) ?? []).flatMap((part) => (part.needs ?? []).slice(0, 2)),
  ]);
  const text = fc
    .array(fc.oneof(fc.constantFrom(...pieces), fc.constantFrom(' ', '  ', '!', "'", 'ë', '🙃', 'a', 'my ', 'the ', '2', '½', '𝐅', '𝟏', '\ud800', '\udc00', '#'), fc.string({ maxLength: 4 })), {
      maxLength: 12,
    })
    .map((parts) => parts.join(''));

  it.each(patterns)('%s answers as its plain regex does', (_name, re) => {
    fc.assert(
      fc.property(text, (t) => re.test(t) === plainTest(re, t)),
      { numRuns: 300 },
    );
  });
});

describe('the tables the build writes', () => {
  it('hold what each pattern computes, and are refused when they do not fit together', () => {
    const { json, bin } = prefilterTables();
    const read = readPrefilterTables(json, bin)!;
    for (const re of [...Object.values(LEX), ...Object.values(SEVERITY)]) {
      const key = `${re.flags}/${re.source}`;
      if (Object.hasOwn(read.split, key)) expect(read.split[key], key).toEqual(splitAlternatives(re));
      // A pattern not split has its needed strings read off it whole.
      else expect(read.needs[key], key).toEqual(requiredLiterals(re));
    }
    expect(Object.keys(read.split).length).toBeGreaterThanOrEqual(Object.keys(LEX).length);
    // Whether each pattern reads the folded text, as foldable() says of it; every pattern with \p{L} does.
    const folds = Object.entries(read.fold);
    expect(folds.length).toBeGreaterThan(100);
    for (const [key, fold] of folds) {
      const flags = key.slice(0, key.indexOf('/'));
      expect(fold, key).toBe(foldable(key.slice(flags.length + 1), flags));
      if (key.includes('\\p{L}')) expect(fold, key).toBe(true);
    }
    expect(read.scanner.tables.classOf.length).toBe(65536);
    expect(readPrefilterTables(json, bin.subarray(0, bin.length - 2))).toBeUndefined();
  });
});

describe('a literal word of a list', () => {
  const regex = (word: string) => new RegExp(`(?:^|[^\\p{L}\\p{N}])${word}(?![\\p{L}\\p{N}])`, 'u');
  it('answers as the pattern as written next to letters and numbers of any plane (its regexes are compiled with the BMP ones alone)', () => {
    const list = /(?:^|[^\p{L}\p{N}])(?:(?<!\d)\d+ flight|\p{L}*farewell|my \p{L}+ cried)(?![\p{L}\p{N}])/u;
    const single = /(?:^|[^\p{L}])honeymoon(?![\p{L}])/u;
    const table = withPrefilter({ list, single });
    // Letters and numbers below U+0250 (é, ½), from it on (ж, 中, ٣, Ⅻ: read as the stand-ins ª and ²), the stand-ins
    // themselves, beyond the BMP (𝐅, 𝟏), an emoji, lone surrogates, a combining accent.
    const pieces = ['farewell', '12 flight', 'my ', 'cried', ' ', 'é', 'ж', '中', '٣', 'Ⅻ', 'ª', '²', '\u0301', '2', '½', '𝐅', '𝟏', '🙃', '\ud800', '\udc00', 'honeymoon', '-'];
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...pieces), { maxLength: 8 }), (parts) => {
        const text = parts.join('');
        expect(table.list.test(text), JSON.stringify(text)).toBe(plainTest(list, text));
        expect(table.single.test(text), JSON.stringify(text)).toBe(plainTest(single, text));
      }),
      { numRuns: 3000 },
    );
    // Beyond the BMP a letter is a letter still: no word starts or ends next to one.
    expect(table.list.test('𝐅farewell')).toBe(true);
    expect(table.list.test('farewell𝐅')).toBe(false);
    expect(table.single.test('𝐅honeymoon')).toBe(false);
    expect(table.single.test('🙃honeymoon')).toBe(true);
  });

  it('leaves a pattern that could tell a letter from its stand-in to read the text itself', () => {
    const patterns = {
      // A Cyrillic word, a capital, a letter twice, a range over the stand-ins, case-insensitive: none is folded.
      cyrillic: /(?:^|[^\p{L}])жених(?![\p{L}])/u,
      capital: /(?:^|[^\p{L}])\p{Lu}\p{L}+ rocks(?![\p{L}])/u,
      twice: /(?:^|[^\p{L}])(\p{L})\1(?![\p{L}])/u,
      range: /(?:^|[^\p{L}])[\u00a0-\u00ff]+ ok(?![\p{L}])/u,
      caseless: /(?:^|[^\p{L}])kelvin \p{L}+(?![\p{L}])/iu,
      lexicon: /(?:^|[^\p{L}\p{N}])(?:my \p{L}+ cried|\p{N}+ flights?)(?![\p{L}\p{N}])/u,
    };
    expect(Object.fromEntries(Object.entries(patterns).map(([name, re]) => [name, foldable(re.source, re.flags)]))).toEqual({
      cyrillic: false,
      capital: false,
      twice: false,
      range: false,
      caseless: false,
      lexicon: true,
    });
    const table = withPrefilter({ ...patterns });
    const pieces = ['жених', 'Жених', 'Ωmega', 'ΩΩ', 'жж', 'жz', 'ª', '²', '٣', 'ö', ' ok', ' rocks', 'my ', ' cried', ' flight', '\u212a', 'elvin ', ' ', 'x'];
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...pieces), { maxLength: 6 }), (parts) => {
        const text = parts.join('');
        for (const [name, re] of Object.entries(patterns)) expect(table[name as keyof typeof patterns].test(text), `${name} ${JSON.stringify(text)}`).toBe(plainTest(re, text));
      }),
      { numRuns: 3000 },
    );
  });

  it('is found where the regex finds it: not next to a letter or a number, surrogate pairs read whole', () => {
    const pieces = ['bag', 'my bag', ' ', 'a', 'é', '2', '½', '𝐅', '𝟏', '🙃', '\ud800', '\udc00', "'", '-', 'bags'];
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...pieces), { maxLength: 10 }), (parts) => {
        const text = parts.join('');
        for (const word of ['bag', 'my bag']) expect(hasWord(text, word), JSON.stringify(text)).toBe(regex(word).test(text));
      }),
      { numRuns: 3000 },
    );
    expect(hasWord('𝐅bag', 'bag')).toBe(false);
    expect(hasWord('\udc00bag', 'bag')).toBe(true);
    expect(hasWord('bagbag bag', 'bag')).toBe(true);
  });
});
