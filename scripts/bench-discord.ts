/**
 * From a post entering the pipeline (Pipeline.ingest) to its card's POST at a fake Discord on 127.0.0.1, with
 * offline analysis and the real discord.js REST client: p50 and p99 over >= 1,000 card posts.
 *   npx tsx scripts/bench-discord.ts [cards=1000]
 * Three runs: a steady stream of 40 card-worthy posts a second (far above a real brand's rate of cards), posts
 * back to back (each waits for its card: about 47 a second), and a burst (all at once). The last two go past
 * Discord's global limit of 50 requests a second, which discord.js keeps to by holding requests until the next
 * second: their tail is that wait, and the burst's is queueing (cards leave one at a time, in order).
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { buildKairos } from '../src/app';
import { loadConfig } from '../src/config';
import { startDiscord } from '../src/discord/start';
import { parsePostLine, type Post } from '../src/domain/post';
import { createLogger } from '../src/log';
import { openStore } from '../src/store/open';
import { commands } from '../commands/index';
import { FakeDiscord } from '../test/fakes/discord';

const CARDS = Math.max(1000, Number(process.argv[2] ?? 1000));
const log = createLogger('silent');

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
}

async function run(label: string, gapMs: number | null | 'wait'): Promise<void> {
  const fake = await FakeDiscord.start();
  const config = loadConfig({
    KAIROS_DB: ':memory:',
    LOG_LEVEL: 'silent',
    ...fake.env(),
  });
  const k = await buildKairos(config, await openStore(config), { log, sinks: [], queueFor: ['discord'] });
  const runtime = await startDiscord({ config, store: k.store, analyst: k.analyst, catalogue: k.catalogue, log, commands });
  k.deliverVia(runtime.courier);

  // Posts that triage makes cards of, from the demo stream, cloned with fresh ids until there are enough.
  const demo = readFileSync(fileURLToPath(new URL('../src/sources/demo-stream.jsonl', import.meta.url)), 'utf8')
    .split('\n')
    .filter(Boolean)
    .map(parsePostLine)
    .flatMap((r) => (r.ok ? [r.post] : []));
  const cardPosts = demo.filter((p) => {
    const kind = k.triage(p).kind;
    return kind === 'opportunity' || kind === 'risk';
  });
  if (cardPosts.length === 0) throw new Error('no demo post becomes a card');
  const posts: Post[] = Array.from({ length: CARDS }, (_, i) => {
    const base = cardPosts[i % cardPosts.length] as Post;
    return { ...base, id: `${base.id}${String(i).padStart(5, '0')}`.slice(-19), url: undefined };
  });

  const started = new Map<number, number>();
  const latencies: number[] = [];
  let done: () => void = () => {};
  const all = new Promise<void>((r) => (done = r));
  fake.onRequest = (r) => {
    if (r.method !== 'POST' || r.path !== `/v10/channels/${fake.channelId}/messages`) return;
    const id = Number(/^Kairos card #(\d+) /.exec(r.body?.embeds?.[0]?.footer?.text ?? '')?.[1]);
    const t0 = started.get(id);
    if (t0 !== undefined) latencies.push(r.at - t0);
    if (latencies.length === CARDS) done();
  };

  const t = performance.now();
  for (const post of posts) {
    const t0 = performance.now();
    const res = await k.pipeline.ingest(post);
    if (res.status === 'processed' && res.opportunityId !== null) started.set(res.opportunityId, t0);
    if (gapMs === 'wait') {
      const n = started.size;
      while (latencies.length < n) await new Promise((r) => setImmediate(r));
    } else if (gapMs !== null) await new Promise((r) => setTimeout(r, gapMs));
  }
  if (started.size < CARDS) throw new Error(`only ${started.size} of ${CARDS} posts became cards`);
  await all;
  const total = performance.now() - t;
  latencies.sort((a, b) => a - b);
  console.log(
    `${label.padEnd(28)} cards ${String(latencies.length).padStart(5)}  p50 ${percentile(latencies, 50).toFixed(2).padStart(7)} ms  ` +
      `p99 ${percentile(latencies, 99).toFixed(2).padStart(8)} ms  max ${latencies.at(-1)!.toFixed(1).padStart(7)} ms  ` +
      `(${((latencies.length / total) * 1000).toFixed(0)} cards/s)`,
  );
  await runtime.stop();
  await k.close();
  await fake.close();
}

console.log(`Post → card POST at a fake Discord (offline analyst, real discord.js REST), Node ${process.version}`);
await run('steady, 40 posts/s', 25);
await run('back to back', 'wait');
await run('burst (all at once)', null);
console.log('Target: p99 < 100 ms at a rate Discord accepts (steady). Back to back and burst hit the 50 requests/s limit.');
