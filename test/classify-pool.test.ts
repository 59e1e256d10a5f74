import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Readable, Writable } from 'node:stream';
import type { Worker } from 'node:worker_threads';
import { afterEach, describe, expect, it } from 'vitest';
import { classify, type PoolOptions } from '../src/classify';
import { InOrderChunks, type ChunkWorkers, type InOrderOptions } from '../src/classify-pool';
import type { Config } from '../src/config';
import { languageDetection } from '../src/detect/lang-mode';

// As the command sets it: the n-gram detector loads when a post first needs it (in each worker too).
languageDetection.deferred = true;

/**
 * classify with its worker pool forced on (small figures) against the same run in one thread: the same bytes, in
 * input order, bad and blank lines included; a closed output or a failing worker ends the run as it should.
 */
const BRAND: Config['brand'] = { name: 'Oranje Air', handles: ['OranjeAir'], terms: ['Oranje Air', 'OranjeAir'], languages: ['en', 'nl'] };
const read = (path: string) => readFileSync(new URL(path, import.meta.url), 'utf8').split('\n').filter(Boolean);
const posts = [...read('../src/sources/demo-stream.jsonl'), ...read('fixtures/eval/posts.jsonl')];
const spanish = JSON.stringify({ id: 'es1', platform: 'x', author: { handle: 'fan' }, text: '@OranjeAir vuelo a Boston con retraso de dos horas, no hay nadie en el mostrador para ayudar', createdAt: '2026-02-02T10:00:00Z' });
// Every 9th line broken in some way: bad JSON, blank, not a post, a \r\n ending, a lone \r inside.
const lines = [...posts, spanish, ...posts].map((line, i) => (i % 9 === 4 ? ['{"id": "broken", ', '', '   ', '{"id":"x"}', `${line}\r`, 'a\rb'][Math.floor(i / 9) % 6]! : line));
// No newline after the last line: it is still a line.
const text = lines.join('\n');

/** The text as an input cut into pieces of `size` characters (lines cut anywhere). */
const pieces = (s: string, size: number) => Readable.from(Array.from({ length: Math.ceil(s.length / size) }, (_, i) => s.slice(i * size, (i + 1) * size)));

function collector() {
  let out = '';
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      out += chunk.toString();
      done();
    },
  });
  return { stream, text: () => out };
}

/** Workers started (and how many have stopped) while `f` runs. */
const started: Worker[] = [];
const exited = new Set<Worker>();
const onWorker = (w: Worker) => {
  started.push(w);
  w.once('exit', () => exited.add(w));
};
process.on('worker', onWorker);
afterEach(() => {
  started.length = 0;
  exited.clear();
  delete process.env.FAIL;
});

/** As on a machine with cores to spare (classify starts no worker on a busy one). */
const idle = { freeCores: () => 8 };

async function run(pool: PoolOptions, input: Readable = pieces(text, 4096), opts: { live?: boolean } = {}) {
  const out = collector();
  const result = await classify(input, out.stream, BRAND, undefined, { ...opts, pool: { ...idle, ...pool } });
  return { result, text: out.text() };
}

