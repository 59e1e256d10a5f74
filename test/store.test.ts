import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Analysis } from '../src/domain/analysis';
import type { Post } from '../src/domain/post';
import type { Triage } from '../src/domain/verdict';
import { Store } from '../src/store/store';

let now = new Date('2026-02-10T12:00:00Z');
let store: Store;

beforeEach(() => {
  now = new Date('2026-02-10T12:00:00Z');
  store = new Store(':memory:', () => now);
});
afterEach(() => {
  store.close();
});

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

function card(id: string, gestureId: string | null = 'flexible-rebooking', sinks = ['console']): number {
  const r = store.recordPost(post(id), OPP, { analysis: analysis(gestureId), sinks });
  if (!r || r.opportunityId === null) throw new Error('expected a card');
  return r.opportunityId;
}

const count = (table: string) => (store.db.prepare(`SELECT COUNT(*) AS n FROM ${table}`).get() as { n: number }).n;

describe('posts', () => {
  it('records a post once: the second time returns null and changes nothing', () => {
    expect(store.recordPost(post('1'), NOISE)).toEqual({ opportunityId: null });
    expect(store.hasPost(post('1'))).toBe(true);
    expect(store.recordPost(post('1'), OPP, { analysis: analysis(), sinks: ['console'] })).toBeNull();
    expect(count('posts')).toBe(1);
    expect(count('verdicts')).toBe(1);
    expect(count('opportunities')).toBe(0);
    expect(count('outbox')).toBe(0);
  });

  it('keys posts by platform and id: the same id on two platforms is two posts', () => {
    expect(store.recordPost(post('1', 'x'), NOISE)).not.toBeNull();
    expect(store.recordPost(post('1', 'bluesky'), NOISE)).not.toBeNull();
    expect(store.hasPost(post('1', 'mastodon'))).toBe(false);
  });

  it('makes no card for a service or noise verdict even when an analysis is passed', () => {
    const r = store.recordPost(post('1'), { ...NOISE, kind: 'service' }, { analysis: analysis(), sinks: ['console'] });
    expect(r).toEqual({ opportunityId: null });
    expect(count('opportunities')).toBe(0);
  });

  it('counts verdicts by kind', () => {
    store.recordPost(post('1'), NOISE);
    store.recordPost(post('2'), NOISE);
    card('3');
    expect(store.countByKind()).toEqual({ opportunity: 1, risk: 0, service: 0, noise: 2 });
    expect(store.countByKind('2026-02-11T00:00:00Z')).toEqual({ opportunity: 0, risk: 0, service: 0, noise: 0 });
  });
});

describe('cards and the outbox', () => {
  it('writes the card and one outbox row per sink together', () => {
    const id = card('1', 'flexible-rebooking', ['console', 'discord']);
    const o = store.getOpportunity(id);
    expect(o).toMatchObject({ status: 'new', kind: 'opportunity', postId: 'x:1', signals: ['dilemma'] });
    expect(o?.analysis).toEqual(analysis());
    expect(o?.post).toEqual(post('1'));
    expect(store.outboxFor(id, 'console')).toMatchObject({ status: 'pending', attempts: 0 });
    expect(store.outboxFor(id, 'discord')).toMatchObject({ status: 'pending', attempts: 0 });
    expect(store.pendingCount()).toBe(2);
    expect(store.getOpportunityByPost(post('1'))?.id).toBe(id);
  });

  it('writes nothing at all when the outbox write fails, so the post can be processed again', () => {
    store.db.exec(`CREATE TRIGGER outbox_fails BEFORE INSERT ON outbox BEGIN SELECT RAISE(ABORT, 'disk full'); END`);
    expect(() => store.recordPost(post('1'), OPP, { analysis: analysis(), sinks: ['console'] })).toThrow(/disk full/);
    expect(store.hasPost(post('1'))).toBe(false);
    for (const table of ['posts', 'verdicts', 'opportunities', 'outbox']) expect(count(table), table).toBe(0);

    store.db.exec('DROP TRIGGER outbox_fails');
    card('1');
    for (const table of ['posts', 'verdicts', 'opportunities', 'outbox']) expect(count(table), table).toBe(1);
  });

  it('hands out pending items oldest first, and marks a sent card flagged', () => {
    const a = card('1');
    const b = card('2');
    const first = store.nextPending('console');
    expect(first?.opportunityId).toBe(a);
    store.markSent(first!, { messageId: 'm-1', channelId: 'c-1' });
    expect(store.getOpportunity(a)?.status).toBe('flagged');
    expect(store.outboxFor(a, 'console')).toMatchObject({ status: 'sent', messageId: 'm-1', channelId: 'c-1', attempts: 1 });
    expect(store.findOutboxByMessage('m-1')?.opportunityId).toBe(a);
    expect(store.nextPending('console')?.opportunityId).toBe(b);
    expect(store.nextPending('discord')).toBeNull();
  });

  it('does not move a claimed card back to flagged when its delivery is confirmed late', () => {
    const id = card('1');
    store.transition(id, 'claimed', ANNA);
    store.markSent(store.nextPending('console')!, { messageId: 'm' });
    expect(store.getOpportunity(id)?.status).toBe('claimed');
  });

  it('keeps a failed attempt pending with its retry time, or marks it failed when permanent', () => {
    const a = card('1');
    const b = card('2');
    const retryAt = new Date(now.getTime() + 5000);
    store.markAttemptFailed(store.outboxFor(a, 'console')!, 'rate limited', retryAt);
    expect(store.outboxFor(a, 'console')).toMatchObject({
      status: 'pending',
      attempts: 1,
      lastError: 'rate limited',
      nextAttemptAt: retryAt.toISOString(),
    });
    store.markAttemptFailed(store.outboxFor(b, 'console')!, 'x'.repeat(2000), null);
    expect(store.outboxFor(b, 'console')?.status).toBe('failed');
    expect(store.outboxFor(b, 'console')?.lastError?.length).toBe(500);
    expect(store.pendingCount('console')).toBe(1);
  });

  it('enqueues a card for a sink only once', () => {
    const id = card('1');
    store.enqueue(id, 'console');
    store.enqueue(id, 'console');
    expect(store.pendingCount('console')).toBe(1);
  });

  it('remembers a thread for a delivered card', () => {
    const id = card('1');
    const item = store.outboxFor(id, 'console')!;
    store.setThread(item.id, 'thread-9');
    expect(store.outboxFor(id, 'console')?.threadId).toBe('thread-9');
  });
});

