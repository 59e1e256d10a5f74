import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadBrandPack } from '../src/analyse/brand-pack';
import { buildKairos, emptySummary, runSource } from '../src/app';
import { Batcher } from '../src/batches';
import { loadConfig } from '../src/config';
import type { Post } from '../src/domain/post';
import { createLogger } from '../src/log';
import { DEMO_STREAM } from '../src/main';
import { JsonlSource } from '../src/sources/jsonl';
import type { Source } from '../src/sources/source';
import { openSqlite } from '../src/store/sqlite';
import { replayKairos, replayOutcome } from './support/replay-outcome';

const log = createLogger('silent');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('Batcher', () => {
  it('hands over full batches at once and the rest after the wait, in order, one batch at a time', async () => {
    const seen: number[][] = [];
    let running = 0;
    const b = new Batcher<number>(
      async (items) => {
        expect(++running).toBe(1);
        await sleep(5);
        seen.push(items);
        running--;
      },
      3,
      20,
    );
    // Nothing to wait for until a batch is full: no promise for the producer to await.
    expect(b.add(1)).toBeUndefined();
    expect(b.add(2)).toBeUndefined();
    const full = b.add(3);
    expect(full).toBeInstanceOf(Promise);
    await full;
    for (const n of [4, 5]) await b.add(n);
    // The full batch was handled before add() returned; 4 and 5 wait for the timer.
    expect(seen).toEqual([[1, 2, 3]]);
    await sleep(80);
    expect(seen).toEqual([[1, 2, 3], [4, 5]]);
    await b.add(6);
    await b.flush();
    expect(seen).toEqual([[1, 2, 3], [4, 5], [6]]);
  });

  it('holds the producer back while a slow consumer works: never more than two batches ahead', async () => {
    let handled = 0;
    let added = 0;
    let ahead = 0;
    const b = new Batcher<number>(
      async (items) => {
        await sleep(15);
        handled += items.length;
      },
      10,
      5,
    );
    // A producer a little faster than the consumer, never filling a batch within the wait on its own.
    for (let i = 0; i < 100; i++) {
      await sleep(1);
      await b.add(i);
      added++;
      ahead = Math.max(ahead, added - handled);
    }
    await b.flush();
    expect(handled).toBe(100);
    expect(ahead).toBeLessThanOrEqual(20);
  });

  it('stops at the first failure: the next add and flush throw it, and no later batch runs', async () => {
    const seen: number[][] = [];
    const b = new Batcher<number>(async (items) => {
      if (items.includes(2)) throw new Error('database lost');
      seen.push(items);
    }, 2);
    await b.add(1);
    await expect(b.add(2)).rejects.toThrow('database lost');
    await expect(b.add(3)).rejects.toThrow('database lost');
    await expect(b.flush()).rejects.toThrow('database lost');
    expect(seen).toEqual([]);
  });
});

describe('replay in batches', () => {
  const dir = mkdtempSync(join(tmpdir(), 'kairos-batches-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const config = loadConfig({ KAIROS_DB: ':memory:' });

  const kairos = (file?: string) => replayKairos(config, file);

  const outcome = replayOutcome;

  it('stores the same posts, cards, stories and rising moments as one post at a time, and a resumed replay goes on the same', async () => {
    // The demo stream with its first 10 posts again at the end; its quotes and replies to carded posts fall in the
    // same batch as the card they join.
    const demo = readFileSync(DEMO_STREAM, 'utf8').split('\n').filter(Boolean);
    const file = join(dir, 'stream.jsonl');
    writeFileSync(file, [...demo, ...demo.slice(0, 10)].join('\n') + '\n');

    const one = await kairos();
    const s1 = await runSource(one, new JsonlSource('replay', file), emptySummary(), { size: 1, waitMs: 0 });
    const many = await kairos();
    const s2 = await runSource(many, new JsonlSource('replay', file), emptySummary(), { size: 256, waitMs: 10 });
    expect(s2).toEqual(s1);
    expect(s1.cards).toBeGreaterThan(0);
    expect(s1.duplicates).toBe(10);
    const expected = await outcome(one);
    // What could differ is there to compare: stories joined and a rising moment.
    expect(s1.joined).toBeGreaterThan(0);
    expect(expected.moments.length).toBeGreaterThan(0);
    expect(await outcome(many)).toEqual(expected);

    // Stopped part way (the first 17 lines stored), then run again on the same file: the same as one run.
    const db = join(dir, 'resumed.db');
    const part = join(dir, 'part.jsonl');
    writeFileSync(part, demo.slice(0, 17).join('\n') + '\n');
    const first = await kairos(db);
    await runSource(first, new JsonlSource('replay', part));
    await first.close();
    const again = await kairos(db);
    const s3 = await runSource(again, new JsonlSource('replay', file));
    expect(s3.duplicates).toBe(17 + 10);
    expect(await outcome(again)).toEqual(expected);
    await Promise.all([one.close(), many.close(), again.close()]);
  });

  it('keeps each gesture within its monthly cap over a replay that would offer it more often', async () => {
    // The demo's pack with caps of 3: six copies of the stream would offer several gestures 6 times.
    const pack = loadBrandPack(config.brand.dir);
    const k = await buildKairos(config, openSqlite(':memory:'), {
      log,
      sinks: [],
      queueFor: ['discord'],
      pack: { ...pack, catalogue: pack.catalogue.map((g) => ({ ...g, capPerMonth: 3 })) },
    });
    const demo = readFileSync(DEMO_STREAM, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as Post);
    const file = join(dir, 'many.jsonl');
    const times = demo.map((p) => Date.parse(p.createdAt));
    const span = Math.max(...times) - Math.min(...times) + 3_600_000;
    const copy = (p: Post, i: number) => JSON.stringify({ ...p, id: `${p.id}-${i}`, url: undefined, createdAt: new Date(Date.parse(p.createdAt) + i * span).toISOString() });
    writeFileSync(file, Array.from({ length: 6 }, (_, i) => demo.map((p) => copy(p, i))).flat().join('\n') + '\n');
    await runSource(k, new JsonlSource('replay', file));
    const offered = new Map<string, number>();
    for (const c of await k.store.listCards({ limit: 10_000 })) {
      const g = c.opportunity.analysis.gesture?.id;
      if (g) offered.set(g, (offered.get(g) ?? 0) + 1);
    }
    for (const g of k.catalogue) expect(offered.get(g.id) ?? 0, g.id).toBeLessThanOrEqual(3);
    expect([...offered.values()].filter((n) => n === 3).length).toBeGreaterThan(1); // caps were reached, so going past them would show
    await k.close();
  });

  it('stores a post from a live source that goes quiet within milliseconds, without waiting for a full batch', async () => {
    const k = await kairos();
    const post: Post = JSON.parse(readFileSync(DEMO_STREAM, 'utf8').split('\n')[0]!);
    let stop: () => void = () => undefined;
    const live: Source = {
      name: 'live',
      async start(emit) {
        await emit(post);
        await new Promise<void>((resolve) => (stop = resolve)); // the pipe stays open
      },
      stop: async () => stop(),
    };
    const run = runSource(k, live);
    const t0 = performance.now();
    while (!(await k.store.hasPost(post)) && performance.now() - t0 < 5_000) await sleep(2);
    const ms = performance.now() - t0;
    expect(await k.store.hasPost(post)).toBe(true);
    expect(ms).toBeLessThan(1_000);
    await live.stop();
    expect((await run).read).toBe(1);
    await k.close();
  });
});
