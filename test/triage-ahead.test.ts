import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { afterAll, describe, expect, it } from 'vitest';
import { emptySummary, runSource, type Kairos } from '../src/app';
import { Batcher } from '../src/batches';
import { loadConfig } from '../src/config';
import { staticContext } from '../src/detect/context';
import { createTriager, shippedModel } from '../src/detect/triage';
import { TriageAhead, type AheadSetup } from '../src/triage-ahead';
import type { Post } from '../src/domain/post';
import { createLogger } from '../src/log';
import { DEMO_STREAM } from '../src/main';
import { JsonlSource } from '../src/sources/jsonl';
import { replayKairos, replayOutcome } from './support/replay-outcome';

const log = createLogger('silent');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const demoLines = readFileSync(DEMO_STREAM, 'utf8').split('\n').filter(Boolean);
const demo: Post[] = demoLines.map((l) => JSON.parse(l) as Post);

describe('Batcher with prepare', () => {
  it('prepares each full batch as it fills and handles it once the next one is full, in order', async () => {
    const events: string[] = [];
    const b = new Batcher<number, string>(
      async (items, prepared) => {
        events.push(`run ${items.join(',')} with ${prepared ?? 'nothing'}`);
      },
      2,
      5,
      (items) => {
        events.push(`prepare ${items.join(',')}`);
        return `p${items[0]}`;
      },
      1_000,
    );
    expect(b.add(1)).toBeUndefined();
    // The first full batch is prepared and held: the producer goes on at once.
    expect(b.add(2)).toBeUndefined();
    expect(events).toEqual(['prepare 1,2']);
    expect(b.add(3)).toBeUndefined();
    await b.add(4); // the second is full: the first is handled while the second is prepared
    expect(events).toEqual(['prepare 1,2', 'prepare 3,4', 'run 1,2 with p1']);
    b.add(5);
    await b.flush(); // the held batch and what was not a full batch (never prepared)
    expect(events).toEqual(['prepare 1,2', 'prepare 3,4', 'run 1,2 with p1', 'run 3,4 with p3', 'run 5 with nothing']);
  });

  it('hands over a held batch after holdMs when nothing more arrives (a stream that goes quiet)', async () => {
    const seen: number[][] = [];
    const b = new Batcher<number, number>(
      async (items) => {
        seen.push(items);
      },
      2,
      5,
      (items) => items.length,
      30,
    );
    b.add(1);
    b.add(2);
    await sleep(10);
    expect(seen).toEqual([]); // held for the next batch…
    await sleep(80);
    expect(seen).toEqual([[1, 2]]); // …but not for ever
    b.add(3);
    await sleep(60);
    expect(seen).toEqual([[1, 2], [3]]);
  });
});

describe('TriageAhead', () => {
  const config = loadConfig({ KAIROS_DB: ':memory:' });

  it('gives the verdicts of triage in process, and declines a post whose reading changed since the batch was sent', async () => {
    let rising: readonly string[] = [];
    const ctx = { ...staticContext(config.brand), risingTerms: () => rising };
    const local = createTriager(ctx, shippedModel());
    const ahead = new TriageAhead(ctx, () => shippedModel(), log);
    try {
      const sent = ahead.send(demo)!;
      await sent.done;
      expect(demo.map((p, i) => ahead.verdictOf(sent.batch, i, p))).toEqual(demo.map((p) => local(p)));
      // A term rises after the batch was sent: posts that hold it are triaged again, the others keep their verdict.
      const term = demo[0]!.text.toLowerCase().match(/[a-z]{5,}/)![0];
      rising = [term];
      const holds = (p: Post) => p.text.toLowerCase().includes(term);
      expect(demo.some((p) => !holds(p))).toBe(true);
      demo.forEach((p, i) => {
        const v = ahead.verdictOf(sent.batch, i, p);
        if (holds(p)) expect(v).toBeUndefined();
        else expect(v).toEqual(local(p));
      });
      // The terms of when it was sent again: every verdict stands.
      rising = [];
      expect(demo.every((p, i) => ahead.verdictOf(sent.batch, i, p) !== undefined)).toBe(true);
    } finally {
      await ahead.close();
    }
  });

  it('declines every verdict once triage runs on another model (a learn kept one)', async () => {
    const ctx = staticContext(config.brand);
    let model = shippedModel();
    const ahead = new TriageAhead(ctx, () => model, log);
    try {
      const sent = ahead.send(demo.slice(0, 5))!;
      await sent.done;
      expect(ahead.verdictOf(sent.batch, 0, demo[0]!)).toBeDefined();
      model = model && { ...model };
      expect(ahead.verdictOf(sent.batch, 0, demo[0]!)).toBeUndefined();
    } finally {
      await ahead.close();
    }
  });
});