describe('lifecycle', () => {
  it('claims, then approves; approved is final and a second approve says closed', () => {
    const id = card('1');
    const claimed = store.transition(id, 'claimed', ANNA);
    expect(claimed.ok).toBe(true);
    expect(claimed.opportunity).toMatchObject({ status: 'claimed', claimedBy: 'anna' });

    const approved = store.transition(id, 'approved', BOB);
    expect(approved).toMatchObject({ ok: true, opportunity: { status: 'approved', claimedBy: 'anna' } });

    const again = store.transition(id, 'approved', ANNA);
    expect(again).toMatchObject({ ok: false, reason: 'closed', opportunity: { status: 'approved' } });
    expect(store.transition(id, 'dismissed', ANNA)).toMatchObject({ ok: false, reason: 'closed' });
    expect(store.transition(id, 'claimed', ANNA)).toMatchObject({ ok: false, reason: 'closed' });
  });

  it('dismissed is final too, with its reason in the audit trail', () => {
    const id = card('1');
    expect(store.transition(id, 'dismissed', BOB, 'not-special', 'seen it before').ok).toBe(true);
    expect(store.transition(id, 'approved', ANNA)).toMatchObject({ ok: false, reason: 'closed', opportunity: { status: 'dismissed' } });
    const actions = store.actionsFor(id);
    expect(actions).toHaveLength(1);
    expect(actions[0]).toMatchObject({ actorId: 'u2', actorName: 'bob', action: 'dismissed', reason: 'not-special', detail: 'seen it before' });
  });

  it('a card can be re-claimed by someone else, and that is recorded', () => {
    const id = card('1');
    store.transition(id, 'claimed', ANNA);
    expect(store.transition(id, 'claimed', BOB).opportunity.claimedBy).toBe('bob');
    expect(store.actionsFor(id).map((a) => `${a.actorName}:${a.action}`)).toEqual(['anna:claimed', 'bob:claimed']);
  });

  it('refuses to go back to new or flagged, and says not-allowed', () => {
    const id = card('1');
    store.transition(id, 'claimed', ANNA);
    expect(store.transition(id, 'flagged', ANNA)).toMatchObject({ ok: false, reason: 'not-allowed' });
    expect(store.transition(id, 'new', ANNA)).toMatchObject({ ok: false, reason: 'not-allowed' });
    expect(store.getOpportunity(id)?.status).toBe('claimed');
  });

  it('says not-found for a card that does not exist', () => {
    expect(store.transition(999, 'approved', ANNA)).toMatchObject({ ok: false, reason: 'not-found' });
    expect(store.getOpportunity(999)).toBeNull();
  });

  it('does not audit the delivery step as a person’s action', () => {
    const id = card('1');
    expect(store.transition(id, 'flagged', { id: 'system', name: 'kairos' }).ok).toBe(true);
    expect(store.actionsFor(id)).toEqual([]);
  });

  it('records every audited action in order with who and when', () => {
    const id = card('1');
    store.transition(id, 'claimed', ANNA);
    now = new Date('2026-02-10T12:05:00Z');
    const edited = store.updateAnalysis(id, { ...analysis(), reply: 'Edited reply' }, ANNA, 'edited', 'shorter');
    expect(edited.ok).toBe(true);
    expect(store.getOpportunity(id)?.analysis.reply).toBe('Edited reply');
    store.audit(id, BOB, 'note', null, 'called the fan');
    const actions = store.actionsFor(id);
    expect(actions.map((a) => a.action)).toEqual(['claimed', 'edited', 'note']);
    expect(actions[1]).toMatchObject({ actorName: 'anna', detail: 'shorter', at: '2026-02-10T12:05:00.000Z' });
  });

  it('refuses to edit a closed card', () => {
    const id = card('1');
    store.transition(id, 'approved', ANNA);
    expect(store.updateAnalysis(id, analysis(null), BOB, 'edited')).toMatchObject({ ok: false, reason: 'closed' });
    expect(store.getOpportunity(id)?.analysis.gesture?.id).toBe('flexible-rebooking');
  });

  it('lists cards by status and kind, newest first', () => {
    const a = card('1');
    now = new Date('2026-02-10T13:00:00Z');
    const b = card('2');
    store.transition(a, 'dismissed', ANNA);
    expect(store.listOpportunities().map((o) => o.id)).toEqual([b, a]);
    expect(store.listOpportunities({ status: ['new', 'flagged', 'claimed'] }).map((o) => o.id)).toEqual([b]);
    expect(store.listOpportunities({ kind: 'risk' })).toEqual([]);
  });
});

