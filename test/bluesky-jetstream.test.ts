import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config';
import type { Post } from '../src/domain/post';
import { brandFilter } from '../src/sources/bluesky/filter';
import { startBluesky, type BlueskyHandle } from '../src/sources/bluesky/start';
import { openSqlite } from '../src/store/sqlite';
import type { SqlStore as Store } from '../src/store/sql-store';
import { FakeJetstream, type FakeAccount } from './fakes/jetstream';
import { captureLogger, cardPipeline, TEST_BACKOFF, until } from './support/x';

const BRAND_DID = 'did:plc:oranjeairbrand00000000000';


describe('Bluesky through a fake Jetstream', () => {
  let fake: FakeJetstream;
  let brand: FakeAccount;
  let fan: FakeAccount;
  let other: FakeAccount;
  const handles: BlueskyHandle[] = [];
  const stores: Store[] = [];

  beforeEach(async () => {
    fake = await new FakeJetstream().start();
    brand = fake.addAccount({ did: BRAND_DID, handle: 'oranjeair.bsky.social', displayName: 'Oranje Air', followersCount: 80_000 });
    fan = fake.addAccount({ did: 'did:plc:sannefan000000000000000', handle: 'sanne.bsky.social', displayName: 'Sanne', followersCount: 1_240 });
    other = fake.addAccount({ did: 'did:plc:someoneelse0000000000000', handle: 'piet.bsky.social', followersCount: 3 });
  });

  afterEach(async () => {
    for (const h of handles.splice(0)) await h.stop();
    await fake.close();
    for (const s of stores.splice(0)) await s.close();
  });

  function start(store: Store, emit: (p: Post) => Promise<unknown>, log = captureLogger().log, env: Record<string, string> = {}) {
    const config = loadConfig({
      BLUESKY_MODE: 'jetstream',
      BLUESKY_HANDLE: '@OranjeAir.bsky.social',
      BLUESKY_JETSTREAM_URL: fake.url,
      BLUESKY_API_URL: fake.apiUrl,
      BRAND_HANDLES: 'OranjeAir',
      BRAND_TERMS: 'Oranje Air',
      ...env,
    });
    const h = startBluesky({ config, store, log, emit, timing: { backoff: TEST_BACKOFF, cursorFlushMs: 20, pingMs: 5_000 } });
    handles.push(h);
    return h;
  }

  function memStore(): Store {
    const s = openSqlite(':memory:');
    stores.push(s);
    return s;
  }

  it('turns each post about the brand into one card and lets nothing else reach triage', async () => {
    const store = memStore();
    const p = cardPipeline(store);
    const h = start(store, p.emit);
    await until(() => fake.open === 1, 5000, 'connected');
    expect(fake.connections[0]!.getAll('wantedCollections')).toEqual(['app.bsky.feed.post']);
    expect(fake.connections[0]!.get('cursor')).toBeNull();

    const brandPost = fake.post(brand, { text: 'Our winter timetable is out' });
    const mention = fake.post(fan, { text: '@oranjeair.bsky.social thank you for the upgrade', mentions: [BRAND_DID] });
    fake.post(other, { text: 'Just a post about my cat' });
    const reply = fake.post(fan, { text: 'Can I bring skates?', replyTo: brandPost });
    fake.post(other, { text: 'Flying with oranje air tomorrow!', langs: ['nl'] });
    fake.post(other, { text: 'Oranje Airways is not the brand' });
    fake.post(fan, { text: 'look at this', quote: brandPost });
    fake.like(other, brandPost);
    fake.deletePost(mention);
    fake.identity(other.did, 'piet.example.nl');
    fake.post(other, { text: '@someone else', mentions: ['did:plc:notthebrand0000000000000'] });

    await until(() => h.source!.counts.received === 11, 5000, 'all events read');
    await h.source!.idle();
    expect(p.triaged.map((x) => x.text)).toEqual([
      '@oranjeair.bsky.social thank you for the upgrade',
      'Can I bring skates?',
      'Flying with oranje air tomorrow!',
      'look at this',
    ]);
    const cards = await store.listCards();
    expect(cards).toHaveLength(4);
    const first = p.triaged[0]!;
    expect(first).toMatchObject({
      id: mention,
      platform: 'bluesky',
      url: `https://bsky.app/profile/sanne.bsky.social/post/${mention.split('/').pop()}`,
      author: { id: fan.did, handle: 'sanne.bsky.social', name: 'Sanne', followers: 1_240 },
      lang: 'en',
      inReplyTo: null,
    });
    expect(p.triaged[1]!).toMatchObject({ id: reply, inReplyTo: brandPost });
    expect(p.triaged[2]!).toMatchObject({ lang: 'nl', author: { handle: 'piet.example.nl' } });
    // The brand's DID resolved once; a profile looked up once per author, then cached.
    expect(fake.apiCalls.filter((c) => c.method === 'com.atproto.identity.resolveHandle').map((c) => c.params.get('handle'))).toEqual(['oranjeair.bsky.social']);
    expect(fake.apiCalls.filter((c) => c.method === 'app.bsky.actor.getProfile').map((c) => c.params.get('actor')).sort()).toEqual([fan.did, other.did].sort());
  });

  it('resumes after a dropped socket from the stored cursor: the posts of the gap come once', async () => {
    const store = memStore();
    const p = cardPipeline(store);
    const { log, text } = captureLogger();
    const h = start(store, p.emit, log);
    await until(() => fake.open === 1);
    const sent: string[] = [];
    for (let i = 0; i < 5; i++) sent.push(fake.post(fan, { text: `Oranje Air post ${i}` }));
    await until(() => p.triaged.length === 5);
    await until(async () => (await store.getCursor('bluesky:jetstream')) !== null, 2000, 'cursor written');

    fake.refusing = true;
    fake.drop();
    // Posted while Kairos is away: Jetstream replays them from the cursor.
    for (let i = 5; i < 10; i++) sent.push(fake.post(fan, { text: `Oranje Air post ${i}` }));
    await new Promise((r) => setTimeout(r, 100));
    fake.refusing = false;
    await until(() => fake.open === 1, 5000, 'reconnected');
    for (let i = 10; i < 12; i++) sent.push(fake.post(fan, { text: `Oranje Air post ${i}` }));
    await until(() => p.triaged.length >= 12, 5000, 'gap and live posts');
    await h.source!.idle();
    expect(p.triaged.map((x) => x.id)).toEqual(sent);
    const resumed = fake.connections.at(-1)!.get('cursor');
    expect(resumed).not.toBeNull();
    // Rewound a few seconds before the cursor: the edge is read again, and the posts there were skipped.
    expect(Number(resumed)).toBeLessThan(fake.log[4]!.time_us);
    expect(text()).toContain('Jetstream connection closed; reconnecting');
    expect(await store.listCards()).toHaveLength(12);
  });

  it('resumes after a restart: nothing posted while it was down is missed, nothing is doubled', async () => {
    const store = memStore();
    const p = cardPipeline(store);
    const h = start(store, p.emit);
    await until(() => fake.open === 1);
    const sent = [fake.post(fan, { text: 'Oranje Air one' }), fake.post(fan, { text: 'Oranje Air two' })];
    fake.post(other, { text: 'unrelated' });
    await until(() => p.triaged.length === 2);
    await h.stop();
    const cursor = Number(await store.getCursor('bluesky:jetstream'));
    // The last event read (an unrelated post) counts: the cursor is at it, not at the last kept post.
    expect(cursor).toBe(fake.log[2]!.time_us);

    sent.push(fake.post(fan, { text: 'Oranje Air three (while down)' }));
    const again = cardPipeline(store);
    start(store, again.emit);
    await until(() => again.triaged.length === 1, 5000, 'the post of the downtime');
    sent.push(fake.post(fan, { text: 'Oranje Air four' }));
    await until(() => again.triaged.length === 2);
    expect([...p.triaged, ...again.triaged].map((x) => x.id)).toEqual(sent);
    expect(await store.listCards()).toHaveLength(4);
  });

  it('logs the size of a gap longer than the replay window', async () => {
    const store = memStore();
    const thirtyHoursAgo = (Date.now() - 30 * 3_600_000) * 1000;
    await store.setCursor('bluesky:jetstream', String(thirtyHoursAgo));
    const { log, lines } = captureLogger();
    start(store, cardPipeline(store).emit, log, { BLUESKY_REPLAY_WINDOW_HOURS: '24' });
    await until(() => fake.open === 1);
    const line = lines.map((l) => JSON.parse(l)).find((l) => l.gapHours !== undefined);
    expect(line).toMatchObject({ gapHours: 30, replayWindowHours: 24, missedHours: 6 });
    expect(line.msg).toContain('missed');
  });

  it('stops only itself, saying why, when the brand handle does not resolve', async () => {
    const store = memStore();
    const { log, text } = captureLogger();
    const h = start(store, cardPipeline(store).emit, log, { BLUESKY_HANDLE: 'nobody.bsky.social' });
    await h.done;
    expect(h.source!.status).toMatchObject({ state: 'failed' });
    expect(text()).toContain('BLUESKY_HANDLE nobody.bsky.social could not be resolved');
    expect(fake.open).toBe(0);
  });

  it('reconnects with backoff while Jetstream refuses, then reads on', async () => {
    fake.refusing = true;
    const store = memStore();
    const p = cardPipeline(store);
    const { log, text } = captureLogger();
    const h = start(store, p.emit, log);
    await until(() => (text().match(/reconnecting/g) ?? []).length >= 3, 5000, 'retries');
    expect(h.source!.health()).toBe('not connected to Jetstream');
    fake.refusing = false;
    await until(() => fake.open === 1, 5000, 'connected after refusals');
    await until(() => h.source!.health() === null, 2000, 'healthy');
    fake.post(fan, { text: 'Oranje Air at last' });
    await until(() => p.triaged.length === 1);
  });

  it('matches a term added with /watch from then on, on the open socket, without a restart', async () => {
    const store = memStore();
    const p = cardPipeline(store);
    const h = start(store, p.emit);
    await until(() => fake.open === 1, 5000, 'connected');
    fake.post(other, { text: 'Elfstedentocht tomorrow, who skates with me?' });
    await until(() => h.source!.counts.received === 1, 5000, 'the first post read');
    await h.source!.idle();
    expect(p.triaged).toHaveLength(0);

    await store.addWatch('Elfstedentocht', 'event', { id: 'u1', name: 'Ilse' });
    await h.onWatchChanged();
    fake.post(fan, { text: 'The Elfstedentocht is on and we fly to Bali that day' });
    fake.post(other, { text: 'Just my cat again' });
    await until(() => h.source!.counts.received === 3, 5000, 'both posts read');
    await h.source!.idle();
    expect(p.triaged.map((x) => x.text)).toEqual(['The Elfstedentocht is on and we fly to Bali that day']);
    // The same socket: no reconnect was needed.
    expect(fake.connections).toHaveLength(1);

    await store.removeWatch('Elfstedentocht');
    await h.onWatchChanged();
    fake.post(fan, { text: 'Elfstedentocht again' });
    await until(() => h.source!.counts.received === 4, 5000, 'the last post read');
    await h.source!.idle();
    expect(p.triaged).toHaveLength(1);
  });
});

