import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { Post } from '../src/domain/post';
import { JsonlSource } from '../src/sources/jsonl';

const dir = mkdtempSync(join(tmpdir(), 'kairos-jsonl-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const post = (i: number) =>
  JSON.stringify({ id: String(i), platform: 'x', author: { handle: `fan${i}` }, text: `post ${i} for @OranjeAir ${'é🌷'.repeat(i % 7)}`, createdAt: new Date(Date.UTC(2026, 1, 1, 0, 0, i)).toISOString() });

/** 3,000 posts (many read chunks), some lines ending in \r\n, a blank line and two lines that are not posts. */
function replayFile(): { path: string; invalid: number[] } {
  const lines: string[] = [];
  const invalid: number[] = [];
  for (let i = 0; i < 3000; i++) {
    if (i === 700) lines.push('');
    if (i === 1200 || i === 2999) {
      lines.push(i === 1200 ? 'not a post' : '{"id":"x"}');
      invalid.push(lines.length);
    }
    lines.push(i % 3 ? post(i) : `${post(i)}\r`);
  }
  const path = join(dir, `replay-${Math.random().toString(36).slice(2)}.jsonl`);
  writeFileSync(path, `${lines.join('\n')}\n`);
  return { path, invalid };
}

describe('JsonlSource', () => {
  it('emits every post in file order across read chunks, names bad lines by their line, and waits only for an emit that returns a promise', async () => {
    const { path, invalid } = replayFile();
    const bad: number[] = [];
    const seen: string[] = [];
    let waiting = false;
    let overtaken = 0;
    await new JsonlSource('replay', path, (line) => bad.push(line)).start((p: Post) => {
      if (waiting) overtaken++;
      seen.push(p.id);
      if (seen.length % 100) return undefined;
      // Back-pressure: the next post must not come before this resolves.
      waiting = true;
      return new Promise<void>((r) =>
        setTimeout(() => {
          waiting = false;
          r();
        }, 1),
      );
    });
    expect(seen).toEqual(Array.from({ length: 3000 }, (_, i) => String(i)));
    expect(bad).toEqual(invalid);
    expect(overtaken).toBe(0);
  });

  it('stop() ends the replay at once: nothing after the post being handled is emitted', async () => {
    const { path } = replayFile();
    const seen: string[] = [];
    const source = new JsonlSource('replay', path);
    await source.start((p) => {
      seen.push(p.id);
      if (seen.length === 1500) void source.stop();
      return undefined;
    });
    expect(seen).toHaveLength(1500);
    expect(seen.at(-1)).toBe('1499');
  });
});
