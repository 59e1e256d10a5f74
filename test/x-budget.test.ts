import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Triage } from '../src/domain/verdict';
import { readDigestData } from '../src/digest/data';
import { buildDigest } from '../src/discord/digest';
import { noticeMessage } from '../src/discord/messages';
import { summariseXReads, xReadsText } from '../src/domain/x-reads';
import { XReadMeter } from '../src/sources/x/reads';
import { startX, type XHandle } from '../src/sources/x/start';
import { openSqlite } from '../src/store/sqlite';
import type { SqlStore } from '../src/store/sql-store';
import { FakeX, type FakeUser } from './fakes/x';
import { captureLogger, pipeline, TEST_BACKOFF, until, xConfig } from './support/x';

const PRICES = { postUsd: 0.005, userUsd: 0.01 };

/** A clock that runs at real speed from `iso`. */
function clockFrom(iso: string): () => Date {
  const base = Date.parse(iso);
  const t0 = Date.now();
  return () => new Date(base + (Date.now() - t0));
}

describe('X reads and X_MAX_READS_PER_DAY, against a fake X', () => {
  let fake: FakeX;
  let fan: FakeUser;
  const handles: XHandle[] = [];
  const stores: SqlStore[] = [];

  beforeEach(async () => {
    fake = await new FakeX().start();
    fake.keepAliveMs = 100;
    fan = fake.addUser({ username: 'sanne_vl', name: 'Sanne', followers: 12_400 });
  });
  afterEach(async () => {
    for (const h of handles.splice(0)) await h.stop();
    await fake.close();
    for (const s of stores.splice(0)) await s.close();
  });

  it('counts every post and author read, stops reading at the daily cap with one notice, and reads again the next UTC day without missing a post', async () => {
    const cap = captureLogger();
    const p = pipeline(cap.log);
    stores.push(p.store);
    const notices: { day: string; text: string }[] = [];
    // Three seconds before midnight UTC: the cap is reached on 1 December and reading starts again on the 2nd.
    const now = clockFrom('2026-12-01T23:59:57Z');
    const h = startX({
      config: xConfig(fake, { X_MAX_READS_PER_DAY: '3' }),
      store: p.store,
      log: cap.log,
      emit: p.emit,
      timing: { backoff: TEST_BACKOFF, keepAliveTimeoutMs: 5000 },
      notify: (day, text) => notices.push({ day, text }),
      now,
    });
    handles.push(h);
    await until(() => fake.openStreams === 1, 5000, 'stream connected');
    for (let n = 1; n <= 3; n++) fake.publish(fan, `A moment to remember @OranjeAir (${n})`);
    await until(() => p.counts.processed === 3, 5000, 'three posts');
    // The third read reaches the cap: the stream is closed and the team told once.
    await until(() => fake.openStreams === 0, 5000, 'the stream closed at the cap');
    expect(h.pausedUntil()?.toISOString()).toBe('2026-12-02T00:00:00.000Z');
    expect(notices).toHaveLength(1);
    expect(notices[0]!.day).toBe('2026-12-01');
    expect(notices[0]!.text).toMatch(/stopped reading X for today: 3 posts read.*X_MAX_READS_PER_DAY=3.*2026-12-02 00:00 UTC/);
    await h.meter!.settled();
    // The same author three times is one author read that day, as X bills it.
    expect(await p.store.xReads({ fromDay: '2026-12-01', toDay: '2026-12-01' })).toEqual([{ day: '2026-12-01', posts: 3, users: 1 }]);

    // Posted while Kairos does not read X: fetched once the new day begins (the gap since the cursor).
    fake.publish(fan, 'Another moment, thank you @OranjeAir (4)');
    await until(() => p.counts.processed === 4, 10_000, 'the post of the pause, the next day');
    expect(h.pausedUntil()).toBeNull();
    expect(fake.openStreams).toBe(1);
    expect(notices).toHaveLength(1);
    expect(p.counts.duplicate).toBe(0);
    await h.meter!.settled();
    const second = await p.store.xReads({ fromDay: '2026-12-02', toDay: '2026-12-02' });
    expect(second[0]!.posts).toBeGreaterThanOrEqual(1);
  }, 30_000);

  it('does not connect at all when the day\'s reads already reached the cap (a restart the same day)', async () => {
    const cap = captureLogger();
    const p = pipeline(cap.log);
    stores.push(p.store);
    const now = clockFrom('2026-12-01T12:00:00Z');
    await p.store.addXReads('2026-12-01', 5, 2);
    const notices: string[] = [];
    const h = startX({ config: xConfig(fake, { X_MAX_READS_PER_DAY: '5' }), store: p.store, log: cap.log, emit: p.emit, notify: (day) => notices.push(day), now });
    handles.push(h);
    await until(() => h.pausedUntil() !== null, 5000, 'paused');
    expect(fake.openStreams).toBe(0);
    expect(fake.calls('rules')).toHaveLength(0);
    expect(notices).toEqual(['2026-12-01']);
  });

  it("the notice is queued once a day in the outbox, however often a restart says it again", async () => {
    const store = openSqlite(':memory:');
    stores.push(store);
    const notice = () => noticeMessage('x-budget', 'Kairos stopped reading X for today', new Date('2026-12-01T00:00:00Z'));
    expect(await store.queueMessage(notice())).toBe(true);
    expect(await store.queueMessage(notice())).toBe(false);
    expect(await store.pendingMessages()).toBe(1);
  });
});

