import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { countLines, linesBackwards } from '../src/sources/backwards';
import { JsonlSource, isNewestFirst } from '../src/sources/jsonl';
import type { Post } from '../src/domain/post';

const dir = mkdtempSync(join(tmpdir(), 'kairos-backwards-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;
function file(content: string): string {
  const path = join(dir, `f${n++}.jsonl`);
  writeFileSync(path, content);
  return path;
}
async function all(lines: AsyncIterable<string>): Promise<string[]> {
  const out: string[] = [];
  for await (const l of lines) out.push(l);
  return out;
}
/** The lines as readJsonl reads them forwards: split at \n, a \r before it dropped, no line after a final \n. */
function forwards(content: string): string[] {
  const parts = content.split('\n').map((l) => l.replace(/\r$/, ''));
  if (content.endsWith('\n')) parts.pop();
  return content === '' ? [] : parts;
}

describe('reading a file backwards', () => {
  it('gives the lines last to first, whatever the chunk size, with multi-byte characters cut by a chunk', async () => {
    const line = fc.array(fc.constantFrom('a', 'z', ' ', 'é', '🌷', '{', '"', ':'), { maxLength: 12 }).chain((cs) =>
      fc.boolean().map((cr) => `${cs.join('')}${cr ? '\r' : ''}`),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(line, { maxLength: 12 }), fc.boolean(), fc.integer({ min: 1, max: 9 }), async (lines, finalNewline, chunk) => {
        const content = lines.join('\n') + (finalNewline && lines.length ? '\n' : '');
        const path = file(content);
        expect(await all(linesBackwards(path, chunk))).toEqual(forwards(content).reverse());
        expect(await countLines(path)).toBe(forwards(content).length);
      }),
      { numRuns: 150 },
    );
  });

  const post = (id: number, at: string) =>
    JSON.stringify({ id: String(id), platform: 'x', author: { handle: `fan${id}` }, text: `post ${id} for @OranjeAir`, createdAt: at });

  it('tells a newest-first file from one oldest first or merely disordered', async () => {
    const hours = Array.from({ length: 60 }, (_, i) => new Date(Date.UTC(2026, 1, 1, i)).toISOString());
    const oldestFirst = hours.map((at, i) => post(i, at));
    expect(await isNewestFirst(file(`${[...oldestFirst].reverse().join('\n')}\n`))).toBe(true);
    expect(await isNewestFirst(file(`${oldestFirst.join('\n')}\n`))).toBe(false);
    // Two copies one after the other: each end runs oldest to newest.
    expect(await isNewestFirst(file(`${[...oldestFirst, ...oldestFirst].join('\n')}\n`))).toBe(false);
  });

  it('replays a newest-first file oldest post first, naming an invalid line by its line in the file', async () => {
    const hours = Array.from({ length: 30 }, (_, i) => new Date(Date.UTC(2026, 1, 1, i)).toISOString());
    const lines = hours.map((at, i) => post(i, at)).reverse();
    lines.splice(4, 0, 'not a post');
    const invalid: number[] = [];
    let reversed = false;
    const source = new JsonlSource('replay', file(`${lines.join('\n')}\n`), (line) => invalid.push(line), () => (reversed = true));
    const seen: Post[] = [];
    await source.start(async (p) => void seen.push(p));
    expect(reversed).toBe(true);
    expect(seen.map((p) => p.id)).toEqual(hours.map((_, i) => String(i)));
    expect(invalid).toEqual([5]);
  });
});
