/**
 * Figures for the Bluesky and Mastodon sources (printed; run with `npx tsx scripts/bench-social.ts`), on loopback
 * against the fakes in test/fakes:
 *  1. the Jetstream filter alone: events per second it classifies on one core (a synthetic network where 1 post in
 *     200 is about the brand), and heap before and after an hour of the network at 300 events/s replayed;
 *  2. the same events through the real source over a WebSocket from the fake Jetstream: events per second read;
 *  3. 1,000 posts about the brand through two dropped connections and a restart of the source, for Bluesky and for
 *     Mastodon: missed and doubled;
 *  4. an hour of the network (300 events/s) through the real source over a WebSocket: heap before and after;
 *  5. a post on each stream → its card at a fake Discord (the real Kairos and discord.js): p50 and p99 per source.
 * Memory is settled (garbage collected) only with --expose-gc:
 *   node --expose-gc --import tsx scripts/bench-social.ts
 */
import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import pino from 'pino';
import { WebSocketServer } from 'ws';
import { commands } from '../commands/index';
import { buildKairos, ingestCounted } from '../src/app';
import { loadConfig } from '../src/config';
import { startDiscord } from '../src/discord/start';
import { parsePostLine } from '../src/domain/post';
import type { Post } from '../src/domain/post';
import { brandFilter } from '../src/sources/bluesky/filter';
import { startBluesky } from '../src/sources/bluesky/start';
import { startMastodon } from '../src/sources/mastodon/start';
import { openStore } from '../src/store/open';
import { postKey } from '../src/store/sql-store';
import { openSqlite } from '../src/store/sqlite';
import { FakeDiscord } from '../test/fakes/discord';
import { FakeJetstream } from '../test/fakes/jetstream';
import { FakeMastodon } from '../test/fakes/mastodon';
import { cardPipeline } from '../test/support/x';
import { sleep, until } from './lib/wait';

const log = pino({ level: process.env.LOG_LEVEL ?? 'silent' });
const BRAND_DID = 'did:plc:oranjeairbrand00000000000';
const mb = (n: number) => `${(n / 1024 / 1024).toFixed(1)} MB`;
/** The heap once garbage is collected (with --expose-gc; without it, as it is). */
async function settledHeap(): Promise<number> {
  for (let i = 0; i < 3; i++) {
    global.gc?.();
    await sleep(50);
  }
  return process.memoryUsage().heapUsed;
}
function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
}

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

  const before = await settledHeap();
  const hour = 300 * 3600;
  let peak = before;
  for (let i = 0; i < hour; i++) {
    filter.classify(networkLine(i, i % 200 === 0));
    if (i % 100_000 === 0) peak = Math.max(peak, process.memoryUsage().heapUsed);
  }
  const after = await settledHeap();
  console.log(`  the filter, an hour at 300 events/s (${hour.toLocaleString('en-US')} events): heap ${mb(before)} before, ${mb(after)} after, ${mb(peak)} peak sampled${global.gc ? ' (settled with --expose-gc)' : ' (not settled: run with node --expose-gc --import tsx)'}`);
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

// 4. An hour of the network through the real source over a WebSocket, memory settled (--expose-gc) before and after.
// The events are made as they are sent and kept by no one (the fake Jetstream keeps its log for replays, which
// would be its memory, not the source's).
{
  const hour = 300 * 3600;
  const wss = new WebSocketServer({ port: 0, host: '127.0.0.1' });
  await new Promise<void>((r) => wss.once('listening', () => r()));
  wss.on('connection', (ws) => {
    let i = 0;
    const pump = () => {
      while (i < hour && ws.bufferedAmount < 4 * 1024 * 1024) ws.send(networkLine(i, i++ % 200 === 0));
      if (i < hour) setTimeout(pump, 1);
    };
    pump();
  });
  const apiFake = await new FakeJetstream().start();
  apiFake.addAccount({ did: BRAND_DID, handle: 'oranjeair.bsky.social' });
  const url = `ws://127.0.0.1:${(wss.address() as AddressInfo).port}/subscribe`;
  const config = env({ BLUESKY_MODE: 'jetstream', BLUESKY_HANDLE: 'oranjeair.bsky.social', BLUESKY_JETSTREAM_URL: url, BLUESKY_API_URL: apiFake.apiUrl });
  const store = openSqlite(':memory:');
  let kept = 0;
  const h = startBluesky({ config, store, log, emit: async () => void kept++, timing: { ...TIMING, cursorFlushMs: 1000 } });
  await until(() => (h.source?.counts.received ?? 0) >= 10_000, 30_000, 'the first events');
  const before = await settledHeap();
  const t0 = performance.now();
  let peak = before;
  while ((h.source?.counts.received ?? 0) < hour) {
    await sleep(500);
    peak = Math.max(peak, process.memoryUsage().heapUsed);
  }
  await h.source!.idle();
  const after = await settledHeap();
  const s = (performance.now() - t0) / 1000;
  console.log(
    `Jetstream, an hour of the network (${hour.toLocaleString('en-US')} events at 300/s, replayed in ${s.toFixed(0)} s) through the real source over a WebSocket: ` +
      `heap ${mb(before)} before, ${mb(after)} after${global.gc ? ' (settled with --expose-gc)' : ' (not settled: run with node --expose-gc --import tsx)'}, ${mb(peak)} peak sampled; ${kept} kept`,
  );
  await h.stop();
  await store.close();
  await apiFake.close();
  await new Promise<void>((r) => wss.close(() => r()));
}

