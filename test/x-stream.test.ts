import { afterEach, beforeEach, describe, expect, it, onTestFailed } from 'vitest';
import { startX, type XHandle } from '../src/sources/x/start';
import { openSqlite } from '../src/store/sqlite';
import type { SqlStore as Store } from '../src/store/sql-store';
import { FakeX, type FakeUser } from './fakes/x';
import { captureLogger, pipeline, TEST_BACKOFF, until, xConfig } from './support/x';

const TOKEN = 'test-bearer-token-0001';
const actor = { id: '1', name: 'Ilse' };

describe('X filtered stream against a fake X', () => {
  let fake: FakeX;
  let fan: FakeUser;
  const handles: XHandle[] = [];
  const stores: Store[] = [];

  beforeEach(async () => {
    fake = await new FakeX().start();
    fake.keepAliveMs = 100;
    fan = fake.addUser({ username: 'sanne_vl', name: 'Sanne', followers: 12_400, verifiedType: 'blue' });
  });

  afterEach(async () => {
    for (const h of handles.splice(0)) await h.stop();
    await fake.close();
    for (const s of stores.splice(0)) await s.close();
  });

  function start(store: Store, emit: (p: any) => Promise<unknown>, log = captureLogger().log, keepAliveTimeoutMs = 5000) {
    const h = startX({ config: xConfig(fake), store, log, emit, timing: { backoff: TEST_BACKOFF, keepAliveTimeoutMs } });
    handles.push(h);
    return h;
  }

  it('delivers stream posts normalised with author reach, asking X for the fields that need', async () => {
    const { log } = captureLogger();
    const p = pipeline(log);
    stores.push(p.store);
    const seen: any[] = [];
    start(p.store, async (post) => {
      seen.push(post);
      await p.emit(post);
    }, log);
    await until(() => fake.openStreams === 1, 5000, 'stream connected');
    fake.publish(fan, 'A moment to remember @OranjeAir', { lang: 'nl', public_metrics: { like_count: 35, retweet_count: 12, reply_count: 9, quote_count: 2, impression_count: 1 } });
    await until(() => seen.length === 1);
    expect(seen[0]).toMatchObject({
      platform: 'x',
      author: { handle: 'sanne_vl', name: 'Sanne', followers: 12_400, verified: true },
      lang: 'nl',
      metrics: { likes: 35, reposts: 12, replies: 9, quotes: 2 },
      url: `https://x.com/sanne_vl/status/${seen[0].id}`,
    });
    expect((await p.store.getOpportunityByPost(seen[0]))?.post.author.followers).toBe(12_400);
    const q = fake.calls('stream')[0]!.query;
    expect(q.get('expansions')).toContain('author_id');
    expect(q.get('user.fields')).toContain('public_metrics');
    expect(q.get('tweet.fields')).toContain('created_at');
    // The brand's own posts never come in.
    fake.publish(fake.users.get(fake.meId)!, 'Our own announcement @OranjeAir');
    fake.publish(fan, 'second @OranjeAir');
    await until(() => seen.length === 2);
    expect(seen[1].text).toBe('second @OranjeAir');
  });

  it('syncs rules on start and after a /watch term is added or removed, dry-running additions first', async () => {
    const store = openSqlite(':memory:');
    stores.push(store);
    fake.rules = [
      { id: '1', value: 'stale rule', tag: 'kairos:watch:gone' },
      { id: '2', value: 'from:someone', tag: 'other-tool' },
    ];
    const h = start(store, async () => {});
    await until(() => fake.openStreams === 1);
    expect(fake.rules.map((r) => r.value)).toEqual([
      'from:someone',
      '(@OranjeAir OR "Oranje Air") (lang:en OR lang:nl) -is:retweet -from:OranjeAir',
    ]);

    await store.addWatch('Elfstedentocht', 'term', actor);
    const added = await h.syncRules!();
    expect(added.added).toEqual(['"Elfstedentocht" (lang:en OR lang:nl) -is:retweet -from:OranjeAir']);
    expect(fake.rules.map((r) => r.tag)).toContain('kairos:watch:elfstedentocht');
    const posts = fake.calls('rules').filter((r) => r.method === 'POST' && r.body.add);
    expect(posts.at(-2)!.query.get('dry_run')).toBe('true');
    expect(posts.at(-1)!.query.get('dry_run')).toBeNull();

    // The Discord bot's hook: fire and forget.
    await store.addWatch('Koningsdag', 'term', actor);
    h.onWatchChanged();
    await until(() => fake.rules.some((r) => r.tag === 'kairos:watch:koningsdag'), 3000, 'sync after onWatchChanged');

    await store.removeWatch('Elfstedentocht');
    const removed = await h.syncRules!();
    expect(removed.deleted).toEqual(['"Elfstedentocht" (lang:en OR lang:nl) -is:retweet -from:OranjeAir']);
    expect(fake.rules.some((r) => r.tag === 'kairos:watch:elfstedentocht')).toBe(false);
    expect(fake.rules.some((r) => r.tag === 'other-tool')).toBe(true);
  });

  it('reports and logs a rule X rejects, and still adds the valid ones', async () => {
    const store = openSqlite(':memory:');
    stores.push(store);
    const cap = captureLogger();
    await store.addWatch('REJECTME please', 'term', actor);
    await store.addWatch('Koningsdag', 'term', actor);
    const h = start(store, async () => {}, cap.log);
    await until(() => fake.openStreams === 1);
    const report = await h.syncRules!();
    // The rejected rule is still wanted, so every sync tries it again and reports it again.
    expect(report.rejected.map((r) => r.value)).toEqual(['"REJECTME please" (lang:en OR lang:nl) -is:retweet -from:OranjeAir']);
    expect(fake.rules.map((r) => r.tag)).toEqual(['kairos:brand', 'kairos:watch:koningsdag']);
    expect(cap.text()).toContain('X rejected a stream rule');
    expect(cap.text()).toContain('REJECTME please');

    await store.addWatch('REJECTME again', 'term', actor);
    const again = await h.syncRules!();
    expect(again.rejected).toEqual([
      expect.objectContaining({ value: expect.stringContaining('REJECTME again'), reason: expect.stringContaining('UnprocessableEntity') }),
      expect.objectContaining({ value: expect.stringContaining('REJECTME please') }),
    ]);
    expect(again.added).toEqual([]);
  });

  it('after a dropped connection and a restart mid-stream, every post is processed exactly once', async () => {
    const { log, text } = captureLogger();
    onTestFailed(() => console.log(text()));
    const p = pipeline(log);
    stores.push(p.store);
    const published: string[] = [];
    const pub = (n: number) => {
      for (let i = 0; i < n; i++) published.push(fake.publish(fan, `post ${published.length} @OranjeAir`).id);
    };

    const first = start(p.store, p.emit, log);
    await until(() => fake.openStreams === 1);
    fake.dropStreamAfter(4);
    pub(10); // 4 on the stream, then the connection drops: 6 only reachable by search
    await until(() => p.counts.processed === 10, 5000, 'gap filled after reconnect');
    const searches = fake.calls('search');
    expect(searches.length).toBeGreaterThanOrEqual(1);
    expect(searches[0]!.query.get('since_id')).toBe(published[3]);

    // Restart: the source stops, posts keep coming, a new source with the same store picks up.
    await first.stop();
    pub(5);
    const second = start(p.store, p.emit, log);
    await until(() => fake.openStreams === 1);
    pub(5);
    await until(() => p.counts.processed === 20, 5000, 'restart gap and live posts');
    await new Promise((r) => setTimeout(r, 100));
    expect(p.counts.processed).toBe(20);
    expect(p.counts.duplicate).toBe(0);
    expect([...p.counts.ids].sort()).toEqual([...published].sort());
    expect(new Set(p.counts.ids).size).toBe(20);
    expect(await p.store.getCursor('x:stream')).toBe(published.at(-1));
    expect(second.source?.status.state).toBe('running');
  });

  it('fills the gap of a drop that came before any post was seen, from the time the source connected', async () => {
    const { log } = captureLogger();
    const p = pipeline(log);
    stores.push(p.store);
    fake.publish(fan, 'old post from before Kairos ran @OranjeAir', { created_at: '2020-01-01T00:00:00.000Z' });
    start(p.store, p.emit, log);
    await until(() => fake.openStreams === 1);
    fake.dropStreams();
    const ids = [1, 2, 3].map((i) => fake.publish(fan, `while down ${i} @OranjeAir`).id);
    await until(() => p.counts.processed === 3, 5000, 'gap by start time');
    expect(p.counts.ids).toEqual(ids);
    expect(fake.calls('search')[0]!.query.get('start_time')).toBeTruthy();
  });

  it('waits until the reset X gives when the stream connection is rate limited', async () => {
    const store = openSqlite(':memory:');
    stores.push(store);
    fake.failNext('stream', { status: 429, resetInSeconds: 1 });
    const cap = captureLogger();
    start(store, async () => {}, cap.log);
    await until(() => fake.openStreams === 1, 5000);
    const [a, b] = fake.calls('stream');
    // The reset is a whole second 1–2 s ahead; the backoff alone would have retried after 20 ms.
    expect(b!.at - a!.at).toBeGreaterThanOrEqual(900);
    expect(cap.text()).toContain('rate limited');
  });

  it('reconnects when the keep-alives stop', async () => {
    const store = openSqlite(':memory:');
    stores.push(store);
    fake.keepAliveMs = 0;
    start(store, async () => {}, captureLogger().log, 300);
    await until(() => fake.calls('stream').length >= 2, 3000, 'reconnect after keep-alive timeout');
  });

  it('stops the source on a revoked token with a clear message, never logging the token; the rest keeps running', async () => {
    const cap = captureLogger();
    const p = pipeline(cap.log);
    stores.push(p.store);
    const h = start(p.store, p.emit, cap.log);
    await until(() => fake.openStreams === 1);
    fake.publish(fan, 'before @OranjeAir');
    await until(() => p.counts.processed === 1);
    fake.revoke(TOKEN);
    await h.done;
    expect(h.source?.status).toEqual({ state: 'failed', reason: expect.stringContaining('X answered 401') });
    expect(cap.text()).toContain('X_BEARER_TOKEN');
    expect(cap.text()).toContain('rest of Kairos keeps running');
    expect(cap.text()).not.toContain(TOKEN);
    const streamsBefore = fake.calls('stream').length;
    await new Promise((r) => setTimeout(r, 300));
    expect(fake.calls('stream').length).toBe(streamsBefore); // no retry loop against a dead token
    // The pipeline (the rest of the bot) still takes posts.
    await p.emit({ id: 'demo-1', platform: 'demo', author: { handle: 'a', followers: 0 }, text: 'hi', createdAt: new Date().toISOString() });
    expect(p.counts.processed).toBe(2);
  });
});
