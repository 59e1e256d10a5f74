import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Analysis } from '../src/domain/analysis';
import type { Post } from '../src/domain/post';
import type { Triage } from '../src/domain/verdict';
import type { SqlStore } from '../src/store/sql-store';
import { count as countRows, storeHarnesses, type TABLES } from './support/stores';

/** The store contract: every adapter (SQLite, PGlite, and a real PostgreSQL when KAIROS_TEST_PG_URL is set) passes it. */
describe.each(storeHarnesses())('store contract on $name', (harness) => {
let now = new Date('2026-02-10T12:00:00Z');
let store: SqlStore;

beforeEach(async () => {
  now = new Date('2026-02-10T12:00:00Z');
  store = await harness.open(() => now);
});
afterEach(async () => {
  await store.close();
});
afterAll(() => harness.close());

const ANNA = { id: 'u1', name: 'anna' };
const BOB = { id: 'u2', name: 'bob' };

function post(id: string, platform = 'x'): Post {
  return {
    id,
    platform,
    author: { handle: `fan_${id}`, followers: 100 },
    text: `post ${id}`,
    createdAt: '2026-02-10T11:00:00Z',
  };
}

const OPP: Triage = { kind: 'opportunity', score: 0.8, signals: ['dilemma'], lang: 'en' };
const NOISE: Triage = { kind: 'noise', score: 0.05, signals: [], lang: 'en' };

function analysis(gestureId: string | null = 'flexible-rebooking'): Analysis {
  return {
    summary: 'A dilemma',
    why: 'They must choose.',
    gesture: gestureId ? { id: gestureId, name: gestureId, costEur: 75, fairness: 'fair', needsApproval: false } : null,
    reply: 'Hi!',
    publicPost: null,
    verifyFirst: ['Is there a booking?'],
    risks: [],
    analyst: 'offline',
    notes: [],
  };
}

async function card(id: string, gestureId: string | null = 'flexible-rebooking', sinks = ['console']): Promise<number> {
  const r = await store.recordPost(post(id), OPP, { analysis: analysis(gestureId), sinks });
  if (!r || r.opportunityId === null) throw new Error('expected a card');
  return r.opportunityId;
}

const count = (table: (typeof TABLES)[number]) => countRows(store, table);

describe('posts', () => {
  it('records a post once: the second time returns null and changes nothing', async () => {
    expect(await store.recordPost(post('1'), NOISE)).toEqual({ opportunityId: null });
    expect(await store.hasPost(post('1'))).toBe(true);
    expect(await store.recordPost(post('1'), OPP, { analysis: analysis(), sinks: ['console'] })).toBeNull();
    expect(await count('posts')).toBe(1);
    expect(await count('verdicts')).toBe(1);
    expect(await count('opportunities')).toBe(0);
    expect(await count('outbox')).toBe(0);
  });

  it('keys posts by platform and id: the same id on two platforms is two posts', async () => {
    expect(await store.recordPost(post('1', 'x'), NOISE)).not.toBeNull();
    expect(await store.recordPost(post('1', 'bluesky'), NOISE)).not.toBeNull();
    expect(await store.hasPost(post('1', 'mastodon'))).toBe(false);
  });

  it('makes no card for a service or noise verdict even when an analysis is passed', async () => {
    const r = await store.recordPost(post('1'), { ...NOISE, kind: 'service' }, { analysis: analysis(), sinks: ['console'] });
    expect(r).toEqual({ opportunityId: null });
    expect(await count('opportunities')).toBe(0);
  });

  it('counts verdicts by kind', async () => {
    await store.recordPost(post('1'), NOISE);
    await store.recordPost(post('2'), NOISE);
    await card('3');
    expect(await store.countByKind()).toEqual({ opportunity: 1, risk: 0, service: 0, noise: 2 });
    expect(await store.countByKind({ from: '2026-02-11T00:00:00Z' })).toEqual({ opportunity: 0, risk: 0, service: 0, noise: 0 });
  });
});

describe('posts in batches', () => {
  const entry = (id: string) => ({ postId: id, platform: 'x', handle: `fan_${id}`, followers: 100, reposts: 0, how: 'reply' as const, text: `post ${id}`, at: '2026-02-10T11:00:00Z' });

  it('stores many posts in order as one at a time would: cards, duplicates, posts seen before and joins', async () => {
    const joinedCard = await card('0');
    await store.recordPost(post('old'), NOISE);
    const r = await store.recordPosts([
      { post: post('1'), triage: NOISE },
      { post: post('2'), triage: OPP, card: { analysis: analysis(), sinks: ['console', 'discord'] } },
      { post: post('1'), triage: OPP, card: { analysis: analysis(), sinks: ['console'] } }, // twice in the batch: the first counts
      { post: post('old'), triage: OPP, card: { analysis: analysis(), sinks: ['console'] } }, // stored before
      { post: post('3'), triage: { ...OPP, score: 0.95 }, joins: { opportunityId: joinedCard, entry: entry('3') } },
      { post: post('4'), triage: OPP, joins: { opportunityId: joinedCard, entry: entry('4') } },
      { post: post('5'), triage: OPP, joins: { opportunityId: 999, entry: entry('5') } }, // no such card
      { post: post('6'), triage: { ...NOISE, kind: 'service' }, card: { analysis: analysis(), sinks: ['console'] } },
    ]);
    const made = r[1]?.opportunityId;
    expect(r).toEqual([{ opportunityId: null }, { opportunityId: made }, null, null, { opportunityId: joinedCard }, { opportunityId: joinedCard }, null, { opportunityId: null }]);
    expect(made).toBeGreaterThan(joinedCard);
    expect(await store.seenKinds([post('1'), post('2'), post('5'), post('3'), post('old'), post('1', 'bluesky')])).toEqual(['noise', 'opportunity', null, 'opportunity', 'noise', null]);
    expect((await store.outboxFor(made!, 'discord'))?.status).toBe('pending');
    const joined = await store.getOpportunity(joinedCard);
    expect(joined?.analysis.story?.map((s) => s.postId)).toEqual(['3', '4']);
    expect(joined?.score).toBeGreaterThan(0.95);
    expect(await store.findStoryCard('x', { ids: ['4'], urls: [] })).toBe(joinedCard);
    expect(await count('posts')).toBe(7); // 0, old, 1, 2, 3, 4, 6: nothing for 5
    expect(await count('opportunities')).toBe(2);
    expect(await store.recordPosts([])).toEqual([]);
    // Where each came in is kept, as one at a time: a post's source, else its platform.
    await store.recordPosts([
      { post: post('7'), triage: NOISE, source: 'replay' },
      { post: post('8', 'bluesky'), triage: NOISE, source: 'replay' },
    ]);
    expect((await store.postsBySource())['replay']).toBe(2);
  });

  it('keeps every value in its column batch after batch of the same size (the insert built once and reused)', async () => {
    const shaped = (id: string, i: number): Post => ({
      ...post(id),
      author: { handle: `h_${id}`, followers: i },
      url: `https://x.com/h_${id}/status/${id}`,
      createdAt: `2026-02-10T0${i}:00:00Z`,
    });
    const write = (id: string, i: number) => ({ post: shaped(id, i), triage: { kind: 'service' as const, score: i / 10, signals: [`s${i}`] as never, lang: `l${i}` }, source: `src${i}` });
    for (const round of ['a', 'b', 'c']) {
      const batch = [1, 2, 3].map((i) => write(`${round}${i}`, i));
      expect(await store.recordPosts(batch)).toEqual([{ opportunityId: null }, { opportunityId: null }, { opportunityId: null }]);
    }
    for (const round of ['a', 'b', 'c']) {
      for (const i of [1, 2, 3]) {
        const id = `${round}${i}`;
        expect(await store.getPost(shaped(id, i))).toEqual(shaped(id, i));
        expect(await store.findPostByUrl(`https://x.com/h_${id}/status/${id}`)).toEqual(shaped(id, i));
      }
    }
    expect(await store.seenKinds([shaped('c3', 3)])).toEqual(['service']);
    const rows = await store.db.selectFrom('verdicts').select(['post_id', 'score', 'signals', 'lang']).where('post_id', 'like', 'x:c%').orderBy('post_id').execute();
    expect(rows).toEqual([1, 2, 3].map((i) => ({ post_id: `x:c${i}`, score: i / 10, signals: `["s${i}"]`, lang: `l${i}` })));
    const posts = await store.db.selectFrom('posts').select(['id', 'author_handle', 'created_at', 'source']).where('id', 'like', 'x:b%').orderBy('id').execute();
    expect(posts).toEqual([1, 2, 3].map((i) => ({ id: `x:b${i}`, author_handle: `h_b${i}`, created_at: `2026-02-10T0${i}:00:00Z`, source: `src${i}` })));
  });

  it('stores none of a batch when a write in it fails', async () => {
    await harness.breakOutbox(store);
    await expect(
      store.recordPosts([
        { post: post('1'), triage: NOISE },
        { post: post('2'), triage: OPP, card: { analysis: analysis(), sinks: ['console'] } },
      ]),
    ).rejects.toThrow(/disk full/);
    expect(await store.seenKinds([post('1'), post('2')])).toEqual([null, null]);
    await harness.fixOutbox(store);
  });
});

describe('stories', () => {
  const entry = (id: string) => ({ postId: id, platform: 'x', handle: `fan_${id}`, followers: 100, reposts: 0, how: 'quote' as const, text: `post ${id}`, at: '2026-02-10T11:00:00Z' });

  it('finds the card of a post by id or address, and of a post that joined it; joins record the post once and raise the score', async () => {
    const id = await card('1');
    await store.recordPost({ ...post('9'), url: 'https://bsky.app/profile/a/post/9' }, NOISE);
    expect(await store.findStoryCard('x', { ids: ['1'], urls: [] })).toBe(id);
    expect(await store.findStoryCard('bluesky', { ids: ['1'], urls: [] })).toBeNull();
    expect(await store.findStoryCard('x', { ids: ['404'], urls: ['https://bsky.app/profile/a/post/9'] })).toBeNull();

    expect(await store.joinStory(post('2'), { ...OPP, score: 0.9 }, id, entry('2'))).toEqual({ opportunityId: id });
    expect(await store.joinStory(post('2'), OPP, id, entry('2'))).toBeNull();
    // A reply to the post that joined finds the same card.
    expect(await store.findStoryCard('x', { ids: ['2'], urls: [] })).toBe(id);
    const o = await store.getOpportunity(id);
    expect(o?.analysis.story?.map((s) => s.postId)).toEqual(['2']);
    expect(o?.score).toBeGreaterThan(0.9);
    expect(await count('opportunities')).toBe(1);
    expect(await count('posts')).toBe(3);
    expect(await store.seenKind(post('2'))).toBe('opportunity');
  });
});

describe('cards and the outbox', () => {
  it('writes the card and one outbox row per sink together', async () => {
    const id = await card('1', 'flexible-rebooking', ['console', 'discord']);
    const o = await store.getOpportunity(id);
    expect(o).toMatchObject({ status: 'new', kind: 'opportunity', postId: 'x:1', signals: ['dilemma'] });
    expect(o?.analysis).toEqual(analysis());
    expect(o?.post).toEqual(post('1'));
    expect(await store.outboxFor(id, 'console')).toMatchObject({ status: 'pending', attempts: 0 });
    expect(await store.outboxFor(id, 'discord')).toMatchObject({ status: 'pending', attempts: 0 });
    expect(await store.pendingCount()).toBe(2);
    expect((await store.getOpportunityByPost(post('1')))?.id).toBe(id);
  });

  it('writes nothing at all when the outbox write fails, so the post can be processed again', async () => {
    await harness.breakOutbox(store);
    await expect(store.recordPost(post('1'), OPP, { analysis: analysis(), sinks: ['console'] })).rejects.toThrow(/disk full/);
    expect(await store.hasPost(post('1'))).toBe(false);
    for (const table of ['posts', 'verdicts', 'opportunities', 'outbox'] as const) expect(await count(table), table).toBe(0);

    await harness.fixOutbox(store);
    await card('1');
    for (const table of ['posts', 'verdicts', 'opportunities', 'outbox'] as const) expect(await count(table), table).toBe(1);
  });

  it('hands out pending items oldest first, and marks a sent card flagged', async () => {
    const a = await card('1');
    const b = await card('2');
    const first = await store.nextPending('console');
    expect(first?.opportunityId).toBe(a);
    await store.markSent(first!, { messageId: 'm-1', channelId: 'c-1' });
    expect((await store.getOpportunity(a))?.status).toBe('flagged');
    expect(await store.outboxFor(a, 'console')).toMatchObject({ status: 'sent', messageId: 'm-1', channelId: 'c-1', attempts: 1 });
    expect((await store.findOutboxByMessage('m-1'))?.opportunityId).toBe(a);
    expect((await store.nextPending('console'))?.opportunityId).toBe(b);
    expect(await store.nextPending('discord')).toBeNull();
  });

  it('claims several items in queue order under one lease, gives back only its own, and writes several down at once', async () => {
    const ids = [await card('1'), await card('2'), await card('3'), await card('4')];
    const mine = await store.claimBatch('console', 'w-a', 60_000, 3);
    expect(mine.map((i) => i.opportunityId)).toEqual(ids.slice(0, 3));
    // Held: another worker gets only what is left.
    expect((await store.claimBatch('console', 'w-b', 60_000, 3)).map((i) => i.opportunityId)).toEqual([ids[3]]);
    await store.releaseClaims(mine.slice(1), 'w-b'); // not w-b's to give back
    expect(await store.claimBatch('console', 'w-c', 60_000, 3)).toEqual([]);
    await store.markAttempts(mine);
    expect((await store.outboxFor(ids[0]!, 'console'))?.firstAttemptAt).toBe(now.toISOString());
    await store.markSentMany([{ item: mine[0]!, ref: { messageId: 'm-1', channelId: 'c-1' } }]);
    await store.releaseClaims(mine.slice(1), 'w-a');
    expect(await store.outboxFor(ids[0]!, 'console')).toMatchObject({ status: 'sent', messageId: 'm-1', attempts: 1 });
    expect((await store.getOpportunity(ids[0]!))?.status).toBe('flagged');
    const again = await store.claimBatch('console', 'w-c', 60_000, 3);
    expect(again.map((i) => i.opportunityId)).toEqual(ids.slice(1, 3));
    // A later attempt keeps the time of the first.
    now = new Date(now.getTime() + 5000);
    await store.markAttempts(again);
    expect((await store.outboxFor(ids[1]!, 'console'))?.firstAttemptAt).toBe(new Date(now.getTime() - 5000).toISOString());
    await store.markSentMany(again.map((item, i) => ({ item, ref: { messageId: `m-${i + 2}` } })));
    expect(await store.pendingCount('console')).toBe(1);
    for (const id of ids.slice(1, 3)) expect((await store.getOpportunity(id))?.status).toBe('flagged');
  });

  it('does not move a claimed card back to flagged when its delivery is confirmed late', async () => {
    const id = await card('1');
    await store.transition(id, 'claimed', ANNA);
    await store.markSent((await store.nextPending('console'))!, { messageId: 'm' });
    expect((await store.getOpportunity(id))?.status).toBe('claimed');
  });

  it('keeps a failed attempt pending with its retry time, or marks it failed when permanent', async () => {
    const a = await card('1');
    const b = await card('2');
    const retryAt = new Date(now.getTime() + 5000);
    await store.markAttemptFailed((await store.outboxFor(a, 'console'))!, 'rate limited', retryAt);
    expect(await store.outboxFor(a, 'console')).toMatchObject({
      status: 'pending',
      attempts: 1,
      lastError: 'rate limited',
      nextAttemptAt: retryAt.toISOString(),
    });
    await store.markAttemptFailed((await store.outboxFor(b, 'console'))!, 'x'.repeat(2000), null);
    expect((await store.outboxFor(b, 'console'))?.status).toBe('failed');
    expect((await store.outboxFor(b, 'console'))?.lastError?.length).toBe(500);
    expect(await store.pendingCount('console')).toBe(1);
  });

  it('enqueues a card for a sink only once', async () => {
    const id = await card('1');
    await store.enqueue(id, 'console');
    await store.enqueue(id, 'console');
    expect(await store.pendingCount('console')).toBe(1);
  });

  it('remembers a thread for a delivered card', async () => {
    const id = await card('1');
    const item = (await store.outboxFor(id, 'console'))!;
    await store.setThread(item.id, 'thread-9');
    expect((await store.outboxFor(id, 'console'))?.threadId).toBe('thread-9');
  });
});

describe('the digest\'s cards', () => {
  it('reads only the best of each kind, however many are open: open opportunities by score, open risks first', async () => {
    const range = { from: '2026-02-10T00:00:00Z', to: '2026-02-11T00:00:00Z' };
    for (let i = 0; i < 15; i++) await store.recordPost(post(`o${i}`), { ...OPP, score: 0.5 + i / 100 }, { analysis: analysis(), sinks: ['console'] });
    const risks: number[] = [];
    for (let i = 0; i < 6; i++) {
      const r = await store.recordPost(post(`r${i}`), { ...OPP, kind: 'risk', score: 0.5 + i / 100 }, { analysis: analysis(), sinks: ['console'] });
      risks.push(r!.opportunityId!);
    }
    // The best risk is dealt with: it comes after the open ones.
    await store.transition(risks[5]!, 'dismissed', BOB, 'handled');
    const cards = await store.digestCards(range, 4);
    expect(cards.opportunities.map((c) => c.opportunity.post.id)).toEqual(['o14', 'o13', 'o12', 'o11']);
    expect(cards.risks.map((c) => c.opportunity.post.id)).toEqual(['r4', 'r3', 'r2', 'r1']);
    expect((await store.digestCards(range, 10)).risks.map((c) => c.opportunity.post.id)).toEqual(['r4', 'r3', 'r2', 'r1', 'r0', 'r5']);
  });
});

describe('lifecycle', () => {
  it('claims, then approves; approved is final and a second approve says closed', async () => {
    const id = await card('1');
    const claimed = await store.transition(id, 'claimed', ANNA);
    expect(claimed.ok).toBe(true);
    expect(claimed.opportunity).toMatchObject({ status: 'claimed', claimedBy: 'anna' });

    const approved = await store.transition(id, 'approved', BOB);
    expect(approved).toMatchObject({ ok: true, opportunity: { status: 'approved', claimedBy: 'anna' } });

    const again = await store.transition(id, 'approved', ANNA);
    expect(again).toMatchObject({ ok: false, reason: 'closed', opportunity: { status: 'approved' } });
    expect(await store.transition(id, 'dismissed', ANNA)).toMatchObject({ ok: false, reason: 'closed' });
    expect(await store.transition(id, 'claimed', ANNA)).toMatchObject({ ok: false, reason: 'closed' });
  });

  it('dismissed is final too, with its reason in the audit trail', async () => {
    const id = await card('1');
    expect((await store.transition(id, 'dismissed', BOB, 'not-special', 'seen it before')).ok).toBe(true);
    expect(await store.transition(id, 'approved', ANNA)).toMatchObject({ ok: false, reason: 'closed', opportunity: { status: 'dismissed' } });
    const actions = await store.actionsFor(id);
    expect(actions).toHaveLength(1);
    expect(actions[0]).toMatchObject({ actorId: 'u2', actorName: 'bob', action: 'dismissed', reason: 'not-special', detail: 'seen it before' });
  });

  it('a card can be re-claimed by someone else, and that is recorded', async () => {
    const id = await card('1');
    await store.transition(id, 'claimed', ANNA);
    expect((await store.transition(id, 'claimed', BOB)).opportunity.claimedBy).toBe('bob');
    expect((await store.actionsFor(id)).map((a) => `${a.actorName}:${a.action}`)).toEqual(['anna:claimed', 'bob:claimed']);
  });

  it('refuses to go back to new or flagged, and says not-allowed', async () => {
    const id = await card('1');
    await store.transition(id, 'claimed', ANNA);
    expect(await store.transition(id, 'flagged', ANNA)).toMatchObject({ ok: false, reason: 'not-allowed' });
    expect(await store.transition(id, 'new', ANNA)).toMatchObject({ ok: false, reason: 'not-allowed' });
    expect((await store.getOpportunity(id))?.status).toBe('claimed');
  });

  it('says not-found for a card that does not exist', async () => {
    expect(await store.transition(999, 'approved', ANNA)).toMatchObject({ ok: false, reason: 'not-found' });
    expect(await store.getOpportunity(999)).toBeNull();
  });

  it('does not audit the delivery step as a person’s action', async () => {
    const id = await card('1');
    expect((await store.transition(id, 'flagged', { id: 'system', name: 'kairos' })).ok).toBe(true);
    expect(await store.actionsFor(id)).toEqual([]);
  });

  it('records every audited action in order with who and when', async () => {
    const id = await card('1');
    await store.transition(id, 'claimed', ANNA);
    now = new Date('2026-02-10T12:05:00Z');
    const edited = await store.updateAnalysis(id, { ...analysis(), reply: 'Edited reply' }, ANNA, 'edited', 'shorter');
    expect(edited.ok).toBe(true);
    expect((await store.getOpportunity(id))?.analysis.reply).toBe('Edited reply');
    await store.audit(id, BOB, 'note', null, 'called the fan');
    const actions = await store.actionsFor(id);
    expect(actions.map((a) => a.action)).toEqual(['claimed', 'edited', 'note']);
    expect(actions[1]).toMatchObject({ actorName: 'anna', detail: 'shorter', at: '2026-02-10T12:05:00.000Z' });
  });

  it('refuses to edit a closed card', async () => {
    const id = await card('1');
    await store.transition(id, 'approved', ANNA);
    expect(await store.updateAnalysis(id, analysis(null), BOB, 'edited')).toMatchObject({ ok: false, reason: 'closed' });
    expect((await store.getOpportunity(id))?.analysis.gesture?.id).toBe('flexible-rebooking');
  });

  it('lists cards by status and kind, newest first', async () => {
    const a = await card('1');
    now = new Date('2026-02-10T13:00:00Z');
    const b = await card('2');
    await store.transition(a, 'dismissed', ANNA);
    expect((await store.listCards()).map((c) => c.opportunity.id)).toEqual([b, a]);
    expect((await store.listCards({ status: ['new', 'flagged', 'claimed'] })).map((c) => c.opportunity.id)).toEqual([b]);
    expect(await store.listCards({ kind: 'risk' })).toEqual([]);
  });
});

describe('gestureUsageThisMonth', () => {
  it('counts gestures on this calendar month’s cards, not dismissed ones and not last month’s', async () => {
    now = new Date('2026-01-31T23:00:00Z');
    await card('jan', 'flexible-rebooking');
    now = new Date('2026-02-01T00:30:00Z');
    await card('feb1', 'flexible-rebooking');
    await card('feb2', 'flexible-rebooking');
    const dismissed = await card('feb3', 'flexible-rebooking');
    await card('feb4', 'crew-card');
    await card('feb5', null);
    await store.transition(dismissed, 'dismissed', ANNA, 'wrong-call');

    now = new Date('2026-02-20T10:00:00Z');
    const usage = await store.gestureUsageThisMonth();
    expect(usage('flexible-rebooking')).toBe(2);
    expect(usage('crew-card')).toBe(1);
    expect(usage('lounge-access')).toBe(0);

    now = new Date('2026-03-01T00:00:00Z');
    expect((await store.gestureUsageThisMonth())('flexible-rebooking')).toBe(0);
  });

  it('follows an edit that changes the gesture', async () => {
    const id = await card('1', 'flexible-rebooking');
    await store.updateAnalysis(id, analysis('crew-card'), ANNA, 'edited');
    const usage = await store.gestureUsageThisMonth();
    expect(usage('flexible-rebooking')).toBe(0);
    expect(usage('crew-card')).toBe(1);
  });
});

describe('cursors', () => {
  it('has none at first, then keeps the newest value per source', async () => {
    expect(await store.getCursor('x-mentions')).toBeNull();
    await store.setCursor('x-mentions', '100');
    await store.setCursor('x-mentions', '250');
    await store.setCursor('x-stream', '7');
    expect(await store.getCursor('x-mentions')).toBe('250');
    expect(await store.getCursor('x-stream')).toBe('7');
  });
});

describe('team labels', () => {
  it('keeps each post\'s latest label that was not undone, with who gave it', async () => {
    await store.recordPost(post('1'), NOISE);
    await store.recordPost(post('2'), NOISE);
    await store.recordPost(post('3'), NOISE);
    await store.addLabel(post('1'), 'not-a-card', 'dismiss', ANNA);
    now = new Date('2026-02-10T12:05:00Z');
    await store.addLabel(post('1'), 'opportunity', 'label', BOB);
    const undone = await store.addLabel(post('2'), 'risk', 'missed', ANNA);
    expect(await store.undoLabel(undone, BOB)).toBe(true);
    expect(await store.undoLabel(undone, BOB)).toBe(false);
    expect(await store.undoLabel(999, BOB)).toBe(false);
    const active = await store.activeLabels();
    expect(active.map((a) => [a.post.id, a.label.kind, a.label.by.name, a.label.source])).toEqual([['1', 'opportunity', 'bob', 'label']]);
    expect(await store.labelSummary()).toEqual({ given: 2, last: '2026-02-10T12:05:00.000Z' });
    expect((await store.labelSummary({ from: '2026-02-10T12:01:00Z' })).given).toBe(1);
    // Undoing the latest brings back the one before it.
    expect(await store.undoLabel(active[0]!.label.id, ANNA)).toBe(true);
    expect((await store.activeLabels()).map((a) => a.label.kind)).toEqual(['not-a-card']);
  });

  it('lists stored posts without a label, newest first', async () => {
    await store.recordPost({ ...post('1'), createdAt: '2026-02-10T09:00:00Z' }, NOISE);
    await store.recordPost({ ...post('2'), createdAt: '2026-02-10T10:00:00Z' }, NOISE);
    await store.recordPost({ ...post('3'), createdAt: '2026-02-10T11:00:00Z' }, NOISE);
    await store.addLabel(post('2'), 'noise', 'label', ANNA);
    expect((await store.unlabelledPosts(10)).map((p) => p.id)).toEqual(['3', '1']);
    expect((await store.unlabelledPosts(1)).map((p) => p.id)).toEqual(['3']);
  });
});

describe('posts that were no card', () => {
  it('lists the range\'s service and noise posts that joined no story and have no label, newest first; reads a post by its ref', async () => {
    const SERVICE: Triage = { kind: 'service', score: 0.3, signals: [], lang: 'en' };
    await store.recordPost({ ...post('1'), createdAt: '2026-02-10T09:00:00Z' }, NOISE);
    await store.recordPost({ ...post('2'), createdAt: '2026-02-10T10:00:00Z' }, SERVICE);
    await store.recordPost({ ...post('3'), createdAt: '2026-02-10T10:30:00Z' }, SERVICE);
    await store.recordPost({ ...post('4'), createdAt: '2026-02-09T10:00:00Z' }, SERVICE);
    await store.recordPost({ ...post('5'), createdAt: '2026-02-10T10:40:00Z' }, OPP, { analysis: analysis(), sinks: [] });
    const cardId = (await store.getOpportunityByPost(post('5')))!.id;
    await store.joinStory({ ...post('6'), createdAt: '2026-02-10T10:50:00Z' }, SERVICE, cardId, { postId: '6', platform: 'x', handle: 'fan_6', followers: 1, reposts: 0, how: 'reply', text: 'me too', at: '2026-02-10T10:50:00Z' });
    const undone = await store.addLabel(post('2'), 'noise', 'label', ANNA);
    await store.addLabel(post('3'), 'opportunity', 'missed', ANNA);
    await store.undoLabel(undone, ANNA);
    const range = { from: '2026-02-10T00:00:00Z', to: '2026-02-11T00:00:00Z' };
    expect((await store.uncardedPosts(range, 10)).map((p) => p.id)).toEqual(['2', '1']);
    expect((await store.uncardedPosts(range, 1)).map((p) => p.id)).toEqual(['2']);
    expect(await store.getPost(post('4'))).toMatchObject({ id: '4', createdAt: '2026-02-09T10:00:00Z' });
    expect(await store.getPost(post('4', 'facebook'))).toBeNull();
    // Another brand on the same database sees none of these.
    const other = store.forBrand('other-brand');
    expect(await other.uncardedPosts(range, 10)).toEqual([]);
    expect(await other.getPost(post('4'))).toBeNull();
    await other.recordPost({ ...post('1'), createdAt: '2026-02-10T09:30:00Z' }, NOISE);
    expect((await other.uncardedPosts(range, 10)).map((p) => p.createdAt)).toEqual(['2026-02-10T09:30:00Z']);
    expect((await store.uncardedPosts(range, 10)).map((p) => p.id)).toEqual(['2', '1']);
  });
});

describe('watch terms', () => {
  it('are unique regardless of case, and removed regardless of case', async () => {
    expect(await store.addWatch('Elfstedentocht', 'event', ANNA)).toBe(true);
    expect(await store.addWatch('elfstedentocht', 'term', BOB)).toBe(false);
    expect(await store.addWatch('ELFSTEDENTOCHT', 'event', BOB)).toBe(false);
    expect(await store.addWatch('Koningsdag', 'event', BOB)).toBe(true);
    expect(await store.listWatch()).toEqual([
      { term: 'Elfstedentocht', kind: 'event', addedBy: 'anna', addedAt: now.toISOString() },
      { term: 'Koningsdag', kind: 'event', addedBy: 'bob', addedAt: now.toISOString() },
    ]);
    expect(await store.removeWatch('ELFSTEDENTOCHT')).toBe(true);
    expect(await store.removeWatch('elfstedentocht')).toBe(false);
    expect((await store.listWatch()).map((w) => w.term)).toEqual(['Koningsdag']);
  });
});

describe('brands sharing one store', () => {
  // Two brands' workers on one database: each store sees and changes its own rows only, the keys that were unique
  // in the database (a post, a message key, a day's digest, a watch term, a cursor, a lease) are unique per brand.
  const brands = () => ({ a: store.forBrand('oranje-air'), b: store.forBrand('klm') });

  it('refuses a brand id that is not one', () => {
    expect(() => store.forBrand('KLM Royal')).toThrow(/brand id/);
    expect(() => store.forBrand('')).toThrow(/brand id/);
  });

  it('keeps the same post id apart under two brands, with their own verdicts and cards', async () => {
    const { a, b } = brands();
    const ra = await a.recordPost({ ...post('1'), url: 'https://x.com/fan_1/status/1' }, OPP, { analysis: analysis(), sinks: ['console'] });
    expect(await b.hasPost(post('1'))).toBe(false);
    expect(await b.findPostByUrl('https://x.com/fan_1/status/1')).toBeNull();
    expect(await b.findStoryCard('x', { ids: ['1'], urls: [] })).toBeNull();
    expect(await b.recordPost(post('1'), NOISE)).toEqual({ opportunityId: null });
    expect(await a.recordPost(post('1'), NOISE)).toBeNull();
    expect(await a.seenKind(post('1'))).toBe('opportunity');
    expect(await b.seenKind(post('1'))).toBe('noise');
    expect(await a.countByKind()).toEqual({ opportunity: 1, risk: 0, service: 0, noise: 0 });
    expect(await b.countByKind()).toEqual({ opportunity: 0, risk: 0, service: 0, noise: 1 });
    expect(await b.postsRead()).toBe(1);
    expect(await store.postsRead()).toBe(0); // the default brand has nothing
    expect(await store.postSpan()).toBeNull();
    expect((await b.unlabelledPosts(10)).length).toBe(1);
    expect(await count('posts')).toBe(2);

    const id = ra!.opportunityId!;
    expect((await a.findPostByUrl('https://x.com/fan_1/status/1'))?.id).toBe('1');
    expect(await a.findStoryCard('x', { ids: ['1'], urls: [] })).toBe(id);
    expect(await b.getOpportunityByPost(post('1'))).toBeNull();
    // A post of brand B that joins a card by id finds none of A's.
    expect(await b.joinStory(post('2'), OPP, id, { postId: '2', platform: 'x', handle: 'fan_2', followers: 1, reposts: 0, how: 'quote', text: 'x', at: now.toISOString() })).toBeNull();
    expect(await b.hasPost(post('2'))).toBe(false);
  });

  it('shows and changes a brand\'s cards only to that brand', async () => {
    const { a, b } = brands();
    const id = (await a.recordPost(post('1'), OPP, { analysis: analysis(), sinks: ['console'] }))!.opportunityId!;
    const idB = (await b.recordPost(post('1'), { ...OPP, kind: 'risk' }, { analysis: analysis(), sinks: ['console'] }))!.opportunityId!;
    expect(idB).not.toBe(id);
    expect(await b.getOpportunity(id)).toBeNull();
    expect(await b.card(id)).toBeNull();
    expect((await a.listCards()).map((c) => c.opportunity.id)).toEqual([id]);
    expect((await b.listCards()).map((c) => c.opportunity.id)).toEqual([idB]);
    expect((await b.digestCards({ from: '2026-02-10T00:00:00Z', to: '2026-02-11T00:00:00Z' }, 10)).opportunities).toEqual([]);
    expect((await a.digestCards({ from: '2026-02-10T00:00:00Z', to: '2026-02-11T00:00:00Z' }, 10)).opportunities.length).toBe(1);
    expect(await b.transition(id, 'approved', BOB)).toMatchObject({ ok: false, reason: 'not-found' });
    expect(await b.updateAnalysis(id, analysis(null), BOB, 'edited')).toMatchObject({ ok: false, reason: 'not-found' });
    await expect(b.audit(id, BOB, 'edited', null, null)).rejects.toThrow(/not one of brand klm/);
    expect(await b.claimReply({ opportunityId: id, inReplyTo: '1', text: 'Hi', actorId: 'u2', at: now.toISOString() })).toBe(false);
    await b.enqueue(id, 'discord');
    expect(await a.outboxFor(id, 'discord')).toBeNull();

    expect(await a.transition(id, 'approved', ANNA)).toMatchObject({ ok: true });
    expect((await a.card(id))?.history.map((h) => h.action)).toEqual(['approved']);
    expect((await b.card(idB))?.history).toEqual([]);
    expect((await a.decisions()).approved).toBe(1);
    expect((await b.decisions()).approved).toBe(0);
    expect(await b.decisionsBetween({ from: '2026-02-10T00:00:00Z', to: '2026-02-11T00:00:00Z' })).toEqual([]);
    expect(await b.cardsByKindAndStatus()).toEqual({
      opportunity: { new: 0, flagged: 0, claimed: 0, approved: 0, dismissed: 0 },
      risk: { new: 1, flagged: 0, claimed: 0, approved: 0, dismissed: 0 },
    });
    expect((await b.gestureUsageThisMonth())('flexible-rebooking')).toBe(1);
    expect((await store.gestureUsageThisMonth())('flexible-rebooking')).toBe(0);
  });

  it('claims and delivers each brand\'s outbox from that brand only', async () => {
    const { a, b } = brands();
    const id = (await a.recordPost(post('1'), OPP, { analysis: analysis(), sinks: ['discord'] }))!.opportunityId!;
    expect(await b.claimNext('discord', 'w-b', 60_000)).toBeNull();
    expect(await b.nextPending('discord')).toBeNull();
    expect(await b.pendingCount()).toBe(0);
    expect(await b.outboxStats()).toEqual([]);
    const item = (await a.claimNext('discord', 'w-a', 60_000))!;
    expect(item.opportunityId).toBe(id);
    // A worker of brand B handed brand A's item changes nothing.
    await b.markSent(item, { messageId: 'm1', channelId: 'c1' });
    await b.markAttemptFailed(item, 'boom', null);
    expect(await a.outboxFor(id, 'discord')).toMatchObject({ status: 'pending', messageId: null, attempts: 0 });
    await a.markSent(item, { messageId: 'm1', channelId: 'c1' });
    expect(await a.findOutboxByMessage('m1')).toMatchObject({ opportunityId: id });
    expect(await b.findOutboxByMessage('m1')).toBeNull();
    expect((await a.getOpportunity(id))?.status).toBe('flagged');

    // Messages: the same key under two brands is two messages, each claimed by its own brand.
    expect(await a.queueMessage({ key: 'digest:2026-02-10', sink: 'discord', body: { content: 'A' } })).toBe(true);
    expect(await b.queueMessage({ key: 'digest:2026-02-10', sink: 'discord', body: { content: 'B' } })).toBe(true);
    expect(await b.queueMessage({ key: 'digest:2026-02-10', sink: 'discord', body: { content: 'B again' } })).toBe(false);
    const mb = (await b.claimNextMessage('discord', 'w-b', 60_000))!;
    expect(mb.body).toEqual({ content: 'B' });
    expect(await b.claimNextMessage('discord', 'w-b2', 60_000)).toBeNull();
    await a.markMessageSent(mb.id, 'wrong');
    expect((await b.messageByKey('digest:2026-02-10'))?.status).toBe('pending');
    expect((await a.claimNextMessage('discord', 'w-a', 60_000))?.body).toEqual({ content: 'A' });
    expect(await store.pendingMessages()).toBe(0);
  });

  it('keeps digests, labels, watch terms, cursors, moments, leases and model usage per brand', async () => {
    const { a, b } = brands();
    await a.recordDigest({ day: '2026-02-10', sentAt: now.toISOString(), late: false, messageId: null });
    expect(await a.digestSent('2026-02-10')).toBe(true);
    expect(await b.digestSent('2026-02-10')).toBe(false);
    await b.recordDigest({ day: '2026-02-10', sentAt: now.toISOString(), late: true, messageId: null });
    await b.setDigestMessage('2026-02-10', 'mb');
    expect(await a.listDigests()).toEqual([{ day: '2026-02-10', sentAt: now.toISOString(), late: false, messageId: null }]);
    expect((await b.listDigests()).map((d) => [d.late, d.messageId])).toEqual([[true, 'mb']]);

    await a.recordPost(post('1'), NOISE);
    await b.recordPost(post('1'), NOISE);
    const label = await a.addLabel(post('1'), 'opportunity', 'label', ANNA);
    expect((await a.activeLabels()).map((l) => l.label.kind)).toEqual(['opportunity']);
    expect(await b.activeLabels()).toEqual([]);
    expect(await b.labelSummary()).toEqual({ given: 0, last: null });
    expect((await b.unlabelledPosts(10)).map((p) => p.id)).toEqual(['1']);
    expect(await a.unlabelledPosts(10)).toEqual([]);
    expect(await b.undoLabel(label, BOB)).toBe(false);
    expect((await a.activeLabels()).length).toBe(1);
    // Brand B cannot label a post only brand A stored.
    await a.recordPost(post('2'), NOISE);
    await expect(b.addLabel(post('2'), 'risk', 'label', BOB)).rejects.toThrow();

    expect(await a.addWatch('Elfstedentocht', 'event', ANNA)).toBe(true);
    expect(await b.addWatch('elfstedentocht', 'term', BOB)).toBe(true);
    expect(await b.removeWatch('ELFSTEDENTOCHT')).toBe(true);
    expect((await a.listWatch()).map((w) => w.term)).toEqual(['Elfstedentocht']);
    expect(await b.listWatch()).toEqual([]);

    await a.setCursor('x-mentions', '100');
    await b.setCursor('x-mentions', '7');
    expect(await a.getCursor('x-mentions')).toBe('100');
    expect(await b.getCursor('x-mentions')).toBe('7');
    expect(await store.getCursor('x-mentions')).toBeNull();

    const m = { term: 'storm', source: 'surge' as const, at: '2026-02-10T11:00:00Z', nowPerHour: 9, baselinePerHour: 1, ratio: 9, authors: 5, windowMinutes: 30, samples: [] };
    const ma = await a.recordMoment(m);
    expect(ma.isNew).toBe(true);
    expect((await b.recordMoment(m)).isNew).toBe(true);
    expect((await a.recordMoment(m)).isNew).toBe(false);
    expect(await b.getMoment(ma.moment.id)).toBeNull();
    await b.markMomentPosted(ma.moment.id, { messageId: 'wrong' });
    expect((await a.unpostedMoments(new Date(0))).map((x) => x.id)).toEqual([ma.moment.id]);
    expect((await b.listMoments()).length).toBe(1);

    expect(await a.acquireLease('source:x', 'worker-a', 60_000)).toBe(true);
    expect(await b.acquireLease('source:x', 'worker-b', 60_000)).toBe(true);
    expect(await a.acquireLease('source:x', 'worker-b', 60_000)).toBe(false);

    await a.recordLlmUsage({ at: now, model: 'm', purpose: 'analyse', promptTokens: 10, completionTokens: 5, costUsd: 0.01, outcome: 'ok' });
    expect((await a.llmUsageTotals()).calls).toBe(1);
    expect((await b.llmUsageTotals()).calls).toBe(0);
    expect(await b.llmCallTimesSince(new Date(0))).toEqual([]);
  });
});

describe('inbox of pushed posts', () => {
  it('keeps each post once (not one stored before), hands them out oldest first under a lease, retries later, and lets them go', async () => {
    await store.recordPost(post('old'), NOISE);
    expect(await store.receive([{ post: post('a'), source: 'ingest' }, { post: post('old'), source: 'ingest' }, { post: post('a'), source: 'ingest' }, { post: post('b'), source: 'meta-facebook' }])).toEqual([true, false, false, true]);
    expect(await store.inboxPending()).toBe(2);
    // Another brand on the same database has its own inbox: the same post is new to it, and nothing of ours is its.
    const other = store.forBrand('acme');
    expect(await other.inboxPending()).toBe(0);
    expect(await other.claimInbox('w9', 60_000)).toBeNull();
    const a = (await store.claimInbox('w1', 60_000))!;
    expect([a.post.id, a.source, a.attempts]).toEqual(['a', 'ingest', 0]);
    // Another worker gets the next one, not the one held.
    const b = (await store.claimInbox('w2', 60_000))!;
    expect([b.post.id, b.source]).toEqual(['b', 'meta-facebook']);
    expect(await store.claimInbox('w3', 60_000)).toBeNull();
    await store.inboxRetry(a.seq, 'the model was down', new Date(now.getTime() + 5_000));
    expect(await store.claimInbox('w3', 60_000)).toBeNull();
    now = new Date(now.getTime() + 5_000);
    const again = (await store.claimInbox('w3', 60_000))!;
    expect([again.post.id, again.attempts]).toEqual(['a', 1]);
    // A claim runs out unless renewed; given back at a lone worker's start.
    await store.renewInbox(again.seq, 'w3', 120_000);
    now = new Date(now.getTime() + 90_000);
    expect((await store.claimInbox('w4', 60_000))!.post.id).toBe('b');
    expect(await store.releaseInboxClaims()).toBe(2);
    await store.inboxDone(again.seq);
    await store.inboxDone(b.seq);
    expect(await store.inboxPending()).toBe(0);
  });
});

describe('posts by source, X reads', () => {
  it('counts the posts received by the source they came in through, those stored without one by platform', async () => {
    await store.recordPost(post('a'), NOISE, undefined, 'x-stream');
    await store.recordPost(post('b', 'bluesky'), NOISE, undefined, 'bluesky');
    await store.recordPost(post('c', 'bluesky'), NOISE, undefined, 'bluesky');
    await store.recordPost(post('d', 'mastodon'), NOISE);
    expect(await store.postsBySource()).toEqual({ 'x-stream': 1, bluesky: 2, mastodon: 1 });
    expect(await store.postsBySource({ from: '2999-01-01T00:00:00Z' })).toEqual({});
  });

  it("adds up a day's X reads, per brand", async () => {
    await store.addXReads('2026-02-10', 3, 1);
    await store.addXReads('2026-02-10', 2, 2);
    await store.addXReads('2026-02-11', 1, 0);
    expect(await store.xReads({ fromDay: '2026-02-01', toDay: '2026-02-10' })).toEqual([{ day: '2026-02-10', posts: 5, users: 3 }]);
    expect(await store.forBrand('acme').xReads({ fromDay: '2026-02-01', toDay: '2026-02-28' })).toEqual([]);
  });
});
});
