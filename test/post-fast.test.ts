import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodePostText, describeIssues, parsePost, parsePostLine, plainPost, PostSchema, type ParsedLine } from '../src/domain/post';

/** What parsePost did before the hand-checked path: zod alone. */
function bySchema(raw: unknown): ParsedLine {
  if (raw && typeof raw === 'object' && typeof (raw as { id?: unknown }).id === 'number') {
    (raw as { id: unknown }).id = String((raw as { id: number }).id);
  }
  const parsed = PostSchema.safeParse(raw);
  if (!parsed.success) return { ok: false, error: describeIssues(parsed.error) };
  return { ok: true, post: decodePostText(parsed.data) };
}

const ABSENT = Symbol('absent');

/** A string of exactly n characters (code units), from a few alphabets incl. entities and astral characters. */
const sized = (n: number) =>
  fc.constantFrom('a', 'é', '🙂', '&amp;', ' ', '\n').map((unit) => {
    let s = '';
    while (s.length < n) s += unit;
    return s.slice(0, n);
  });
/** Mostly strings within min..max (with entities), then strings at and around the limits, and other types. */
const field = (min: number, max: number) =>
  fc.oneof(
    { arbitrary: fc.oneof(fc.string({ minLength: min, maxLength: Math.min(max, 40) }), fc.constantFrom('R&amp;D &lt;3', 'caf&eacute; &#128512;', 'a&b')), weight: 12 },
    { arbitrary: fc.constantFrom(Math.max(0, min - 1), min, min + 1, max - 1, max, max + 1).chain(sized), weight: 2 },
    { arbitrary: fc.constantFrom<unknown>(null, undefined, 0, 1, true, [], {}, ABSENT), weight: 1 },
  );
const rare = <T,>(common: fc.Arbitrary<T>, odd: unknown[]) =>
  fc.oneof({ arbitrary: common, weight: 12 }, { arbitrary: fc.constantFrom<unknown>(...odd), weight: 1 });
const counts = rare(fc.nat(), [-1, -0, 0.5, 1e21, Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER + 1, Infinity, NaN, '3', null, undefined, ABSENT]);
const dates = fc.oneof(
  { weight: 6, arbitrary: fc.date({ min: new Date('0001-01-01'), max: new Date('9999-12-31'), noInvalidDate: true }).map((d) => d.toISOString()) },
  fc.constantFrom<unknown>(
    '2024-03-01T10:00:00Z', '2024-03-01T10:00:00+01:00', '2024-03-01T10:00:00.123456-05:30', '2024-02-29T00:00:00Z',
    '2023-02-29T00:00:00Z', '2024-03-01T10:00Z', '2024-03-01 10:00:00Z', '2024-03-01T24:00:00Z', '2024-03-01T10:00:00',
    '2024-03-01T10:00:00+1:00', '2024-03-01T10:00:00+24:00', ' 2024-03-01T10:00:00Z', '2024-03-01T10:00:00z', '', 1709287200000, null, ABSENT,
  ),
);
const urls = fc.oneof(
  { weight: 4, arbitrary: fc.constant(ABSENT) },
  { weight: 4, arbitrary: fc.webUrl() },
  fc.constantFrom<unknown>(
    'https://x.com/a/status/1', ' https://x.com/a', 'https://x.com/a ', 'https://x.c\tom/a', 'https://x.com/\na', 'http:example.com',
    'not a url', 'mailto:a@b.c', 'https://', '', `https://x.com/${'a'.repeat(2030)}`, `https://x.com/${'a'.repeat(2040)}`, 5, null, undefined, ABSENT,
  ),
);
const author = rare(
  fc.record({
    id: field(0, 256),
    handle: field(1, 64),
    name: field(0, 128),
    followers: counts,
    verified: rare(fc.constantFrom(true, false, ABSENT), ['true', 0, null, undefined]),
    extra: rare(fc.constant(ABSENT), [1]),
  }),
  [null, 'someone', [], ABSENT],
);
const metrics = rare(
  fc.oneof(fc.constant(ABSENT), fc.record({ likes: counts, reposts: counts, replies: counts, quotes: counts, views: rare(fc.constant(ABSENT), [3]) }, { requiredKeys: [] })),
  [null, [], 5, undefined],
);
const links = rare(
  fc.array(fc.oneof(fc.webUrl(), field(0, 2048).map((v) => (v === ABSENT ? 'https://a.b/' : v))), { maxLength: 22 }),
  ['https://a.b', null, undefined, ABSENT],
);
const post = fc.record({
  id: fc.oneof({ weight: 6, arbitrary: field(1, 512) }, fc.integer(), fc.constantFrom(1e21, 1.5, -0)),
  platform: field(1, 32),
  url: urls,
  author,
  text: field(1, 10_000),
  lang: fc.oneof(fc.constant(ABSENT), field(2, 16)),
  createdAt: dates,
  metrics,
  inReplyTo: fc.oneof(fc.constant(ABSENT), fc.constant(null), field(0, 512)),
  quoteOf: fc.oneof(fc.constant(ABSENT), fc.constant(null), field(0, 512)),
  links,
  via: rare(fc.constantFrom('mention', ABSENT), ['comment', null, undefined]),
  extra: rare(fc.constant(ABSENT), ['x', null]),
});