// Workers start from the sources here (tsx compiles them in each): slower than the build's, above all on a busy machine.
describe('classify on worker threads', { timeout: 60_000 }, () => {
  it('writes byte for byte what one thread writes, in input order, error lines numbered as in the input', async () => {
    const inline = await run({ workers: 0 });
    expect(started).toHaveLength(0);
    const out = inline.text.split('\n');
    expect(out.pop()).toBe('');
    expect(out).toHaveLength(lines.length);
    expect(JSON.parse(out[4]!)).toMatchObject({ id: null, line: 5, error: expect.stringMatching(/JSON/) });
    expect(JSON.parse(out[13]!)).toMatchObject({ id: null, line: 14, error: 'empty line' });
    expect(out.some((l) => (JSON.parse(l) as { drafts?: unknown }).drafts)).toBe(true);
    expect(out.find((l) => l.includes('"es1"'))).toContain('"lang":"es"');

    // Chunks of 7 lines over 2 workers (a worker ready first answers later chunks sooner), the first 20 lines in
    // this thread, and this thread triaging three lines at a time whenever both workers hold two.
    for (const pool of [{ workers: 2, after: 20, chunkLines: 7, hereLines: 3 }, { workers: 1, after: 1, chunkLines: 3 }]) {
      const pooled = await run(pool, pieces(text, 300));
      expect(started.length).toBe(pool.workers);
      expect(pooled.text).toBe(inline.text);
      expect(pooled.result).toBe('done');
      expect(exited.size).toBe(pool.workers);
      started.length = 0;
      exited.clear();
    }
  });

  it('starts the workers before a line is read for a big file, and stops them when the brand pack is broken', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kairos-pack-'));
    writeFileSync(join(dir, 'offline.yaml'), 'situations: [unclosed\n');
    const out = collector();
    const input = new PassThrough();
    const ran = classify(input, out.stream, { ...BRAND, dir }, undefined, { size: 5_000_000, pool: { ...idle, workers: 2 } });
    await expect(ran).rejects.toThrow(join(dir, 'offline.yaml'));
    expect(started).toHaveLength(2);
    await new Promise((resolve) => setImmediate(resolve));
    expect(exited.size).toBe(2);
    expect(out.text()).toBe('');
    // A small file does not start them.
    const small = collector();
    await classify(pieces(`${posts.slice(0, 3).join('\n')}\n`, 1000), small.stream, BRAND, undefined, { size: 900, pool: { ...idle, workers: 2 } });
    expect(small.text().split('\n')).toHaveLength(4);
    expect(started).toHaveLength(2);
  });

  it('keeps a live stream that keeps up in this thread, and starts the workers for a backlog', async () => {
    const live = new PassThrough();
    const out = collector();
    const ran = classify(live, out.stream, BRAND, undefined, { live: true, pool: { ...idle, workers: 2, after: 20, chunkLines: 2 } });
    // A line every 10 ms (after a first one, while triage's code compiles): the reader waits for nearly every one.
    live.write(`${posts[0]}\n`);
    while (!out.text()) await new Promise((resolve) => setTimeout(resolve, 5));
    for (const line of posts.slice(1, 60)) {
      live.write(`${line}\n`);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    live.end();
    await ran;
    expect(out.text().split('\n')).toHaveLength(61);
    expect(started).toHaveLength(0);

    // The same lines all at once (read in pieces, as a pipe delivers a burst).
    const burst = await run({ workers: 2, after: 20, chunkLines: 2 }, pieces(`${posts.slice(0, 60).join('\n')}\n`, 1000), { live: true });
    expect(started).toHaveLength(2);
    expect(burst.text).toBe(out.text());
  });

  it('stays in one thread on a machine with no core to spare, whatever the backlog', async () => {
    const busy = await run({ workers: 2, after: 1, chunkLines: 3, freeCores: () => 0.4 });
    expect(started).toHaveLength(0);
    expect(busy.text).toBe((await run({ workers: 0 })).text);
  });

  it('ends quietly when its output closes, with every worker stopped', async () => {
    const input = new PassThrough();
    const out = new Writable({
      write(_chunk, _enc, done) {
        // The reader went away (classify | head -1).
        done(Object.assign(new Error('write EPIPE'), { code: 'EPIPE' }));
      },
    });
    const ran = classify(input, out, BRAND, undefined, { pool: { ...idle, workers: 2, after: 1, chunkLines: 5 } });
    // The writer keeps the input open and writes on.
    const feed = setInterval(() => input.write(`${posts.join('\n')}\n`), 2);
    try {
      expect(await ran).toBe('closed');
    } finally {
      clearInterval(feed);
    }
    expect(started).toHaveLength(2);
    await new Promise((resolve) => setImmediate(resolve));
    expect(exited.size).toBe(2);
  });

  it('reads no further than a few chunks ahead of an output that does not drain', async () => {
    let pulled = 0;
    const input = new Readable({
      read() {
        if (pulled >= 6_000) return this.push(null);
        pulled += 50;
        this.push(`${Array.from({ length: 50 }, (_, i) => posts[(pulled + i) % posts.length]).join('\n')}\n`);
      },
    });
    let out = '';
    let hold: (() => void) | null = null;
    const output = new Writable({
      highWaterMark: 1024,
      write(chunk: Buffer, _enc, done) {
        out += chunk.toString();
        hold = done;
      },
    });
    const ran = classify(input, output, BRAND, undefined, { pool: { ...idle, workers: 2, after: 1, chunkLines: 50 } });
    await new Promise((resolve) => setTimeout(resolve, 1000));
    // The output holds its first batch: the reader stopped a few chunks (and a stream's buffer) later.
    expect(pulled).toBeLessThan(2_000);
    const release = setInterval(() => {
      const h = hold;
      hold = null;
      h?.();
    }, 1);
    await ran;
    clearInterval(release);
    expect(out.split('\n')).toHaveLength(6_001);
  });

  it.each([
    ['exits', 'exit', /a triage worker stopped \(exit code 3\) with lines 4–\d+ unanswered/],
    ['answers with an error', 'throw', /triaging lines 4–6 failed: Error: boom/],
  ])('fails loudly, naming the lines, when a worker %s; what came before is written, nothing after', async (_what, fail, message) => {
    process.env.FAIL = fail;
    const out = collector();
    const script = new URL('./support/failing-classify-worker.ts', import.meta.url);
    const ran = classify(pieces(`${posts.slice(0, 30).join('\n')}\n`, 100_000), out.stream, BRAND, undefined, { pool: { ...idle, workers: 1, after: 1, chunkLines: 3, script } });
    await expect(ran).rejects.toThrow(message);
    await expect(ran).rejects.toThrow(/; the verdicts of the first 3 lines were written, none after them$/);
    // Lines 1–3 (the stand-in's answer), then this thread's own chunks queued behind the lost one are not written.
    expect(out.text()).toBe('{"stand-in":true}\n'.repeat(3));
    expect(exited.size).toBe(1);
  });
});