describe('what reading X costs', () => {
  it('counts a post and an author once a day, included posts too, and starts again the next day', async () => {
    const store = openSqlite(':memory:');
    let at = new Date('2026-12-01T10:00:00Z');
    const meter = new XReadMeter(store, captureLogger().log, 4, () => at);
    await meter.load();
    const spent: string[] = [];
    meter.onSpent = (day) => spent.push(day);
    const user = { id: 'u1', name: 'Sanne', username: 'sanne' };
    meter.count({ data: { id: 't1', text: 'a' }, includes: { users: [user], tweets: [{ id: 'q1', text: 'quoted' }] } } as never);
    meter.count({ data: { id: 't1', text: 'a' }, includes: { users: [user] } } as never);
    expect(meter.reads).toMatchObject({ posts: 2, users: 1 });
    expect(meter.spent).toBe(false);
    meter.count({ data: [{ id: 't2', text: 'b' }, { id: 't3', text: 'c' }] } as never);
    expect(meter.spent).toBe(true);
    expect(spent).toEqual(['2026-12-01']);
    at = new Date('2026-12-02T00:00:01Z');
    expect(meter.spent).toBe(false);
    meter.count({ data: { id: 't1', text: 'a' }, includes: { users: [user] } } as never);
    expect(meter.reads).toMatchObject({ day: '2026-12-02', posts: 1, users: 1 });
    await meter.settled();
    expect(await store.xReads({ fromDay: '2026-12-01', toDay: '2026-12-31' })).toEqual([
      { day: '2026-12-01', posts: 4, users: 1 },
      { day: '2026-12-02', posts: 1, users: 1 },
    ]);
    await store.close();
  });

  it('prices the reads and carries the month on at its pace', () => {
    const month = [
      { day: '2026-11-01', posts: 1000, users: 400 },
      { day: '2026-11-02', posts: 1000, users: 400 },
    ];
    const s = summariseXReads(month.slice(1), month, PRICES, new Date('2026-11-03T00:00:00Z'), 5000);
    expect(s.posts).toBe(1000);
    expect(s.costUsd).toBeCloseTo(1000 * 0.005 + 400 * 0.01);
    expect(s.monthSoFarUsd).toBeCloseTo(18);
    // Two days of a thirty-day month at $9 a day.
    expect(s.monthEstimateUsd).toBeCloseTo(270);
    expect(xReadsText(s)).toBe(
      '1,000 posts and 400 authors read ≈ $9.00 · this month 2,000 posts ≈ $18.00, on course for ≈ $270.00 (estimate at $0.005/post, $0.01/author; X\'s bill is the reference) · cap 5,000 posts a day',
    );
  });

  it('the digest shows the X reads of its window when X is read, and nothing of X otherwise; and the posts by source', async () => {
    const store = openSqlite(':memory:', () => new Date('2026-12-01T10:00:00Z'));
    await store.addXReads('2026-12-01', 800, 300);
    const post = (id: string, platform: string) => ({ id, platform, author: { handle: 'fan', followers: 1 }, text: 'hello', createdAt: '2026-12-01T09:00:00Z' });
    const noise: Triage = { kind: 'noise', score: 0.1, signals: [], lang: 'en' };
    await store.recordPost(post('b1', 'bluesky'), noise, undefined, 'bluesky');
    await store.recordPost(post('x1', 'x'), noise, undefined, 'x-stream');
    await store.recordPost(post('x2', 'x'), noise, undefined, 'x-poll');
    await store.recordPost(post('f1', 'form'), noise, undefined, 'ingest');
    const window = { day: '2026-12-01', from: new Date('2026-12-01T00:00:00Z'), to: new Date('2026-12-02T00:00:00Z'), timeZone: 'UTC' };
    const withX = buildDigest(await readDigestData(store, { ...window, x: { prices: PRICES } }));
    expect(withX.payload.embeds[0]!.fields?.find((f) => f.name === 'X reads')?.value).toMatch(/^800 posts and 300 authors read ≈ \$7\.00/);
    expect(withX.text).toContain('800 posts and 300 authors read');
    expect(withX.text).toContain('By source: x 2 · bluesky 1 · webhook 1');
    const without = buildDigest(await readDigestData(store, window));
    expect(without.payload.embeds[0]!.fields?.some((f) => f.name === 'X reads')).toBe(false);
    await store.close();
  });
});
