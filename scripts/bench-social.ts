/**
 * Figures for the Bluesky and Mastodon sources (printed; run with `npx tsx scripts/bench-social.ts`), on loopback
 * against the fakes in test/fakes:
 *  1. the Jetstream filter alone: events per second it classifies on one core (a synthetic network where 1 post in
 *     200 is about the brand), and heap before and after an hour of the network at 300 events/s replayed;
 *  2. the same events through the real source over a WebSocket from the fake Jetstream: events per second read;
 *  3. 1,000 posts about the brand through two dropped connections and a restart of the source, for Bluesky and for
 *     Mastodon: missed and doubled.
 */
import pino from 'pino';
import { loadConfig } from '../src/config';
import type { Post } from '../src/domain/post';
import { brandFilter } from '../src/sources/bluesky/filter';
import { startBluesky } from '../src/sources/bluesky/start';
import { startMastodon } from '../src/sources/mastodon/start';
import { openSqlite } from '../src/store/sqlite';
import { FakeJetstream } from '../test/fakes/jetstream';
import { FakeMastodon } from '../test/fakes/mastodon';
import { cardPipeline } from '../test/support/x';

const log = pino({ level: process.env.LOG_LEVEL ?? 'silent' });
const BRAND_DID = 'did:plc:oranjeairbrand00000000000';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
async function until(cond: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(5);
  }
}
const mb = (n: number) => `${(n / 1024 / 1024).toFixed(1)} MB`;

const WORDS = 'the a to of and in is it you that for on with this my at so be have just was are but not what like all'.split(' ');
function networkLine(i: number, aboutBrand: boolean): string {
  const words = Array.from({ length: 8 + (i % 25) }, (_, k) => WORDS[(i * 7 + k * 13) % WORDS.length]).join(' ');
  const text = aboutBrand ? `${words} flying Oranje Air tomorrow` : words;
  return JSON.stringify({
    did: `did:plc:${(i % 100_000).toString(36).padStart(24, 'a')}`,
    time_us: 1_760_000_000_000_000 + i * 3000,
    kind: 'commit',
    commit: {
      rev: `3l${i.toString(36)}`,
      operation: 'create',
      collection: 'app.bsky.feed.post',
      rkey: `3l${i.toString(36).padStart(11, '2')}`,
      record: { $type: 'app.bsky.feed.post', text, createdAt: new Date(1_760_000_000_000 + i * 3).toISOString(), langs: ['en'] },
      cid: `bafyreib${i.toString(36)}`,
    },
  });
}

// 1. The filter alone.
{
  const filter = brandFilter(BRAND_DID, ['Oranje Air', 'OranjeAir']);
  const lines = Array.from({ length: 20_000 }, (_, i) => networkLine(i, i % 200 === 0));
  for (const l of lines) filter.classify(l); // warm up
  let kept = 0;
  const n = 500_000;
  const t0 = performance.now();
  for (let i = 0; i < n; i++) if (filter.classify(lines[i % lines.length]!).type === 'post') kept++;
  const s = (performance.now() - t0) / 1000;
  console.log(`Jetstream filter, one core: ${Math.round(n / s).toLocaleString('en-US')} events/s (${kept} of ${n} kept; Bluesky's whole network is tens to hundreds of posts/s)`);

  global.gc?.();
  const before = process.memoryUsage().heapUsed;
  const hour = 300 * 3600;
  let peak = before;
  for (let i = 0; i < hour; i++) {
    filter.classify(networkLine(i, i % 200 === 0));
    if (i % 100_000 === 0) peak = Math.max(peak, process.memoryUsage().heapUsed);
  }
  global.gc?.();
  const after = process.memoryUsage().heapUsed;
  console.log(`  an hour at 300 events/s (${hour.toLocaleString('en-US')} events): heap ${mb(before)} before, ${mb(after)} after, ${mb(peak)} peak sampled${global.gc ? '' : ' (run with --expose-gc for settled figures)'}`);
}

/** The real pipeline (posts recorded, a card each), counting each post handed over and each the source repeated. */
function counted(store: ReturnType<typeof openSqlite>) {
  const seen = new Map<string, number>();
  const p = cardPipeline(store, log);
  const emit = async (post: Post) => {
    seen.set(post.id, (seen.get(post.id) ?? 0) + 1);
    await p.emit(post);
  };
  return { seen, emit };
}

function env(extra: Record<string, string>) {
  return loadConfig({ BRAND_TERMS: 'Oranje Air', BRAND_HANDLES: 'OranjeAir', ...extra });
}
const TIMING = { backoff: { baseMs: 50, maxMs: 500, resetMarginMs: 50 }, pingMs: 10_000 };