/** Workers that hold each chunk until the test answers it (or, `auto`, the next turn of the event loop): `room` chunks at most. */
function heldWorkers(room: number, auto = false) {
  const held: { first: number; lines: readonly string[]; answer: () => void; fail: (err: Error) => void }[] = [];
  const workers: ChunkWorkers = {
    hasRoom: () => held.length < room,
    classify: (first, lines) =>
      new Promise<string>((resolve, reject) => {
        const q = { first, lines, answer: () => resolve(lines.map((l) => `w${l}\n`).join('')), fail: reject };
        held.push(q);
        if (auto) setImmediate(() => held.splice(held.indexOf(q), 1)[0]!.answer());
      }),
  };
  const take = (i: number) => held.splice(i, 1)[0]!;
  return { workers, held, take };
}

function chunksOver(workers: ChunkWorkers, first: number, opts: Partial<InOrderOptions> = {}) {
  let out = '';
  const here: [number, string[]][] = [];
  const failures: Error[] = [];
  const chunks = new InOrderChunks(workers, first, {
    chunkLines: 2,
    hereLines: 2,
    aheadLines: 8,
    here: async (from, lines) => {
      here.push([from, lines]);
      return lines.map((l) => `h${l}\n`).join('');
    },
    write: (text) => (out += text),
    stopped: () => false,
    failed: (err) => failures.push(err),
    ...opts,
  });
  return { chunks, out: () => out, here, failures };
}

const settle = () => new Promise((resolve) => setImmediate(resolve));

