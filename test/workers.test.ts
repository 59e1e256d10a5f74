import { afterAll, afterEach, describe, expect, it } from 'vitest';
import type { Analysis } from '../src/domain/analysis';
import type { Opportunity } from '../src/domain/opportunity';
import type { OutboxItem } from '../src/domain/outbox';
import type { Post } from '../src/domain/post';
import type { Triage } from '../src/domain/verdict';
import { DigestScheduler } from '../src/digest/scheduler';
import { createLogger } from '../src/log';
import { Courier, type CardSink } from '../src/outbox/courier';
import { Pipeline } from '../src/pipeline';
import type { SqlStore } from '../src/store/sql-store';
import { storeHarnesses } from './support/stores';

/**
 * Several workers on one store: every card delivered exactly once, a card held by a worker that died delivered by
 * another once its lease ran out, a post both see processed once, one digest a day, one holder per lease.
 */
const log = createLogger('silent');

const ANALYSIS: Analysis = {
  summary: 'A dilemma',
  why: 'They must choose.',
  gesture: null,
  reply: 'Hi!',
  publicPost: null,
  verifyFirst: [],
  risks: [],
  analyst: 'offline',
  notes: [],
};
const OPP: Triage = { kind: 'opportunity', score: 0.9, signals: ['dilemma'], lang: 'en' };
const post = (id: string): Post => ({ id, platform: 'x', author: { handle: 'fan', followers: 10 }, text: `post ${id}`, createdAt: '2026-03-02T10:00:00Z' });

/** A sink shared by the workers' couriers: counts each card it was given; `hang` holds one delivery forever (a worker that died mid-post). */
class CountingSink implements CardSink {
  readonly name = 'test';
  readonly delivered = new Map<number, string[]>();
  constructor(private readonly opts: { delayMs?: number; hangFor?: string } = {}) {}
  async deliver(o: Opportunity, _item: OutboxItem, by = 'worker') {
    if (this.opts.hangFor === by) return new Promise<never>(() => {});
    if (this.opts.delayMs) await new Promise((r) => setTimeout(r, this.opts.delayMs));
    this.delivered.set(o.id, [...(this.delivered.get(o.id) ?? []), by]);
    return { messageId: `m${o.id}` };
  }
  /** The same sink as one worker sees it. */
  as(worker: string): CardSink {
    return { name: this.name, deliver: (o, item) => this.deliver(o, item, worker) };
  }
}

describe.each(storeHarnesses())('two workers on one $name store', (harness) => {
  const open: SqlStore[] = [];
  const couriers: Courier[] = [];
  const store = async () => {
    const s = await harness.open();
    open.push(s);
    return s;
  };
  afterEach(async () => {
    for (const c of couriers.splice(0)) void c.stop();
    for (const s of open.splice(0)) await s.close();
  });
  afterAll(() => harness.close());

  async function cards(s: SqlStore, n: number): Promise<number[]> {
    const ids: number[] = [];
    for (let i = 0; i < n; i++) {
      const r = await s.recordPost(post(`p${i}`), OPP, { analysis: ANALYSIS, sinks: ['test'] });
      ids.push(r!.opportunityId!);
    }
    return ids;
  }

  it('deliver every card exactly once between them', async () => {
    const s = await store();
    const ids = await cards(s, 30);
    const sink = new CountingSink({ delayMs: 2 });
    const a = new Courier(s, sink.as('a'), log, undefined, { worker: 'a' });
    const b = new Courier(s, sink.as('b'), log, undefined, { worker: 'b' });
    couriers.push(a, b);
    await Promise.all([a.kick(), b.kick()]);
    await Promise.all([a.idle(), b.idle()]);
    expect([...sink.delivered.keys()].sort((x, y) => x - y)).toEqual(ids);
    for (const by of sink.delivered.values()) expect(by).toHaveLength(1);
    expect(await s.pendingCount('test')).toBe(0);
  });

  it('a card held by a worker that died is delivered by the other once the lease runs out, once', async () => {
    const s = await store();
    const [id] = await cards(s, 1);
    const sink = new CountingSink({ hangFor: 'dead' });
    const dead = new Courier(s, sink.as('dead'), log, undefined, { worker: 'dead', leaseMs: 300 });
    couriers.push(dead);
    void dead.kick();
    await new Promise((r) => setTimeout(r, 50)); // it claimed the card and hangs in the post
    const alive = new Courier(s, sink.as('alive'), log, undefined, { worker: 'alive', leaseMs: 300, pollMs: 50 });
    couriers.push(alive);
    await alive.kick();
    expect(sink.delivered.size).toBe(0); // still held by the dead worker's lease
    const started = Date.now();
    while (!sink.delivered.has(id!) && Date.now() - started < 5_000) await new Promise((r) => setTimeout(r, 20));
    expect(sink.delivered.get(id!)).toEqual(['alive']);
    expect((await s.outboxFor(id!, 'test'))?.status).toBe('sent');
  });

  it('process a post both see once', async () => {
    const s = await store();
    const triage = () => OPP;
    const analyst = { name: 'offline' as const, analyse: async () => ANALYSIS, draft: async () => ({ reply: '', publicPost: null, analyst: 'offline' as const, notes: [] }) };
    const one = new Pipeline({ store: s, triage, analyst, sinks: ['test'], log });
    const two = new Pipeline({ store: s, triage, analyst, sinks: ['test'], log });
    const results = await Promise.all([one.ingest(post('same')), two.ingest(post('same')), one.ingest(post('same'))]);
    expect(results.filter((r) => r.status === 'processed')).toHaveLength(1);
    expect(await s.pendingCount('test')).toBe(1);
  });

  it('send one digest a day between them', async () => {
    const s = await store();
    const sent: string[] = [];
    const scheduler = (worker: string) =>
      new DigestScheduler({
        store: s,
        worker,
        sender: {
          async sendDigest(_digest, _png, day) {
            await new Promise((r) => setTimeout(r, 20));
            sent.push(`${worker}:${day}`);
            return { messageId: null };
          },
        },
        digestTime: '09:00',
        timeZone: 'UTC',
        clock: () => new Date('2026-03-02T09:01:00Z'),
        timers: false,
      });
    const results = await Promise.all([scheduler('a').tick(), scheduler('b').tick()]);
    expect(results.filter((r) => r === 'sent')).toHaveLength(1);
    expect(sent).toHaveLength(1);
    expect(await scheduler('b').tick()).toBe('already-sent');
    expect((await s.listDigests()).map((d) => d.day)).toEqual(['2026-03-02']);
  });

  it('give a lease to one holder at a time, and to the other once it runs out', async () => {
    let now = new Date('2026-03-02T10:00:00Z');
    const s = await harness.open(() => now);
    open.push(s);
    const [a, b] = await Promise.all([s.acquireLease('source:x', 'a', 1000), s.acquireLease('source:x', 'b', 1000)]);
    expect([a, b].filter(Boolean)).toHaveLength(1);
    const holder = a ? 'a' : 'b';
    const other = a ? 'b' : 'a';
    expect(await s.acquireLease('source:x', holder, 1000)).toBe(true); // renewed
    now = new Date(now.getTime() + 500);
    expect(await s.acquireLease('source:x', other, 1000)).toBe(false);
    now = new Date(now.getTime() + 1_001);
    expect(await s.acquireLease('source:x', other, 1000)).toBe(true); // the holder stopped renewing: taken over
    expect(await s.acquireLease('source:x', holder, 1000)).toBe(false);
    await s.releaseLease('source:x', other);
    expect(await s.acquireLease('source:x', holder, 1000)).toBe(true);
  });
});