describe('gestureUsageThisMonth', () => {
  it('counts gestures on this calendar month’s cards, not dismissed ones and not last month’s', () => {
    now = new Date('2026-01-31T23:00:00Z');
    card('jan', 'flexible-rebooking');
    now = new Date('2026-02-01T00:30:00Z');
    card('feb1', 'flexible-rebooking');
    card('feb2', 'flexible-rebooking');
    const dismissed = card('feb3', 'flexible-rebooking');
    card('feb4', 'crew-card');
    card('feb5', null);
    store.transition(dismissed, 'dismissed', ANNA, 'wrong-call');

    now = new Date('2026-02-20T10:00:00Z');
    const usage = store.gestureUsageThisMonth();
    expect(usage('flexible-rebooking')).toBe(2);
    expect(usage('crew-card')).toBe(1);
    expect(usage('lounge-access')).toBe(0);

    now = new Date('2026-03-01T00:00:00Z');
    expect(store.gestureUsageThisMonth()('flexible-rebooking')).toBe(0);
  });

  it('follows an edit that changes the gesture', () => {
    const id = card('1', 'flexible-rebooking');
    store.updateAnalysis(id, analysis('crew-card'), ANNA, 'edited');
    const usage = store.gestureUsageThisMonth();
    expect(usage('flexible-rebooking')).toBe(0);
    expect(usage('crew-card')).toBe(1);
  });
});

describe('cursors', () => {
  it('has none at first, then keeps the newest value per source', () => {
    expect(store.getCursor('x-mentions')).toBeNull();
    store.setCursor('x-mentions', '100');
    store.setCursor('x-mentions', '250');
    store.setCursor('x-stream', '7');
    expect(store.getCursor('x-mentions')).toBe('250');
    expect(store.getCursor('x-stream')).toBe('7');
  });
});

describe('watch terms', () => {
  it('are unique regardless of case, and removed regardless of case', () => {
    expect(store.addWatch('Elfstedentocht', 'event', ANNA)).toBe(true);
    expect(store.addWatch('elfstedentocht', 'term', BOB)).toBe(false);
    expect(store.addWatch('ELFSTEDENTOCHT', 'event', BOB)).toBe(false);
    expect(store.addWatch('Koningsdag', 'event', BOB)).toBe(true);
    expect(store.listWatch()).toEqual([
      { term: 'Elfstedentocht', kind: 'event', addedBy: 'anna', addedAt: now.toISOString() },
      { term: 'Koningsdag', kind: 'event', addedBy: 'bob', addedAt: now.toISOString() },
    ]);
    expect(store.removeWatch('ELFSTEDENTOCHT')).toBe(true);
    expect(store.removeWatch('elfstedentocht')).toBe(false);
    expect(store.listWatch().map((w) => w.term)).toEqual(['Koningsdag']);
  });
});