// 5. Post on the stream → card at the fake Discord, per source: the real Kairos (triage, the offline analyst, SQLite)
// and discord.js's REST client, posts paced at 10 a second.
{
  const N = Number(process.env.BENCH_CARDS ?? 200);
  const fakeDiscord = await FakeDiscord.start();
  const jet = await new FakeJetstream().start();
  jet.addAccount({ did: BRAND_DID, handle: 'oranjeair.bsky.social' });
  const bfan = jet.addAccount({ did: 'did:plc:sannefan000000000000000', handle: 'sanne.bsky.social', followersCount: 1_200 });
  const masto = await new FakeMastodon().start();
  const mfan = masto.account('sanne', 'mastodon.nl', 1_200);
  const config = env({
    KAIROS_DB: ':memory:',
    LOG_LEVEL: 'silent',
    ...fakeDiscord.env(),
    BLUESKY_MODE: 'jetstream',
    BLUESKY_HANDLE: 'oranjeair.bsky.social',
    BLUESKY_JETSTREAM_URL: jet.url,
    BLUESKY_API_URL: jet.apiUrl,
    MASTODON_URL: masto.url,
    MASTODON_TOKEN: masto.token,
  });
  const k = await buildKairos(config, await openStore(config), { log, sinks: [], queueFor: ['discord'] });
  const runtime = await startDiscord({ config, store: k.store, analyst: k.analyst, catalogue: k.catalogue, log, commands });
  k.deliverVia(runtime.courier);
  const bsky = startBluesky({ config, store: k.store, log, emit: (post) => ingestCounted(k, 'bluesky', post), timing: TIMING });
  const mast = startMastodon({ config, store: k.store, log, emit: (post) => ingestCounted(k, 'mastodon', post), timing: TIMING });
  await until(() => jet.open === 1 && masto.open === 1, 10_000, 'both sources connected');

  // Texts triage makes a card of (moments and risks of the demo stream), each made unique.
  const texts = readFileSync(fileURLToPath(new URL('../src/sources/demo-stream.jsonl', import.meta.url)), 'utf8')
    .split('\n')
    .filter(Boolean)
    .map(parsePostLine)
    .flatMap((r) => (r.ok && ['opportunity', 'risk'].includes(k.triage(r.post).kind) ? [r.post.text] : []));
  const cardAt = new Map<number, number>();
  fakeDiscord.onRequest = (r) => {
    if (r.method !== 'POST' || r.path !== `/v10/channels/${fakeDiscord.channelId}/messages`) return;
    const id = Number(/^Kairos card #(\d+) /.exec(r.body?.embeds?.[0]?.footer?.text ?? '')?.[1]);
    if (id) cardAt.set(id, r.at);
  };
  const sentAt = new Map<string, number>();
  for (let i = 0; i < N; i++) {
    const text = `${texts[i % texts.length]} (${i})`;
    const due = performance.now() + 100;
    if (i % 2 === 0) {
      const uri = jet.post(bfan, { text: `@oranjeair.bsky.social ${text}`, mentions: [BRAND_DID] });
      sentAt.set(postKey({ platform: 'bluesky', id: uri }), performance.now());
    } else {
      const status = masto.mention(mfan, `<p>@oranjeair ${text}</p>`);
      sentAt.set(postKey({ platform: 'mastodon', id: String(status.id) }), performance.now());
    }
    await sleep(Math.max(0, due - performance.now()));
  }
  await bsky.source!.idle();
  const deadline = Date.now() + 60_000;
  while ((await k.store.pendingCount('discord')) > 0 && Date.now() < deadline) await sleep(100);
  const toCard: Record<string, number[]> = { bluesky: [], mastodon: [] };
  for (const [id, at] of cardAt) {
    const opp = await k.store.getOpportunity(id);
    const t0 = opp ? sentAt.get(opp.postId) : undefined;
    if (opp && t0 !== undefined) toCard[opp.post.platform]!.push(at - t0);
  }
  for (const [source, xs] of Object.entries(toCard)) {
    xs.sort((a, b) => a - b);
    const made = [...sentAt.keys()].filter((key) => key.startsWith(`${source}:`)).length;
    console.log(`${source}: post on the stream → card at the fake Discord (${xs.length} cards of ${made} posts): p50 ${percentile(xs, 50).toFixed(1)} ms, p99 ${percentile(xs, 99).toFixed(1)} ms`);
  }
  await bsky.stop();
  await mast.stop();
  await runtime.stop();
  await k.close();
  await jet.close();
  await masto.close();
  await fakeDiscord.close();
}
