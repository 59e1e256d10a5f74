import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { DEMO_STREAM, formatMoments, main } from '../src/main';
import type { StoredMoment } from '../src/domain/moment';

/** A replay must be read oldest first: a file that is not is refused with what to do, never replayed wrongly in silence. */
const dir = mkdtempSync(join(tmpdir(), 'kairos-order-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const lines = readFileSync(DEMO_STREAM, 'utf8').split('\n').filter((l) => l.trim());

async function replay(name: string, content: string[]): Promise<{ code: number; out: string }> {
  const file = join(dir, `${name}.jsonl`);
  writeFileSync(file, `${content.join('\n')}\n`);
  const out = new PassThrough();
  let text = '';
  out.setEncoding('utf8').on('data', (d: string) => (text += d));
  const code = await main({ KAIROS_DB: join(dir, `${name}.db`), KAIROS_REPLAY_FILE: file, LOG_LEVEL: 'silent' }, out);
  return { code, out: text };
}

describe('replay order', () => {
  it('a newest-first file is read from its end: the same cards and rising moments as the file oldest first', async () => {
    const sorted = await replay('sorted', lines);
    const reversed = await replay('reversed', [...lines].reverse());
    expect(reversed.code).toBe(0);
    expect(reversed.out).toContain('The file is newest first: it is read from its end, oldest post first.');
    const figures = (out: string) => [/Posts read: .*/.exec(out)?.[0], /Cards: .*/.exec(out)?.[0], /Rising moments: .*/.exec(out)?.[0]];
    expect(figures(sorted.out)[2]).toContain('elfstedentocht');
    expect(figures(reversed.out)).toEqual(figures(sorted.out));
    expect(sorted.out).not.toContain('newest first');
  });

  it('overlapping copies (the file twice, one after the other) are refused with exit 2 and what to do', async () => {
    const ids = (l: string) => l.replace(/"id":"([^"]+)"/, '"id":"copy-$1"');
    const r = await replay('overlap', [...lines, ...lines.map(ids)]);
    expect(r.code).toBe(2);
    expect(r.out).toMatch(/Replay stopped: the posts are not in time order: by line \d+/);
    expect(r.out).toContain('sort the file by createdAt');
    expect(r.out).not.toContain('Daily digest');
  });

  it('a little disorder (neighbours swapped) is replayed as usual', async () => {
    const swapped = [...lines];
    for (let i = 0; i + 1 < swapped.length; i += 2) [swapped[i], swapped[i + 1]] = [swapped[i + 1]!, swapped[i]!];
    const r = await replay('swapped', swapped);
    expect(r.code).toBe(0);
    expect(r.out).toContain(`Posts read: ${lines.length} (`);
  });

  it('hundreds of moments make one short line: the first ten named, the rest counted', () => {
    const many = Array.from({ length: 300 }, (_, i) => ({ term: `term${i}`, nowPerHour: 30, baselinePerHour: 1 }) as StoredMoment);
    const line = formatMoments(many);
    expect(line.length).toBeLessThan(600);
    expect(line).toMatch(/term9 \(30\/h against 1\.0\/h\), and 290 more \(see the digest\)$/);
  });
});
