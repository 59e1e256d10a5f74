import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Analysis } from '../src/domain/analysis';
import type { Opportunity } from '../src/domain/opportunity';
import type { Post } from '../src/domain/post';
import { createLogger } from '../src/log';
import { backoffMs, Courier, DeliveryError, type CardSink } from '../src/outbox/courier';
import type { OutboxItem } from '../src/domain/outbox';
import { openSqlite } from '../src/store/sqlite';
import type { SqlStore as Store } from '../src/store/sql-store';

const log = createLogger('silent');

const ANALYSIS: Analysis = {
  summary: 's',
  why: 'w',
  gesture: null,
  reply: 'r',
  publicPost: null,
  verifyFirst: [],
  risks: [],
  analyst: 'offline',
  notes: [],
};

type Step = 'ok' | 'hang' | Error | ((o: Opportunity) => void);

/** A sink that plays a script: one step per delivery attempt (then 'ok'), and logs every attempt. */
class ScriptedSink implements CardSink {
  readonly attempts: { opportunityId: number; at: number }[] = [];
  readonly delivered: number[] = [];
  constructor(
    readonly name: string,
    private readonly script: Step[] = [],
  ) {}

  async deliver(o: Opportunity, item: OutboxItem): Promise<{ messageId: string }> {
    this.attempts.push({ opportunityId: o.id, at: Date.now() });
    const step = this.script.shift() ?? 'ok';
    // A delivery that never finishes: the process dies before the sink answers.
    if (step === 'hang') return new Promise(() => {});
    await new Promise((r) => setTimeout(r, 1));
    if (step instanceof Error) throw step;
    if (typeof step === 'function') step(o);
    this.delivered.push(o.id);
    return { messageId: `${this.name}-${item.id}` };
  }
}

let store: Store;
let couriers: Courier[] = [];
let dir: string | null = null;

beforeEach(async () => {
  store = openSqlite(':memory:');
  couriers = [];
});
afterEach(async () => {
  for (const c of couriers) c.stop();
  await store.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
  dir = null;
});

function courier(sink: CardSink, on = store): Courier {
  const c = new Courier(on, sink, log);
  couriers.push(c);
  return c;
}

let seq = 0;
async function addCard(sinks = ['test'], on = store): Promise<number> {
  seq++;
  const post: Post = { id: `p${seq}`, platform: 'x', author: { handle: 'fan', followers: 1 }, text: `card ${seq}`, createdAt: '2026-02-02T10:00:00Z' };
  const r = await on.recordPost(post, { kind: 'opportunity', score: 0.9, signals: ['dilemma'], lang: 'en' }, { analysis: ANALYSIS, sinks });
  if (!r?.opportunityId) throw new Error('no card');
  return r.opportunityId;
}

