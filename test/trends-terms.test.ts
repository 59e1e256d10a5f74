import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { STOP_WORDS } from '../src/detect/stopwords';
import { fingerprintOf, normaliseText, termsOf, wordsOf } from '../src/detect/terms';
import { CountedKeys } from '../src/detect/trends-counted';

// The trends detector's hot path, each piece against the plain way of doing the same thing.

/** Text made of the pieces that matter: words, stop words, hashtags, mentions, links, "RT", accents, wide forms. */
const text = fc
  .array(
    fc.constantFrom('storm', 'Winter', 'the', 'and', '#Elfstedentocht', '#', '##ijs', '@KLM', 'mail@x.nl', 'RT', 'rt', 'https://t.co/x', 'www.klm.nl',
      'café', 'Ｆｕｌｌ', 'ﬁx', '12', '3pm', 'ab', "don't", 'it’s', ',', '!', ' ', '\n', 'İstanbul', 'straße', 'a#b', 'klm'),
    { maxLength: 30 },
  )
  .map((parts) => parts.join(' '));

function referenceNormalise(t: string): string {
  let s = t.normalize('NFKC').toLowerCase();
  s = s.replace(/\bhttps?:\/\/\S+|\bwww\.\S+/giu, ' ');
  s = s.replace(/(^|[^\p{L}\p{N}_])@[\p{L}\p{N}_]+/gu, '$1 ');
  return s.replace(/['’`]/gu, '');
}

/** The terms as read straight from the normalised text: tokens with their '#', phrases of adjacent kept words. */
function referenceTerms(normalised: string, ignore: ReadonlySet<string>): string[] {
  const out = new Set<string>();
  let prev: string | null = null;
  for (const raw of normalised.match(/#?[\p{L}\p{N}]+/gu) ?? []) {
    const word = raw.startsWith('#') ? raw.slice(1) : raw;
    const kept = word.length >= 3 && word.length <= 30 && /\p{L}/u.test(word) && !STOP_WORDS.has(word) && !ignore.has(word);
    if (!kept) {
      prev = null;
      continue;
    }
    out.add(word);
    if (prev !== null && !ignore.has(`${prev} ${word}`)) out.add(`${prev} ${word}`);
    prev = word;
  }
  return [...out];
}

describe('the terms of a post', () => {
  const ignore = new Set(['klm', 'winter storm']);

  it('are those read straight from the text, in the same order, with the same fingerprint', () => {
    fc.assert(
      fc.property(text, (t) => {
        const normalised = normaliseText(t);
        expect(normalised).toBe(referenceNormalise(t));
        const words = wordsOf(normalised);
        expect([...termsOf(words, ignore)]).toEqual(referenceTerms(normalised, ignore));
        expect(fingerprintOf(words)).toBe(words.filter((w) => w !== 'rt').join(' ').slice(0, 200));
      }),
      { numRuns: 500 },
    );
  });

  it('clears the set it is handed and cuts a long fingerprint at 200 characters', () => {
    const into = new Set(['stale']);
    expect([...termsOf(wordsOf(normaliseText('Winter storm grounds flights')), ignore, into)]).toEqual(['winter', 'storm', 'grounds', 'storm grounds', 'flights', 'grounds flights']);
    const long = wordsOf(normaliseText('abcdefghi '.repeat(40)));
    expect(fingerprintOf(long)).toBe(long.join(' ').slice(0, 200));
    expect(fingerprintOf(long)).toHaveLength(200);
  });
});

/** The plain version: one map of "author\0term" keys, re-inserted when set so that it stays in time order. */
class ReferenceKeys {
  readonly map = new Map<string, number>();
  constructor(private readonly max: number) {}
  set(author: string, term: string, at: number): void {
    const key = `${author}\u0000${term}`;
    this.map.delete(key);
    this.map.set(key, at);
    if (this.map.size <= this.max) return;
    let drop = Math.ceil(this.max / 10);
    for (const k of this.map.keys()) {
      if (drop-- <= 0) break;
      this.map.delete(k);
    }
  }
  expire(since: number): void {
    for (const [k, t] of this.map) {
      if (t > since) break;
      this.map.delete(k);
    }
  }
}

describe('the counted author × term keys', () => {
  it('hold what one time-ordered map of "author\\0term" keys holds, through expiry and the cap', () => {
    const op = fc.oneof(
      { arbitrary: fc.record({ author: fc.constantFrom('ann', 'bob', 'cy', 'dee'), term: fc.constantFrom('storm', 'ice', 'snow', 'ice storm', 'delay') }), weight: 6 },
      { arbitrary: fc.record({ expireBack: fc.integer({ min: 0, max: 12 }) }), weight: 1 },
    );
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 25 }), fc.array(op, { maxLength: 400 }), (max, ops) => {
        const keys = new CountedKeys(max);
        const ref = new ReferenceKeys(max);
        let now = 0;
        for (const o of ops) {
          now += 1;
          if ('author' in o) {
            // As the detector does: a key is set again only once it expired (or was forgotten).
            const since = now - 5;
            const had = keys.of(o.author)?.get(o.term);
            expect(had).toBe(ref.map.get(`${o.author}\u0000${o.term}`));
            if (had !== undefined && had > since) continue;
            keys.set(o.author, o.term, now, keys.of(o.author));
            ref.set(o.author, o.term, now);
          } else {
            keys.expire(now - o.expireBack);
            ref.expire(now - o.expireBack);
          }
          expect(keys.size).toBe(ref.map.size);
        }
        for (const [key, at] of ref.map) {
          const [author, term] = key.split('\u0000') as [string, string];
          expect(keys.of(author)?.get(term)).toBe(at);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('lets go of the consumed front of its queue on a long stream', () => {
    const keys = new CountedKeys(100);
    for (let t = 1; t <= 50_000; t++) {
      keys.set(`a${t % 7}`, `t${t % 13}`, t);
      if (t % 10 === 0) keys.expire(t - 30);
    }
    expect(keys.size).toBeLessThanOrEqual(100);
    expect((keys as unknown as { times: number[] }).times.length).toBeLessThan(5_000);
  });
});