// 2 and 3: Bluesky over the WebSocket.
{
  const fake = await new FakeJetstream().start();
  fake.addAccount({ did: BRAND_DID, handle: 'oranjeair.bsky.social' });
  const fan = fake.addAccount({ did: 'did:plc:sannefan000000000000000', handle: 'sanne.bsky.social', followersCount: 10 });
  const other = fake.addAccount({ did: 'did:plc:someoneelse0000000000000', handle: 'piet.bsky.social' });
  const config = env({ BLUESKY_MODE: 'jetstream', BLUESKY_HANDLE: 'oranjeair.bsky.social', BLUESKY_JETSTREAM_URL: fake.url, BLUESKY_API_URL: fake.apiUrl });

  const store = openSqlite(':memory:');
  const { seen, emit } = counted(store);
  let h = startBluesky({ config, store, log, emit, timing: { ...TIMING, cursorFlushMs: 100 } });
  await until(() => fake.open === 1, 5000, 'connected');

  const n = 100_000;
  const t0 = performance.now();
  for (let i = 0; i < n; i++) fake.post(other, { text: `just a post ${i}` });
  await until(() => h.source!.counts.received >= n, 60_000, 'all read');
  const s = (performance.now() - t0) / 1000;
  console.log(`Jetstream over a loopback WebSocket, real source: ${Math.round(n / s).toLocaleString('en-US')} events/s read and filtered (${n.toLocaleString('en-US')} others' posts, ${seen.size} kept)`);

  const ids: string[] = [];
  const batch = async (count: number) => {
    for (let i = 0; i < count; i++) {
      ids.push(fake.post(fan, { text: `Oranje Air post ${ids.length}` }));
      if (i % 10 === 0) fake.post(other, { text: 'noise' });
    }
  };
  await batch(300);
  fake.drop(); // drop 1: the source reconnects from its cursor
  await batch(200);
  await until(() => fake.open === 1, 10_000, 'reconnected');
  fake.dropAfter = 100; // drop 2, mid-stream
  await batch(200);
  await until(() => fake.open === 1, 10_000, 'reconnected again');
  await h.source!.idle();
  await h.stop(); // restart: a new source on the same store
  await batch(150);
  h = startBluesky({ config, store, log, emit, timing: { ...TIMING, cursorFlushMs: 100 } });
  await until(() => fake.open === 1, 10_000, 'restarted');
  await batch(150);
  await until(() => ids.every((id) => seen.has(id)), 20_000, 'all posts').catch(() => undefined);
  await h.source!.idle();
  const missed = ids.filter((id) => !seen.has(id)).length;
  const doubled = [...seen.values()].filter((c) => c > 1).length;
  const cards = (await store.listCards({ limit: 10_000 })).length;
  console.log(`Bluesky: ${ids.length} posts about the brand through two drops and a restart: ${missed} missed, ${doubled} handed over twice, ${cards} cards`);
  await h.stop();
  await store.close();
  await fake.close();
}

// 3. Mastodon.
{
  const fake = await new FakeMastodon().start();
  const fan = fake.account('sanne', 'mastodon.nl');
  const config = env({ MASTODON_URL: fake.url, MASTODON_TOKEN: fake.token });
  const store = openSqlite(':memory:');
  const { seen, emit } = counted(store);
  let h = startMastodon({ config, store, log, emit, timing: TIMING });
  await until(() => fake.subscribed('user:notification', 'hashtag:oranjeair') === 1, 5000, 'subscribed');
  const ids: string[] = [];
  const batch = (count: number) => {
    for (let i = 0; i < count; i++) {
      const s = i % 2 ? fake.mention(fan, `<p>mention ${ids.length}</p>`) : fake.tagPost(fan, 'oranjeair', `<p>#OranjeAir ${ids.length}</p>`);
      ids.push(s.id as string);
    }
  };
  batch(300);
  await sleep(200);
  fake.drop();
  batch(200);
  await until(() => fake.open === 1, 10_000, 'reconnected');
  await sleep(200);
  fake.drop();
  batch(200);
  await until(() => fake.open === 1, 10_000, 'reconnected again');
  await sleep(500);
  await h.stop();
  batch(150);
  h = startMastodon({ config, store, log, emit, timing: TIMING });
  await until(() => fake.open === 1, 10_000, 'restarted');
  batch(150);
  await until(() => ids.every((id) => seen.has(id)), 20_000, 'all posts').catch(() => undefined);
  const missed = ids.filter((id) => !seen.has(id)).length;
  const doubled = [...seen.values()].filter((c) => c > 1).length;
  const cards = (await store.listCards({ limit: 10_000 })).length;
  console.log(`Mastodon: ${ids.length} posts (mentions and #OranjeAir) through two drops and a restart: ${missed} missed, ${doubled} handed over twice, ${cards} cards`);
  await h.stop();
  await store.close();
  await fake.close();
}