describe('a replay with triage one batch ahead', () => {
  const dir = mkdtempSync(join(tmpdir(), 'kairos-ahead-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const config = loadConfig({ KAIROS_DB: ':memory:' });
  // The demo stream, then twice again with new ids and times: batches of 16 hold stories and rising moments.
  const span = 3 * 3600_000 + Math.max(...demo.map((p) => Date.parse(p.createdAt))) - Math.min(...demo.map((p) => Date.parse(p.createdAt)));
  const file = join(dir, 'stream.jsonl');
  writeFileSync(
    file,
    [0, 1, 2].flatMap((i) => demo.map((p) => JSON.stringify(i ? { ...p, id: `${p.id}${i}`, url: undefined, createdAt: new Date(Date.parse(p.createdAt) + i * span).toISOString() } : p))).join('\n') + '\n',
  );

  const kairos = (file?: string) => replayKairos(config, file);

  const outcome = replayOutcome;

  /** A TriageAhead that counts the verdicts it gave, on the worker `start` makes. */
  function counted(k: Kairos, start?: (setup: AheadSetup) => Worker, errors: unknown[] = []) {
    const elog = createLogger('silent');
    elog.error = ((obj: unknown) => void errors.push(obj)) as typeof elog.error;
    const ahead = new TriageAhead(k.triageContext, () => k.brandTriage.model, elog, start, k.trends.detector.ignored());
    const used = { given: 0, declined: 0, texts: 0 };
    const readAhead = k.trends.readAhead.bind(k.trends);
    k.trends.readAhead = (posts, texts, run) => {
      used.texts += texts.filter(Boolean).length;
      return readAhead(posts, texts, run);
    };
    const verdictOf = ahead.verdictOf.bind(ahead);
    ahead.verdictOf = (b, i, p) => {
      const v = verdictOf(b, i, p);
      used[v ? 'given' : 'declined']++;
      return v;
    };
    return { ahead, used, errors };
  }

  it('stores the same verdicts, cards, stories and moments as one post at a time', async () => {
    const one = await kairos();
    const s1 = await runSource(one, new JsonlSource('replay', file), emptySummary(), { size: 1, waitMs: 0 });
    const expected = await outcome(one);
    expect(s1.joined).toBeGreaterThan(0);
    expect(expected.moments.length).toBeGreaterThan(0);

    const k = await kairos();
    const { ahead, used } = counted(k);
    await ahead.warm(); // the worker loaded before the first batch, so its verdicts are the ones used
    const s2 = await runSource(k, new JsonlSource('replay', file), emptySummary(), { size: 16, waitMs: 10 }, ahead);
    await ahead.close();
    expect(s2).toEqual(s1);
    expect(await outcome(k)).toEqual(expected);
    expect(used.given).toBeGreaterThan(demo.length);
    expect(used.declined).toBeGreaterThan(0); // terms rose between a batch sent and handled: those posts were triaged again
    expect(used.texts).toBeGreaterThan(demo.length); // the trends counted the terms the worker read
    await Promise.all([one.close(), k.close()]);
  });

  it('goes on in process, every post stored, when the worker fails at start or dies part way', async () => {
    const one = await kairos();
    const s1 = await runSource(one, new JsonlSource('replay', file), emptySummary(), { size: 1, waitMs: 0 });
    const expected = await outcome(one);

    const broken = (code: string) => () => new Worker(code, { eval: true });
    for (const code of [
      'throw new Error("the worker could not load")',
      // Answers nothing, then exits as if it crashed.
      'require("node:worker_threads").parentPort.once("message", () => process.exit(3))',
    ]) {
      const k = await kairos();
      const { ahead, errors } = counted(k, broken(code));
      const s2 = await runSource(k, new JsonlSource('replay', file), emptySummary(), { size: 16, waitMs: 10 }, ahead);
      // A short replay can end in process before the worker's failure is heard: wait for it (warm() resolves once
      // the worker has loaded or failed), so the test does not race the worker's start.
      await ahead.warm();
      await ahead.close();
      expect(s2).toEqual(s1);
      expect(await outcome(k)).toEqual(expected);
      expect(errors.length).toBe(1); // said once, loudly
      expect(ahead.send(demo)).toBeNull();
      await k.close();
    }
    await one.close();
  });
});
