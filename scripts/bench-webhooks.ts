/**
 * Meta's webhooks under load, on the real HTTP server: signed Page comment notifications sent by a load generator
 * on its own thread (so the server keeps its one core), each kept in the inbox before the answer and then processed
 * by the pipeline (offline analyst, SQLite in a temporary file), its card delivered by the real discord.js REST client to a fake Discord on 127.0.0.1.
 *   npx tsx scripts/bench-webhooks.ts [seconds=60]
 * 1. As fast as it takes them (32 senders): notifications accepted per second, p50/p99 POST → 200 (stored).
 * 2. A sustained 50 requests a second for `seconds`: p99 POST → stored and POST → card at the fake Discord, and the
 *    server's memory every tenth of the run (flat, or it leaks).
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { commands } from '../commands/index';
import { buildKairos } from '../src/app';
import { loadConfig } from '../src/config';
import { startDiscord } from '../src/discord/start';
import { parsePostLine } from '../src/domain/post';
import { Inbox } from '../src/ingress/inbox';
import { mountIngress } from '../src/ingress/mount';
import { createLogger } from '../src/log';
import { startHttp } from '../src/service/http';
import { openStore } from '../src/store/open';
import { postKey } from '../src/store/sql-store';
import { FakeDiscord } from '../test/fakes/discord';

const SECONDS = Math.max(10, Number(process.argv[2] ?? 60));
const APP_SECRET = 'bench-app-secret-0001';
const PAGE_ID = '1000001';
const log = createLogger('silent');

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
}

// The load generator: signs each body (HMAC-SHA256 with the app secret, as Meta does) and POSTs it over keep-alive
// connections; reports when each request left and when its 200 came back, on the process's shared clock.
const SENDER = `
const { parentPort, workerData } = require('node:worker_threads');
const { createHmac } = require('node:crypto');
const http = require('node:http');
const { url, secret, pageId, texts, count, concurrency, rate, offset } = workerData;
const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });
const now = () => performance.timeOrigin + performance.now();
function body(n) {
  const value = { from: { id: String(5000000 + n), name: 'Fan ' + n }, item: 'comment', verb: 'add', post_id: pageId + '_2000',
    comment_id: '2000_' + (offset + n), parent_id: pageId + '_2000', created_time: Math.floor(Date.now() / 1000), message: texts[n % texts.length] };
  return JSON.stringify({ object: 'page', entry: [{ id: pageId, time: Math.floor(Date.now() / 1000), changes: [{ field: 'feed', value }] }] });
}
function send(n) {
  return new Promise((resolve) => {
    const b = body(n);
    const t0 = now();
    const req = http.request(url, { method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(b),
      'x-hub-signature-256': 'sha256=' + createHmac('sha256', secret).update(b).digest('hex') } }, (res) => {
      res.resume();
      res.on('end', () => resolve({ id: '2000_' + (offset + n), t0, t1: now(), status: res.statusCode }));
    });
    req.on('error', () => resolve({ id: '2000_' + (offset + n), t0, t1: now(), status: 0 }));
    req.end(b);
  });
}
(async () => {
  const results = [];
  const start = now();
  if (rate) {
    const pending = [];
    for (let n = 0; n < count; n++) {
      const due = start + (n * 1000) / rate;
      const wait = due - now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      pending.push(send(n).then((r) => results.push(r)));
    }
    await Promise.all(pending);
  } else {
    let next = 0;
    await Promise.all(Array.from({ length: concurrency }, async () => { while (next < count) results.push(await send(next++)); }));
  }
  parentPort.postMessage({ results, seconds: (now() - start) / 1000 });
})();
`;

interface Sent {
  id: string;
  t0: number;
  t1: number;
  status: number;
}

function load(url: string, texts: string[], opts: { count: number; concurrency: number; rate?: number; offset: number }): Promise<{ results: Sent[]; seconds: number }> {
  return new Promise((resolve, reject) => {
    const w = new Worker(SENDER, { eval: true, workerData: { url, secret: APP_SECRET, pageId: PAGE_ID, texts, ...opts } });
    w.once('message', resolve);
    w.once('error', reject);
  });
}

const dir = mkdtempSync(join(tmpdir(), 'kairos-bench-webhooks-'));
const fake = await FakeDiscord.start();
const config = loadConfig({
  KAIROS_DB: join(dir, 'kairos.db'),
  LOG_LEVEL: 'silent',
  DISCORD_TOKEN: fake.token,
  DISCORD_APPLICATION_ID: fake.appId,
  DISCORD_GUILD_ID: fake.guildId,
  DISCORD_CHANNEL_ID: fake.channelId,
  DISCORD_API_URL: fake.apiUrl,
  KAIROS_HTTP_PORT: '0',
  META_APP_SECRET: APP_SECRET,
  META_VERIFY_TOKEN: 'bench-verify-token',
  META_PAGE_ID: PAGE_ID,
  META_PAGE_TOKEN: 'bench-page-token-0000000001',
  META_GRAPH_URL: 'http://127.0.0.1:9/v23.0',
});
const k = await buildKairos(config, await openStore(config), { log, sinks: [], queueFor: ['discord'] });
const runtime = await startDiscord({ config, store: k.store, analyst: k.analyst, catalogue: k.catalogue, log, commands });
k.deliverVia(runtime.courier);
const http = await startHttp({ host: '127.0.0.1', port: 0, log });
const inbox = new Inbox({ store: k.store, worker: k.worker, log, process: (post) => k.pipeline.ingest(post) });
mountIngress(http, { config, store: k.store, log, inbox });
const url = `${http.url}/webhooks/meta`;

// The demo stream's texts: the same mix of moments, risks, service and noise a brand's Page sees.
const texts = readFileSync(fileURLToPath(new URL('../src/sources/demo-stream.jsonl', import.meta.url)), 'utf8')
  .split('\n')
  .filter(Boolean)
  .map(parsePostLine)
  .flatMap((r) => (r.ok ? [r.post.text] : []));

// Card POSTs at the fake Discord, by card number, on the same clock as the sender's.
const cardAt = new Map<number, number>();
fake.onRequest = (r) => {
  if (r.method !== 'POST' || r.path !== `/v10/channels/${fake.channelId}/messages`) return;
  const id = Number(/^Kairos card #(\d+) /.exec(r.body?.embeds?.[0]?.footer?.text ?? '')?.[1]);
  if (id) cardAt.set(id, performance.timeOrigin + r.at);
};

console.log(`Meta webhooks: signed Page comments → stored → card at a fake Discord (offline analyst, SQLite file), Node ${process.version}`);
const fmt = (n: number) => n.toFixed(1).padStart(7);

{
  const { results, seconds } = await load(url, texts, { count: 3000, concurrency: 32, offset: 0 });
  const ok = results.filter((r) => r.status === 200);
  const stored = ok.map((r) => r.t1 - r.t0).sort((a, b) => a - b);
  console.log(
    `as fast as taken (32 senders)  ${ok.length}/${results.length} accepted  ${(ok.length / seconds).toFixed(0)} notifications/s  ` +
      `POST→stored p50 ${fmt(percentile(stored, 50))} ms  p99 ${fmt(percentile(stored, 99))} ms`,
  );
}
// Let the burst's posts be processed and their cards drain (Discord's 50 requests/s) before the steady run.
await inbox.idle();
while ((await k.store.pendingCount('discord')) > 0) await new Promise((r) => setTimeout(r, 200));

{
  const count = SECONDS * 50;
  const memory: string[] = [];
  const heap: number[] = [];
  const sample = setInterval(() => {
    const m = process.memoryUsage();
    heap.push(m.heapUsed);
    memory.push(`${(m.rss / 2 ** 20).toFixed(0)}/${(m.heapUsed / 2 ** 20).toFixed(0)}`);
  }, (SECONDS * 1000) / 10);
  const firstCard = cardAt.size;
  const { results } = await load(url, texts, { count, concurrency: 64, rate: 50, offset: 100_000 });
  clearInterval(sample);
  const deadline = Date.now() + 30_000;
  await inbox.idle();
  while ((await k.store.pendingCount('discord')) > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  const ok = results.filter((r) => r.status === 200);
  const stored = ok.map((r) => r.t1 - r.t0).sort((a, b) => a - b);
  // A card's postId is the store's key (platform and id), so the sent times are keyed the same way.
  const sentAt = new Map(results.map((r) => [postKey({ platform: 'facebook', id: r.id }), r.t0]));
  const toCard: number[] = [];
  for (const [id, at] of cardAt) {
    const opp = await k.store.getOpportunity(id);
    const t0 = opp ? sentAt.get(opp.postId) : undefined;
    if (t0 !== undefined) toCard.push(at - t0);
  }
  toCard.sort((a, b) => a - b);
  console.log(
    `steady 50 requests/s, ${SECONDS} s    ${ok.length}/${results.length} accepted  POST→stored p50 ${fmt(percentile(stored, 50))} ms  p99 ${fmt(percentile(stored, 99))} ms  ` +
      `POST→card (${toCard.length} cards, ${cardAt.size - firstCard} new) p50 ${fmt(percentile(toCard, 50))} ms  p99 ${fmt(percentile(toCard, 99))} ms`,
  );
  const half = Math.floor(heap.length / 2);
  const avg = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);
  console.log(`memory, rss/heap MB every ${SECONDS / 10} s: ${memory.join(' ')}  (heap, second half against first: ${((avg(heap.slice(half)) / avg(heap.slice(0, half)) - 1) * 100).toFixed(0)}%)`);
}

await http.close();
await inbox.stop();
await runtime.stop();
await k.close();
await fake.close();
rmSync(dir, { recursive: true, force: true });
