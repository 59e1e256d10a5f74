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
    readonly batch?: number,
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

// A sink that posts takes one card at a time; one that prints (the console) takes several (CardSink.batch).
describe.each([1, 3])('Courier, %i card(s) at a time', (batch) => {
  const scripted = (name: string, script: Step[] = []) => new ScriptedSink(name, script, batch);

  it('delivers pending cards oldest first and marks each sent and flagged', async () => {
    const ids = [await addCard(), await addCard(), await addCard()];
    const sink = scripted('test');
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
    const sink = scripted('test');
    await courier(sink).kick();
    expect(sink.delivered).toEqual([a]);
    expect((await store.outboxFor(a, 'other'))?.status).toBe('pending');
  });

  it('retries a rate-limited card after the wait it was given, and later cards wait behind it', async () => {
    const ids = [await addCard(), await addCard(), await addCard()];
    const sink = scripted('test', [new DeliveryError('429 Too Many Requests', 40)]);
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
    const sink = scripted('test', ['ok', new DeliveryError('503', 5), new DeliveryError('503', 5)]);
    await courier(sink).kick();
    expect(sink.attempts.map((a) => a.opportunityId)).toEqual([ids[0], ids[1], ids[1], ids[1]]);
    expect(sink.delivered).toEqual(ids);
    expect((await store.outboxFor(ids[1]!, 'test'))?.attempts).toBe(3);
  });

  it('marks a card failed on a permanent error and goes on with the next', async () => {
    const ids = [await addCard(), await addCard()];
    const sink = scripted('test', [new DeliveryError('Missing Access', null)]);
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
    const sink = scripted('test', [new Error('socket hang up')]);
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
    const sink = scripted('test');
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
    const sink1 = scripted('test', ['ok', 'hang']);
    const first = courier(sink1);
    void first.kick();
    await vi.waitFor(() => expect(sink1.attempts).toHaveLength(2));
    first.stop();
    expect(sink1.delivered).toEqual([ids[0]]);
    await store.close();

    // Second run: a new store on the same file and a new courier.
    store = openSqlite(file);
    const sink2 = scripted('test');
    const second = courier(sink2);
    await Promise.all([second.kick(), second.kick()]);
    await second.idle();
    // A card written down as sent is never delivered again; a printing sink's batch in flight may print again.
    expect(sink2.delivered).toEqual(batch > 1 ? ids : [ids[1], ids[2]]);
    for (const id of ids) expect((await store.outboxFor(id, 'test'))?.status).toBe('sent');
  });

  it('does nothing once stopped', async () => {
    await addCard();
    const sink = scripted('test');
    const c = courier(sink);
    c.stop();
    await c.kick();
    await c.idle();
    expect(sink.attempts).toEqual([]);
  });
});

describe('Courier for a sink that takes several cards at once', () => {
  it('claims them together and writes them down in one transaction, in order', async () => {
    const ids = [await addCard(), await addCard(), await addCard(), await addCard()];
    const sink = new ScriptedSink('test', [], 3);
    const claims = vi.spyOn(store, 'claimBatch');
    const sent = vi.spyOn(store, 'markSentMany');
    await courier(sink).kick();
    expect(sink.delivered).toEqual(ids);
    expect(claims.mock.calls.map((c) => c[3])).toEqual([3, 3, 3]);
    expect(sent.mock.calls.map(([done]) => done.map((d) => d.item.opportunityId))).toEqual([ids.slice(0, 3), ids.slice(3)]);
    for (const id of ids) expect(await store.outboxFor(id, 'test')).toMatchObject({ status: 'sent', attempts: 1 });
  });

  it('gives back the claims it did not use when stopped, for another worker to deliver', async () => {
    const ids = [await addCard(), await addCard(), await addCard()];
    const sink = new ScriptedSink('test', [() => void c.stop()], 3);
    const c = courier(sink);
    await c.kick();
    expect(sink.delivered).toEqual([ids[0]]);
    expect(await store.outboxFor(ids[0]!, 'test')).toMatchObject({ status: 'sent' });
    for (const id of ids.slice(1)) expect(await store.outboxFor(id, 'test')).toMatchObject({ status: 'pending', firstAttemptAt: expect.any(String) });
    // Not held for the rest of the 60 s lease: another worker takes them at once.
    const other = new Courier(store, new ScriptedSink('test', [], 3), log, undefined, { worker: 'other' });
    couriers.push(other);
    const claims = vi.spyOn(store, 'claimBatch');
    await other.kick();
    expect((await claims.mock.results[0]!.value as OutboxItem[]).map((i) => i.opportunityId)).toEqual(ids.slice(1));
    for (const id of ids) expect((await store.outboxFor(id, 'test'))?.status).toBe('sent');
  });
});

describe('backoffMs', () => {
  it('doubles from one second and is capped at five minutes', async () => {
    expect([0, 1, 2, 3].map(backoffMs)).toEqual([1000, 2000, 4000, 8000]);
    expect(backoffMs(20)).toBe(300_000);
    expect(backoffMs(1000)).toBe(300_000);
  });
});