describe('the brand filter', () => {
  const f = brandFilter(BRAND_DID, ['Oranje Air', 'H&M']);
  const ev = (did: string, record: unknown, operation = 'create') =>
    JSON.stringify({ did, time_us: 1_700_000_000_000_000, kind: 'commit', commit: { operation, collection: 'app.bsky.feed.post', rkey: 'abc', record } });

  it('drops a post with neither the DID nor a term before parsing it', () => {
    // Not even JSON: a parse would say not-json; the quick test says it was never parsed.
    expect(f.classify('{"did":"did:plc:x","text":"nothing here" BROKEN')).toEqual({ type: 'drop', why: 'quick' });
    expect(f.classify(ev('did:plc:x', { text: 'Oranje\nAir rocks' }))).toMatchObject({ type: 'post', post: { reason: 'term' } });
  });

  it('finds a term Go escaped in the JSON line, and not one inside a longer word', () => {
    const raw = ev('did:plc:x', { text: 'new H&M store' }).replace('&', '\\u0026');
    expect(f.classify(raw)).toMatchObject({ type: 'post', post: { reason: 'term' } });
    expect(f.classify(ev('did:plc:x', { text: 'Oranje Airways' }))).toEqual({ type: 'drop', why: 'not-about-brand' });
  });

  it("never keeps the brand's own posts, deletes or edits", () => {
    expect(f.classify(ev(BRAND_DID, { text: 'Oranje Air news' }))).toEqual({ type: 'drop', why: 'own-post' });
    expect(f.classify(ev('did:plc:x', { text: 'Oranje Air' }, 'update'))).toEqual({ type: 'drop', why: 'not-a-new-post' });
  });
});

describe('Bluesky settings', () => {
  it('names what is wrong: a missing handle, a stream URL that is not ws(s)', () => {
    expect(() => loadConfig({ BLUESKY_MODE: 'jetstream' })).toThrow(/BLUESKY_HANDLE: required when BLUESKY_MODE is jetstream/);
    expect(() => loadConfig({ BLUESKY_MODE: 'jetstream', BLUESKY_HANDLE: 'a.bsky.social', BLUESKY_JETSTREAM_URL: 'https://x.example' })).toThrow(
      /BLUESKY_JETSTREAM_URL: expected a ws\(s\) URL/,
    );
    expect(() => loadConfig({ BLUESKY_HANDLE: 'not a handle' })).toThrow(/BLUESKY_HANDLE: expected a Bluesky handle/);
    expect(loadConfig({ BLUESKY_MODE: 'jetstream', BLUESKY_HANDLE: '@OranjeAir.bsky.social' }).bluesky).toMatchObject({
      handle: 'oranjeair.bsky.social',
      jetstreamUrl: 'wss://jetstream2.us-east.bsky.network/subscribe',
      apiUrl: 'https://public.api.bsky.app',
    });
  });
});
