import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { readJsonl, readJsonlBlocks, type JsonlLine } from '../src/sources/jsonl';

const post = (id: string) => JSON.stringify({ id, platform: 'x', author: { handle: 'fan' }, text: `post ${id} 🙂`, createdAt: '2026-02-02T10:00:00Z' });

/** The text cut into chunks of `size` characters (cutting lines, a \r\n and a surrogate pair anywhere). */
const chunked = (text: string, size: number) => Readable.from(Array.from({ length: Math.ceil(text.length / size) }, (_, i) => text.slice(i * size, (i + 1) * size)));

async function all<T>(items: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of items) out.push(item);
  return out;
}

describe('readJsonlBlocks', () => {
  const text = [post('a'), '', '{"id": "broken"', `${post('b')}\r`, ` ${post('c')} `, 'x\ry', post('d')].join('\n');

  it.each([1, 7, 64, 100_000])('reads the lines readJsonl reads, in order, numbered alike (chunks of %i)', async (size) => {
    const blocks = await all(readJsonlBlocks(chunked(text, size), { blankLines: true }));
    const lines = await all(readJsonl(chunked(text, size), { blankLines: true }));
    expect(blocks.flat()).toEqual(lines);
    expect(lines.map((l) => [l.line, l.ok])).toEqual([[1, true], [2, false], [3, false], [4, true], [5, true], [6, false], [7, true]]);
    // A lone \r stays inside its line: one error line, not two.
    expect((lines[5] as Extract<JsonlLine, { ok: false }>).error).toMatch(/^not JSON/);
    // The whole text in one chunk is one block, and the last line (no \n after it) one more once the input ends;
    // a chunk a character is a block a line at most.
    if (size === 100_000) expect(blocks.map((b) => b.length)).toEqual([6, 1]);
    if (size === 1) expect(blocks.every((b) => b.length === 1)).toBe(true);
  });

  it('skips blank lines unless asked for them, and counts them all the same', async () => {
    const items = (await all(readJsonlBlocks(chunked(`\n\n${post('a')}\n\n`, 5)))).flat();
    expect(items.map((i) => i.line)).toEqual([3]);
  });
});
