import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Analyst } from '../src/analyse/analyst';
import { loadCatalogue } from '../src/analyse/catalogue';
import { OfflineAnalyst } from '../src/analyse/offline';
import { staticContext } from '../src/detect/context';
import { createTriager } from '../src/detect/triage';
import type { Post } from '../src/domain/post';
import type { Triage } from '../src/domain/verdict';
import { createLogger } from '../src/log';
import { HELD_BACK, Pipeline } from '../src/pipeline';
import { openSqlite } from '../src/store/sqlite';
import type { SqlStore as Store } from '../src/store/sql-store';
import { detectionReading } from '../src/detect/reading';

const log = createLogger('silent');
const triage = createTriager(staticContext({ name: 'Oranje Air', handles: ['OranjeAir'], terms: ['Oranje Air', 'OranjeAir'] }));
const catalogue = loadCatalogue();

let store: Store;
beforeEach(async () => {
  store = openSqlite(':memory:');
});
afterEach(async () => {
  await store.close();
});

function post(id: string, text: string): Post {
  return { id, platform: 'x', author: { handle: `fan${id}`, name: 'Anna', followers: 250 }, text, createdAt: '2026-02-02T10:00:00Z' };
}

const DILEMMA = post(
  '1',
  '@OranjeAir we booked our honeymoon on a non-flexible ticket and now the Elfstedentocht falls on the same day. Torn between the trip and the race of a lifetime 😭',
);
const QUESTION = post('2', '@OranjeAir how many bags can I take on a flight to Oslo?');

function offline(): OfflineAnalyst {
  return new OfflineAnalyst({ reading: detectionReading, catalogue, brand: { name: 'Oranje Air' }, usage: () => () => 0 });
}

/** Wraps an analyst to count its calls. */
function counting(inner: Analyst): Analyst & { calls: number } {
  const wrapped = {
    name: inner.name,
    calls: 0,
    analyse: async (input: Parameters<Analyst['analyse']>[0]) => {
      wrapped.calls++;
      return inner.analyse(input);
    },
    draft: inner.draft.bind(inner),
  };
  return wrapped;
}

