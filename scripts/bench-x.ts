/**
 * Figures for the X source (printed; run with `npx tsx scripts/bench-x.ts`), all on loopback with the real
 * twitter-api-v2 and discord.js REST clients against the fakes in test/fakes:
 *  1. latency from a post written to the fake X stream to its card arriving at the fake Discord (p50/p95/p99), at a
 *     steady 20 posts/s and a 100 posts/s burst (a brand's real rate is far below both);
 *  2. 1,000 posts streamed through two dropped connections and a restart of the source: missed and duplicated.
 */
import { readFileSync } from 'node:fs';
import pino from 'pino';
import { buildKairos } from '../src/app';
import { loadConfig } from '../src/config';
import { parsePostLine, type Post } from '../src/domain/post';
import { DiscordSink } from '../src/discord/sink';
import { startX, type XHandle } from '../src/sources/x/start';
import { openStore } from '../src/store/open';
import { FakeDiscord } from '../test/fakes/discord';
import { FakeX, type FakeUser } from '../test/fakes/x';
import { sleep, until } from './lib/wait';

const LATENCY_POSTS = Number(process.env.BENCH_X_POSTS ?? 300);
const GAP_POSTS = 1000;
const TIMING = { backoff: { baseMs: 50, maxMs: 1000, resetMarginMs: 100 }, keepAliveTimeoutMs: 10_000 };

/** The p-th percentile of sorted latencies in ms, to a tenth. */
function pct(sorted: number[], p: number): number {
  return Math.round(sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]! * 10) / 10;
}

const log = pino({ level: process.env.LOG_LEVEL ?? 'silent' });
const fakeX = await new FakeX().start();
const discord = await FakeDiscord.start();
fakeX.keepAliveMs = 1000;

const config = loadConfig({
  X_MODE: 'stream',
  X_BEARER_TOKEN: 'test-bearer-token-0001',
  X_API_URL: fakeX.url,
  KAIROS_DB: ':memory:',
  BRAND_HANDLES: 'OranjeAir',
  BRAND_TERMS: 'Oranje Air,OranjeAir',
});
const sink = new DiscordSink({ token: discord.token, channelId: discord.channelId, apiUrl: discord.apiUrl, botUserId: discord.botUserId, log });
const k = await buildKairos(config, await openStore(config), { sinks: [sink], log });

// Per post id: how often it reached the pipeline, and when it was written to the stream.
const emitted = new Map<string, number>();
let cards = 0;
const emit = async (post: Post) => {
  emitted.set(post.id, (emitted.get(post.id) ?? 0) + 1);
  const r = await k.pipeline.ingest(post);
  if (r.status === 'processed' && r.opportunityId !== null) cards++;
};
let x: XHandle = startX({ config, store: k.store, log, emit, timing: TIMING });
await until(() => fakeX.openStreams === 1, 5000, 'stream connected');

// ── 1. latency to the card ──────────────────────────────────────────────────────────────────────────────────────
const demo = readFileSync(new URL('../src/sources/demo-stream.jsonl', import.meta.url), 'utf8')
  .split('\n')
  .map((l) => (l.trim() ? parsePostLine(l) : null))
  .filter((r): r is { ok: true; post: Post } => r?.ok === true)
  .map((r) => r.post);
const fan: FakeUser = fakeX.addUser({ username: 'fan_of_flying', name: 'A Fan', followers: 4_200 });
// The demo posts triage turns into cards, as this fan would post them.
const cardTexts = demo
  .filter((p) => ['opportunity', 'risk'].includes(k.triage({ ...p, author: { handle: fan.username, followers: 4_200 } }).kind))
  .map((p) => p.text);
if (!cardTexts.length) throw new Error('no demo post becomes a card');

async function latencyRun(posts: number, perSecond: number, label: string): Promise<boolean> {
  const writtenAt = new Map<string, number>();
  const cardsBefore = cards;
  const postsBefore = discord.messagePosts().length;
  for (let i = 0; i < posts; i++) {
    const text = `${cardTexts[i % cardTexts.length]} (${label} ${i})`.slice(0, 4000);
    const t = fakeX.publish(fan, text, { lang: 'en' });
    // The fake Discord stamps each request with performance.now(): the same clock on both ends.
    writtenAt.set(t.id, performance.now());
    await sleep(1000 / perSecond);
  }
  await until(() => [...writtenAt.keys()].every((id) => emitted.has(id)), 30_000, 'every post processed');
  const made = cards - cardsBefore;
  await until(() => discord.messagePosts().length - postsBefore >= made, 30_000, 'every card at the fake Discord');
  const latencies: number[] = [];
  for (const req of discord.messagePosts().slice(postsBefore)) {
    const body = JSON.stringify(req.body);
    for (const [id, at] of writtenAt) {
      if (body.includes(id)) {
        latencies.push(req.at - at);
        writtenAt.delete(id);
        break;
      }
    }
  }
  latencies.sort((a, b) => a - b);
  console.log(`   ${perSecond} posts/s (${posts} posts, ${made} cards): p50 ${pct(latencies, 50)} ms · p95 ${pct(latencies, 95)} ms · p99 ${pct(latencies, 99)} ms · max ${pct(latencies, 100)} ms`);
  return pct(latencies, 99) < 500;
}

console.log('1. Post written to the fake X stream → card posted to the fake Discord');
const okSteady = await latencyRun(Math.round(LATENCY_POSTS / 2), 20, 'steady');
const okBurst = await latencyRun(LATENCY_POSTS, 100, 'burst');

// ── 2. 1,000 posts through drops and a restart ─────────────────────────────────────────────────────────────────
const published: string[] = [];
const noise = fakeX.addUser({ username: 'someone_else', followers: 12 });
const before = emitted.size;
const searchesBefore = fakeX.calls('search').length;
const streamsBefore = fakeX.calls('stream').length;
const carriedBefore = fakeX.streamed;
for (let i = 0; i < GAP_POSTS; i++) {
  if (i === 250 || i === 600) fakeX.dropStreamAfter(1);
  if (i === 800) {
    await x.stop(); // a restart of Kairos's X source, mid-stream
    x = startX({ config, store: k.store, log, emit, timing: TIMING });
  }
  published.push(fakeX.publish(noise, `ordinary post ${i} about @OranjeAir`, { lang: 'en' }).id);
  if (i % 10 === 9) await sleep(2);
}
await until(() => published.every((id) => emitted.has(id)), 30_000, 'every post processed').catch((e: Error) => console.log(`   ${e.message}`));
await sleep(300);
const hasPost = new Set<string>();
for (const id of published) if (await k.store.hasPost({ platform: 'x', id })) hasPost.add(id);
const missed = published.filter((id) => !emitted.has(id) || !hasPost.has(id)).length;
const duplicated = [...emitted.values()].filter((n) => n > 1).length;
console.log(`2. ${GAP_POSTS} posts streamed with 2 dropped connections and 1 restart of the source`);
console.log(`   processed ${emitted.size - before} · missed ${missed} · duplicated ${duplicated}`);
console.log(
  `   stream connections ${fakeX.calls('stream').length - streamsBefore} · gap searches ${fakeX.calls('search').length - searchesBefore} · posts carried by the stream ${fakeX.streamed - carriedBefore} (the rest came from the gap searches)`,
);

await x.stop();
await k.close();
await fakeX.close();
await discord.close();
process.exit(missed === 0 && duplicated === 0 && okSteady && okBurst ? 0 : 1);