/** The generated record as a post: absent keys dropped, keys (and the author's) in a shuffled order. */
const arrange = (rec: Record<string, unknown>, order: number[]): Record<string, unknown> => {
  const entries = Object.entries(rec).filter(([, v]) => v !== ABSENT);
  const out: Record<string, unknown> = {};
  for (const i of order) {
    const e = entries[i % Math.max(1, entries.length)];
    if (e && !(e[0] in out)) {
      const [k, v] = e;
      out[k] = v && typeof v === 'object' && !Array.isArray(v) ? arrange(v as Record<string, unknown>, [...order].reverse()) : v;
    }
  }
  for (const [k, v] of entries) if (!(k in out)) out[k] = v && typeof v === 'object' && !Array.isArray(v) ? arrange(v as Record<string, unknown>, order) : v;
  return out;
};
const posts = fc.tuple(post, fc.array(fc.nat({ max: 20 }), { maxLength: 13 })).map(([rec, order]) => arrange(rec, order));

/** Same outcome, same Post (keys in the same order, undefined values alike), same message. */
function expectSame(got: ParsedLine, want: ParsedLine): void {
  expect(got).toStrictEqual(want);
  if (got.ok && want.ok) {
    expect(JSON.stringify(got.post)).toBe(JSON.stringify(want.post));
    expect(Object.keys(got.post)).toEqual(Object.keys(want.post));
    expect(Object.keys(got.post.author)).toEqual(Object.keys(want.post.author));
  }
}

describe('the hand-checked Post path', () => {
  it('gives what zod gives on generated posts, valid and not, as JSON lines', () => {
    let fast = 0;
    let valid = 0;
    fc.assert(
      fc.property(posts, (raw) => {
        const line = JSON.stringify(raw);
        const want = bySchema(JSON.parse(line));
        if (want.ok) valid++;
        if (plainPost(JSON.parse(line))) fast++;
        expectSame(parsePostLine(line), want);
      }),
      { numRuns: Number(process.env.RUNS ?? 4000) },
    );
    // Both kinds were exercised: posts zod accepts and the hand path took, and posts zod refuses.
    expect(fast).toBeGreaterThan(200);
    expect(valid).toBeLessThan(Number(process.env.RUNS ?? 4000) * 0.9);
  });

  it('gives what zod gives on objects as built in code (undefined values, numeric ids)', () => {
    fc.assert(
      fc.property(posts, (raw) => {
        expectSame(parsePost(structuredClone(raw)), bySchema(structuredClone(raw)));
      }),
      { numRuns: 3000 },
    );
  });

  it('takes the common shape itself and decodes it, and leaves anything unusual to zod', () => {
    const line = {
      id: '1', platform: 'x', author: { handle: 'a', name: 'Tom &amp; Jerry' }, text: 'R&amp;D &lt;3', createdAt: '2024-03-01T10:00:00Z',
      metrics: { likes: 2 }, links: ['https://a.b/c'],
    };
    const got = plainPost(line);
    expect(got).toStrictEqual({
      id: '1', platform: 'x', author: { handle: 'a', name: 'Tom & Jerry', followers: 0 }, text: 'R&D <3', createdAt: '2024-03-01T10:00:00Z',
      metrics: { likes: 2, reposts: 0, replies: 0, quotes: 0 }, links: ['https://a.b/c'],
    });
    // A copy, not the input's array.
    expect(got?.links).not.toBe(line.links);
    for (const odd of [
      { ...line, extra: 1 },
      { ...line, url: ' https://a.b' },
      { ...line, text: undefined },
      { ...line, author: { handle: 'a', followers: 1.5 } },
      { ...line, createdAt: '2024-03-01T10:00:00' },
      Object.assign(Object.create(null) as object, line),
    ]) {
      expect(plainPost(odd)).toBeUndefined();
    }
  });
});