describe('Pipeline', () => {
  it('processes a post seen twice only once: one verdict, one card, one analysis', async () => {
    const analyst = counting(offline());
    const cards: number[] = [];
    const verdicts: string[] = [];
    const pipeline = new Pipeline({
      store,
      triage,
      analyst,
      sinks: ['console'],
      log,
      onCard: (id) => cards.push(id),
      onVerdict: (p) => verdicts.push(p.id),
    });
    const first = await pipeline.ingest(DILEMMA);
    expect(first).toMatchObject({ status: 'processed', triage: { kind: 'opportunity' } });
    const second = await pipeline.ingest({ ...DILEMMA });
    expect(second).toEqual({ status: 'duplicate' });
    expect(analyst.calls).toBe(1);
    expect(cards).toHaveLength(1);
    expect(verdicts).toEqual(['1']);
    expect((await store.listCards())).toHaveLength(1);
    expect(await store.pendingCount()).toBe(1);
  });

  it('processes a post once even when the same post arrives twice at the same time', async () => {
    const analyst = counting(offline());
    const pipeline = new Pipeline({ store, triage, analyst, sinks: ['console'], log });
    const results = await Promise.all([pipeline.ingest(DILEMMA), pipeline.ingest({ ...DILEMMA })]);
    expect(results.filter((r) => r.status === 'processed')).toHaveLength(1);
    expect((await store.listCards())).toHaveLength(1);
    expect(await store.pendingCount()).toBe(1);
  });

  it('queues a card for each sink, written by the offline analyst with a catalogue gesture', async () => {
    const pipeline = new Pipeline({ store, triage, analyst: offline(), sinks: ['console', 'discord'], log });
    const r = await pipeline.ingest(DILEMMA);
    if (r.status !== 'processed' || r.opportunityId === null) throw new Error('expected a card');
    expect((await store.outboxFor(r.opportunityId, 'console'))?.status).toBe('pending');
    expect((await store.outboxFor(r.opportunityId, 'discord'))?.status).toBe('pending');
    const o = await store.getOpportunity(r.opportunityId);
    expect(o?.analysis.analyst).toBe('offline');
    expect(o?.analysis.gesture?.id).toBe('flexible-rebooking');
    expect(o?.signals).toEqual(expect.arrayContaining(['dilemma', 'cultural-event']));
  });

  it('with cards for clear moments only, a mild moment is kept uncarded and says why; clear moments and risks are cards', async () => {
    const analyst = counting(offline());
    const pipeline = new Pipeline({ store, triage, analyst, sinks: ['console'], log, cards: 'clear' });
    const mild = post('11', '@OranjeAir off to bali on our honeymoon with you tomorrow!! so excited #justmarried');
    const clear = post('12', "@OranjeAir my parents fly to Lima tomorrow for their 40th anniversary. could you do something special for them?");
    const risk = post('13', '@OranjeAir the gate agent at B12 grabbed my arm and shoved me. I am filing a police report');
    const r = await pipeline.ingest(mild);
    expect(r).toMatchObject({ status: 'processed', opportunityId: null, triage: { kind: 'opportunity', strength: 'mild', review: { card: false, why: HELD_BACK } } });
    expect(analyst.calls).toBe(0);
    // Kept for the digest's "came close" list.
    const day = { from: '2026-02-02T00:00:00.000Z', to: '2026-02-03T00:00:00.000Z' };
    expect((await store.uncardedPosts(day, 10)).map((p) => p.id)).toEqual(['11']);
    for (const p of [clear, risk]) {
      const c = await pipeline.ingest(p);
      expect(c.status === 'processed' && c.opportunityId).toBeTruthy();
    }
    expect(analyst.calls).toBe(2);
    // By default the same mild moment is a card.
    const all = new Pipeline({ store, triage, analyst, sinks: ['console'], log });
    const again = await all.ingest({ ...mild, id: '14' });
    expect(again.status === 'processed' && again.opportunityId).toBeTruthy();
  });

  it('records a post that is no card without calling the analyst or queueing anything', async () => {
    const analyst = counting(offline());
    const cards: number[] = [];
    const pipeline = new Pipeline({ store, triage, analyst, sinks: ['console'], log, onCard: (id) => cards.push(id) });
    const r = await pipeline.ingest(QUESTION);
    expect(r).toMatchObject({ status: 'processed', opportunityId: null, triage: { kind: 'service' } });
    expect(analyst.calls).toBe(0);
    expect(cards).toEqual([]);
    expect(await store.hasPost(QUESTION)).toBe(true);
    expect(await store.pendingCount()).toBe(0);
  });

  it('still records the post (without a card) when the analyst throws, and does not analyse it again', async () => {
    let calls = 0;
    const broken: Analyst = {
      name: 'llm',
      analyse: async () => {
        calls++;
        throw new Error('model exploded');
      },
      draft: async () => {
        throw new Error('unused');
      },
    };
    const verdicts: Triage[] = [];
    const pipeline = new Pipeline({ store, triage, analyst: broken, sinks: ['console'], log, onVerdict: (_p, t) => verdicts.push(t) });
    const r = await pipeline.ingest(DILEMMA);
    expect(r).toMatchObject({ status: 'processed', opportunityId: null, triage: { kind: 'opportunity' } });
    expect(await store.hasPost(DILEMMA)).toBe(true);
    expect((await store.countByKind()).opportunity).toBe(1);
    expect((await store.listCards())).toEqual([]);
    expect(verdicts).toHaveLength(1);
    expect(await pipeline.ingest(DILEMMA)).toEqual({ status: 'duplicate' });
    expect(calls).toBe(1);
  });
});