describe("InOrderChunks: the pool's chunks, written in input order", () => {
  it('writes chunks in input order whichever answers first, and triages here while the workers are full', async () => {
    const w = heldWorkers(2);
    const c = chunksOver(w.workers, 5);
    await c.chunks.add(['a', 'b', 'c', 'd', 'e']);
    // Two chunks to the workers (numbered from the first line given), the leftover line waits for more.
    expect(w.held.map((q) => [q.first, q.lines])).toEqual([[5, ['a', 'b']], [7, ['c', 'd']]]);
    await c.chunks.add(['f', 'g']);
    // Both workers full: the third chunk is triaged here, and waits for the two before it.
    expect(c.here).toEqual([[9, ['e', 'f']]]);
    expect(c.out()).toBe('');
    w.take(1).answer();
    await settle();
    expect(c.out()).toBe('');
    w.take(0).answer();
    await settle();
    expect(c.out()).toBe('wa\nwb\nwc\nwd\nhe\nhf\n');
    const done = c.chunks.finish();
    await settle();
    // The last line, alone, goes to a worker with room.
    expect(w.held.map((q) => [q.first, q.lines])).toEqual([[11, ['g']]]);
    w.take(0).answer();
    await done;
    expect(c.out()).toBe('wa\nwb\nwc\nwd\nhe\nhf\nwg\n');
  });

  it('triages a few lines at a time here while the workers are full, and gives a worker its next chunk between them', async () => {
    const w = heldWorkers(1, true);
    const firsts: number[] = [];
    const workers: ChunkWorkers = { hasRoom: w.workers.hasRoom, classify: (first, lines) => (firsts.push(first), w.workers.classify(first, lines)) };
    const c = chunksOver(workers, 1, { chunkLines: 4, hereLines: 2 });
    await c.chunks.add(Array.from({ length: 12 }, (_, i) => String(i + 1)));
    // Lines 5–6 here; meanwhile the worker answered lines 1–4 and took 7–10.
    expect(c.here).toEqual([[5, ['5', '6']]]);
    expect(firsts).toEqual([1, 7]);
    await c.chunks.finish();
    expect(c.out()).toMatch(/^w1\nw2\nw3\nw4\nh5\nh6\nw7\nw8\nw9\nw10\n[wh]11\n[wh]12\n$/);
  });

  it('holds no more than `aheadLines` lines unwritten: the reader waits for the oldest', async () => {
    const w = heldWorkers(10);
    const c = chunksOver(w.workers, 1, { aheadLines: 6 });
    let added = false;
    const adding = c.chunks.add(['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h']).then(() => (added = true));
    await settle();
    expect(w.held).toHaveLength(3);
    expect(added).toBe(false);
    w.take(0).answer();
    await adding;
    expect(w.held.map((q) => q.first)).toEqual([3, 5, 7]);
    expect(c.out()).toBe('wa\nwb\n');
    // A chunk bigger than the bound still goes out when nothing else is.
    const big = chunksOver(heldWorkers(1).workers, 1, { chunkLines: 4, aheadLines: 2 });
    await big.chunks.add(['a', 'b', 'c', 'd']);
    expect(big.here).toEqual([]);
  });

  it('gives the lines so far to a worker while the reader waits for input', async () => {
    const w = heldWorkers(2);
    const c = chunksOver(w.workers, 1, { chunkLines: 100 });
    await c.chunks.add(['a']);
    expect(w.held).toHaveLength(0);
    c.chunks.waiting();
    await settle();
    expect(w.held.map((q) => q.lines)).toEqual([['a']]);
    // More input before a worker could take the rest: it waits for a full chunk again.
    await c.chunks.add(['b']);
    w.take(0).answer();
    await settle();
    expect(c.out()).toBe('wa\n');
    expect(w.held).toHaveLength(0);
  });

  it('stops at a lost chunk: it says so once, and nothing from it on is written', async () => {
    const w = heldWorkers(2);
    const c = chunksOver(w.workers, 1);
    await c.chunks.add(['a', 'b', 'c', 'd']);
    w.take(1).answer();
    w.take(0).fail(new Error('lost'));
    await c.chunks.finish();
    expect(c.failures.map((e) => e.message)).toEqual(['lost']);
    expect(c.chunks.failure?.message).toBe('lost');
    await c.chunks.add(['e', 'f', 'g']);
    expect(w.held).toHaveLength(0);
    expect(c.here).toHaveLength(0);
    expect(c.out()).toBe('');
  });
});
