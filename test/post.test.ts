import { describe, expect, it } from 'vitest';
import { engagement, parsePostLine } from '../src/domain/post';

const FULL = {
  id: '1760000000000000001',
  platform: 'x',
  url: 'https://x.com/someone/status/1760000000000000001',
  author: { id: '123', handle: 'someone', name: 'Some One', followers: 410, verified: false },
  text: 'Landed safe, thanks to the crew!',
  lang: 'en',
  createdAt: '2024-03-01T10:00:00Z',
  metrics: { likes: 35, reposts: 12, replies: 9, quotes: 2 },
  inReplyTo: null,
};

const MINIMAL = {
  id: '42',
  platform: 'x',
  author: { handle: 'someone' },
  text: 'hello',
  createdAt: '2024-03-01T10:00:00+01:00',
};

function errorOf(line: string): string {
  const r = parsePostLine(line);
  if (r.ok) throw new Error(`expected ${line} to be rejected`);
  return r.error;
}

describe('parsePostLine', () => {
  it('parses a full post line as given', () => {
    const r = parsePostLine(JSON.stringify(FULL));
    expect(r).toEqual({ ok: true, post: FULL });
  });

  it('accepts a post without the optional fields, counting followers and metrics as zero', () => {
    const r = parsePostLine(JSON.stringify(MINIMAL));
    if (!r.ok) throw new Error(r.error);
    expect(r.post.author.followers).toBe(0);
    expect(r.post.lang).toBeUndefined();
    expect(r.post.url).toBeUndefined();
    expect(r.post.metrics).toBeUndefined();
    expect(engagement(r.post)).toEqual({ likes: 0, reposts: 0, replies: 0, quotes: 0 });
  });

  it('fills missing counters inside metrics with zero', () => {
    const r = parsePostLine(JSON.stringify({ ...MINIMAL, metrics: { reposts: 7 } }));
    if (!r.ok) throw new Error(r.error);
    expect(engagement(r.post)).toEqual({ likes: 0, reposts: 7, replies: 0, quotes: 0 });
  });

  it('accepts a numeric id and keeps it as a string', () => {
    const r = parsePostLine(`{"id":1760000000000001,"platform":"x","author":{"handle":"a"},"text":"hi","createdAt":"2024-03-01T10:00:00Z"}`);
    if (!r.ok) throw new Error(r.error);
    expect(r.post.id).toBe('1760000000000001');
  });

  it('says a line that is not JSON is not JSON, in one line', () => {
    const error = errorOf('{"id": "1", "text": ');
    expect(error).toMatch(/^not JSON/);
    expect(error).not.toContain('\n');
  });

  it('names a missing nested field by its path', () => {
    const error = errorOf(JSON.stringify({ ...MINIMAL, author: { followers: 3 } }));
    expect(error).toContain('author.handle');
    expect(error).not.toContain('\n');
  });

  it('names each missing top-level field in one line', () => {
    const error = errorOf(JSON.stringify({ id: '1' }));
    for (const field of ['platform', 'author', 'text', 'createdAt']) expect(error).toContain(field);
    expect(error).not.toContain('\n');
  });

  it.each([
    ['createdAt', { createdAt: 'yesterday' }],
    ['author.followers', { author: { handle: 'a', followers: -1 } }],
    ['text', { text: '' }],
    ['url', { url: 'not a url' }],
  ])('rejects a bad %s and names it', (field, patch) => {
    expect(errorOf(JSON.stringify({ ...MINIMAL, ...patch }))).toContain(field);
  });

  it('rejects JSON that is not an object without throwing', () => {
    for (const line of ['null', '[]', '"a post"', '42']) {
      expect(parsePostLine(line).ok).toBe(false);
    }
  });
});

describe('HTML entities from exports and X', () => {
  it('are decoded once where a line becomes a Post: named, numeric and hex, in the text and the name', () => {
    const line = JSON.stringify({
      ...MINIMAL,
      author: { handle: 'fan', name: 'Sam &amp; Kim' },
      text: 'Ben &amp; Jerry&#39;s &lt;3 &quot;top&quot; &gt; rest, rebooking costs &#8364;1.480 or &#x20AC;90',
    });
    const r = parsePostLine(line);
    if (!r.ok) throw new Error(r.error);
    expect(r.post.text).toBe('Ben & Jerry\'s <3 "top" > rest, rebooking costs €1.480 or €90');
    expect(r.post.author.name).toBe('Sam & Kim');
  });

  it('are decoded only once: a fan who typed "&amp;lt;" keeps "&lt;", and text without entities is untouched', () => {
    const r = parsePostLine(JSON.stringify({ ...MINIMAL, text: 'write &amp;lt; for < & smile' }));
    expect(r.ok && r.post.text).toBe('write &lt; for < & smile');
  });
});