describe('Courier', () => {
  it('delivers pending cards oldest first and marks each sent and flagged', async () => {
    const ids = [await addCard(), await addCard(), await addCard()];
    const sink = new ScriptedSink('test');
    await courier(sink).kick();
    expect(sink.delivered).toEqual(ids);
    for (const id of ids) {
      expect(await store.outboxFor(id, 'test')).toMatchObject({ status: 'sent', attempts: 1, messageId: expect.stringMatching(/^test-/) });
      expect((await store.getOpportunity(id))?.status).toBe('flagged');
    }
    expect(await store.pendingCount('test')).toBe(0);
  });

  it('delivers only its own sink’s items', async () => {
    const a = await addCard(['test', 'other']);
    const sink = new ScriptedSink('test');
    await courier(sink).kick();
    expect(sink.delivered).toEqual([a]);
    expect((await store.outboxFor(a, 'other'))?.status).toBe('pending');
  });

  it('retries a rate-limited card after the wait it was given, and later cards wait behind it', async () => {
    const ids = [await addCard(), await addCard(), await addCard()];
    const sink = new ScriptedSink('test', [new DeliveryError('429 Too Many Requests', 40)]);
    const started = Date.now();
    await courier(sink).kick();
    expect(sink.attempts.map((a) => a.opportunityId)).toEqual([ids[0], ids[0], ids[1], ids[2]]);
    expect(sink.delivered).toEqual(ids);
    // The retry came after the wait, not straight away.
    expect(sink.attempts[1]!.at - sink.attempts[0]!.at).toBeGreaterThanOrEqual(35);
    expect(Date.now() - started).toBeLessThan(2000);
    expect(await store.outboxFor(ids[0]!, 'test')).toMatchObject({ status: 'sent', attempts: 2, lastError: '429 Too Many Requests' });
  });

  it('keeps the order through several transient failures in a row', async () => {
    const ids = [await addCard(), await addCard()];
    const sink = new ScriptedSink('test', ['ok', new DeliveryError('503', 5), new DeliveryError('503', 5)]);
    await courier(sink).kick();
    expect(sink.attempts.map((a) => a.opportunityId)).toEqual([ids[0], ids[1], ids[1], ids[1]]);
    expect(sink.delivered).toEqual(ids);
    expect((await store.outboxFor(ids[1]!, 'test'))?.attempts).toBe(3);
  });

  it('marks a card failed on a permanent error and goes on with the next', async () => {
    const ids = [await addCard(), await addCard()];
    const sink = new ScriptedSink('test', [new DeliveryError('Missing Access', null)]);
    const c = courier(sink);
    await c.kick();
    expect(await store.outboxFor(ids[0]!, 'test')).toMatchObject({ status: 'failed', lastError: 'Missing Access', attempts: 1 });
    expect((await store.getOpportunity(ids[0]!))?.status).toBe('new');
    expect(sink.delivered).toEqual([ids[1]]);
    await c.idle();
    await c.kick();
    expect(sink.attempts).toHaveLength(2);
  });

  it('schedules an unexpected error with backoff instead of retrying at once', async () => {
    const id = await addCard();
    const sink = new ScriptedSink('test', [new Error('socket hang up')]);
    const c = courier(sink);
    const before = Date.now();
    const run = c.kick();
    // Give it time to fail once, then stop it before the 1 s backoff ends.
    await new Promise((r) => setTimeout(r, 50));
    c.stop();
    await run;
    const item = await store.outboxFor(id, 'test');
    expect(item).toMatchObject({ status: 'pending', attempts: 1, lastError: 'socket hang up' });
    expect(Date.parse(item!.nextAttemptAt) - before).toBeGreaterThanOrEqual(900);
    expect(sink.attempts).toHaveLength(1);
  });

  it('coalesces concurrent kicks: every card is delivered once', async () => {
    const ids = [await addCard(), await addCard(), await addCard()];
    const sink = new ScriptedSink('test');
    const c = courier(sink);
    await Promise.all([c.kick(), c.kick(), c.kick(), c.idle()]);
    const late = await addCard();
    await Promise.all([c.kick(), c.kick()]);
    expect(sink.delivered).toEqual([...ids, late]);
  });

  it('after a restart (new Courier, same store file) delivers what was pending, once', async () => {
    dir = mkdtempSync(join(tmpdir(), 'kairos-courier-'));
    const file = join(dir, 'kairos.db');
    await store.close();
    store = openSqlite(file);
    const ids = [await addCard(), await addCard(), await addCard()];

    // First run: the first card goes out, then the process dies while the second is being delivered.
    const sink1 = new ScriptedSink('test', ['ok', 'hang']);
    const first = courier(sink1);
    void first.kick();
    await vi.waitFor(() => expect(sink1.attempts).toHaveLength(2));
    first.stop();
    expect(sink1.delivered).toEqual([ids[0]]);
    await store.close();

    // Second run: a new store on the same file and a new courier.
    store = openSqlite(file);
    const sink2 = new ScriptedSink('test');
    const second = courier(sink2);
    await Promise.all([second.kick(), second.kick()]);
    await second.idle();
    expect(sink2.delivered).toEqual([ids[1], ids[2]]);
    for (const id of ids) expect((await store.outboxFor(id, 'test'))?.status).toBe('sent');
  });

  it('does nothing once stopped', async () => {
    await addCard();
    const sink = new ScriptedSink('test');
    const c = courier(sink);
    c.stop();
    await c.kick();
    await c.idle();
    expect(sink.attempts).toEqual([]);
  });
});

describe('backoffMs', () => {
  it('doubles from one second and is capped at five minutes', async () => {
    expect([0, 1, 2, 3].map(backoffMs)).toEqual([1000, 2000, 4000, 8000]);
    expect(backoffMs(20)).toBe(300_000);
    expect(backoffMs(1000)).toBe(300_000);
  });
});
