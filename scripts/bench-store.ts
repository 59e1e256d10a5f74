/**
 * The store's figures: the whole pipeline's posts per second replaying real posts (../shared/corpora, else the
 * demo stream repeated with fresh ids) on a fresh SQLite file and on PostgreSQL, two workers on one PostgreSQL
 * replaying the same posts (each post processed once), and kill -9 of a worker holding outbox rows: how long until
 * the other delivers them, with what was lost or doubled over 20 kills.
 * PostgreSQL: DATABASE_URL or KAIROS_TEST_PG_URL, else one started by scripts/test-postgres.sh (Debian's package).
 * Run: npx tsx scripts/bench-store.ts [--posts 100000] [--kills 20] [--sqlite-only]
 * Each replay prints its wall time and its CPU time (user + system, the whole process start included).
 */
import { execFileSync, spawn } from 'node:child_process';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { buildKairos, emptySummary, runSource } from '../src/app';
import { loadConfig } from '../src/config';
import { parsePostLine, type Post } from '../src/domain/post';
import { Courier, type CardSink } from '../src/outbox/courier';
import { createLogger } from '../src/log';
import { JsonlSource } from '../src/sources/jsonl';
import { openPostgres } from '../src/store/postgres';
import { openSqlite } from '../src/store/sqlite';
import { airlineFiles } from './lib/real-airline';

const { values } = parseArgs({ options: { posts: { type: 'string', default: '100000' }, kills: { type: 'string', default: '20' }, 'sqlite-only': { type: 'boolean', default: false } } });
const N = Number(values.posts);
const KILLS = Number(values.kills);
const root = fileURLToPath(new URL('..', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'kairos-bench-store-'));

// ── the posts ───────────────────────────────────────────────────────────────────────────────────────────────
let base: Post[];
let source: string;
// The brand the posts were written to, so the stream makes cards as a real team's would: the airline with most posts.
let brandEnv: NodeJS.ProcessEnv = {};
try {
  const files = airlineFiles('all').filter((f) => f.key !== 'generic');
  const biggest = files.sort((a, b) => b.posts.length - a.posts.length)[0]!;
  base = biggest.posts;
  brandEnv = { BRAND_NAME: biggest.brand.name, BRAND_HANDLES: biggest.brand.handles.join(','), BRAND_TERMS: biggest.brand.terms.join(',') };
  source = `real posts to ${biggest.brand.name} (${base.length.toLocaleString('en-US')}, repeated with fresh ids), triaged as ${biggest.brand.name}`;
} catch {
  base = readFileSync(join(root, 'src/sources/demo-stream.jsonl'), 'utf8').split('\n').filter(Boolean).map(parsePostLine).flatMap((r) => (r.ok ? [r.post] : []));
  source = `the demo stream (${base.length} posts, repeated with fresh ids; ../shared/corpora not found)`;
}
const file = join(dir, 'posts.jsonl');
writeFileSync(file, Array.from({ length: N }, (_, i) => {
  const p = base[i % base.length]!;
  return JSON.stringify({ ...p, id: `${p.id}-${Math.floor(i / base.length)}`, url: undefined });
}).join('\n') + '\n');
console.log(`Posts: ${N.toLocaleString('en-US')} from ${source}; cards to the terminal (discarded)\n`);

function replay(env: NodeJS.ProcessEnv): Promise<{ ms: number; cpuMs: number; maxRssMb: number; code: number }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', join(root, 'scripts/lib/replay-run.ts')], {
      cwd: root,
      env: { ...process.env, ...brandEnv, KAIROS_REPLAY_FILE: file, ...env },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let err = '';
    child.stderr.on('data', (d) => (err += d));
    child.on('exit', () => {
      const line = err.trim().split('\n').reverse().find((l) => l.startsWith('{"code"'));
      if (!line) return reject(new Error(`replay failed: ${err.slice(-2000)}`));
      resolve(JSON.parse(line));
    });
  });
}
// Ids repeat within the corpus (a post quoted in two files): what is stored is what counts.
const rate = (ms: number, n = N) => `${Math.round(n / (ms / 1000)).toLocaleString('en-US')} posts/s`;

// ── 0. In process: the CPU time a post costs, triage alone beside the whole pipeline one at a time and in batches
{
  const n = Math.min(N, 20_000);
  const part = join(dir, 'part.jsonl');
  writeFileSync(part, readFileSync(file, 'utf8').split('\n').slice(0, n).join('\n') + '\n');
  const posts = readFileSync(part, 'utf8').split('\n').filter(Boolean).map(parsePostLine).flatMap((r) => (r.ok ? [r.post] : []));
  const cpuMs = () => {
    const u = process.cpuUsage();
    return (u.user + u.system) / 1000;
  };
  const per = (ms: number) => `${Math.round((ms * 1000) / n)} µs`;
  const config = loadConfig({ ...process.env, ...brandEnv, DATABASE_URL: '', KAIROS_REPLAY_FILE: '' });
  const quiet = createLogger('warn');
  const lines: string[] = [];
  for (const size of [0, 1, 256]) {
    const db = join(dir, `in-process-${size}.db`);
    const k = await buildKairos(config, openSqlite(size ? db : ':memory:'), { log: quiet, sinks: [] });
    const c = cpuMs();
    if (size === 0) {
      for (const p of posts) k.triage(p);
      lines.push(`triage alone ${per(cpuMs() - c)}`);
    } else {
      await runSource(k, new JsonlSource('replay', part), emptySummary(), { size, waitMs: 10 });
      await k.trends.settled();
      const ms = cpuMs() - c;
      lines.push(`${size === 1 ? 'the pipeline one post at a time' : `in batches of up to ${size}`} ${per(ms)} (${rate(ms, n)} of CPU time)`);
    }
    await k.close();
  }
  console.log(`0. in process, CPU time a post over ${n.toLocaleString('en-US')} posts (fresh SQLite files; cards stored, none delivered; no start-up): ${lines.join('; ')}`);
}

// ── 1. SQLite ─────────────────────────────────────────────────────────────────────────────────────────────
const sqlite = await replay({ KAIROS_DB: join(dir, 'kairos.db'), DATABASE_URL: '' });
console.log(`1. replay on a fresh SQLite file: ${rate(sqlite.ms)} (${(sqlite.ms / 1000).toFixed(1)} s; CPU ${(sqlite.cpuMs / 1000).toFixed(1)} s, ${rate(sqlite.cpuMs)} of CPU time), peak memory ${Math.round(sqlite.maxRssMb)} MB`);
if (N >= 100_000) {
  console.log(`   (issue 10 asks ≥ 10,000 posts/s and < 300 MB for 100,000 real posts: ${sqlite.ms / 1000 <= N / 10_000 ? 'met' : 'not met'} / ${sqlite.maxRssMb < 300 ? 'met' : 'not met'})`);
}

// ── PostgreSQL ──────────────────────────────────────────────────────────────────────────────────────────────
let pgUrl = values['sqlite-only'] ? undefined : process.env.DATABASE_URL || process.env.KAIROS_TEST_PG_URL;
let started: string | undefined;
if (!pgUrl && !values['sqlite-only']) {
  try {
    const out = execFileSync(join(root, 'scripts/test-postgres.sh'), ['start'], { encoding: 'utf8' });
    pgUrl = /KAIROS_TEST_PG_URL=(\S+)/.exec(out)?.[1];
    started = /KAIROS_TEST_PG_DIR=(\S+)/.exec(out)?.[1];
  } catch (err) {
    console.log(`\nPostgreSQL: none given and none could be started (${(err as Error).message.split('\n')[0]}); skipped`);
  }
}

/** A fresh schema on the server for one run: its URL sets the search path. */
async function freshSchema(name: string): Promise<string> {
  const c = new pg.Client({ connectionString: pgUrl });
  await c.connect();
  await c.query(`DROP SCHEMA IF EXISTS ${name} CASCADE; CREATE SCHEMA ${name}`);
  await c.end();
  const u = new URL(pgUrl!);
  u.searchParams.set('options', `-c search_path=${name}`);
  return u.toString();
}
async function count(url: string, sql: string): Promise<number> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  const r = await c.query(sql);
  await c.end();
  return Number(r.rows[0].n);
}

if (pgUrl) {
  const one = await freshSchema('bench_one');
  const pgRun = await replay({ DATABASE_URL: one });
  console.log(`2. replay on PostgreSQL: ${rate(pgRun.ms)} (${(pgRun.ms / 1000).toFixed(1)} s; CPU ${(pgRun.cpuMs / 1000).toFixed(1)} s), peak memory ${Math.round(pgRun.maxRssMb)} MB`);

  const two = await freshSchema('bench_two');
  const t0 = performance.now();
  const runs = await Promise.all([replay({ DATABASE_URL: two }), replay({ DATABASE_URL: two })]);
  const wall = performance.now() - t0;
  const posts = await count(two, 'SELECT COUNT(*) AS n FROM posts');
  const onePosts = await count(one, 'SELECT COUNT(*) AS n FROM posts');
  const oneCards = await count(one, 'SELECT COUNT(*) AS n FROM opportunities');
  const cards = await count(two, 'SELECT COUNT(*) AS n FROM opportunities');
  const sent = await count(two, "SELECT COUNT(*) AS n FROM outbox WHERE status = 'sent'");
  console.log(
    `3. two workers replaying the same ${N.toLocaleString('en-US')} posts on one PostgreSQL: ${rate(wall)} of distinct posts (${(wall / 1000).toFixed(1)} s; each worker ${runs.map((r) => (r.ms / 1000).toFixed(1)).join(' s and ')} s); ` +
      `${posts.toLocaleString('en-US')} posts stored, ${cards} cards, ${sent} delivered; one worker alone stored ${onePosts.toLocaleString('en-US')} and ${oneCards} (${posts === onePosts && cards === oneCards && sent === cards ? 'each once' : 'NOT each once'})`,
  );

  // ── kill -9 of a worker holding outbox rows ─────────────────────────────────────────────────────────────
  const kill = await freshSchema('bench_kill');
  const LEASE_MS = 2000;
  const acked = new Map<number, number>();
  let holdNext: ((held: number) => void) | null = null;
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const id = Number(/\/(\d+)/.exec(req.url ?? '')?.[1]);
    if (holdNext && req.url?.includes('worker=') && !req.url.includes('worker=takeover')) {
      // The doomed worker's post: held open until it is killed, never acknowledged.
      const h = holdNext;
      holdNext = null;
      return h(id);
    }
    acked.set(id, (acked.get(id) ?? 0) + 1);
    res.end('ok');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const sinkUrl = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  const store = await openPostgres(kill);
  const sink: CardSink = {
    name: 'bench',
    async deliver(o) {
      const res = await fetch(`${sinkUrl}/${o.id}?worker=takeover`, { method: 'POST' });
      if (!res.ok) throw new Error(`sink ${res.status}`);
      return { messageId: `m${o.id}` };
    },
  };
  const times: number[] = [];
  const ids: number[] = [];
  for (let k = 0; k < KILLS; k++) {
    // Cards queued while only the doomed worker runs; it claims the first and hangs in its post.
    for (let j = 0; j < 5; j++) {
      const p: Post = { id: `k${k}-${j}`, platform: 'x', author: { handle: 'fan', followers: 10 }, text: `card ${k}.${j}`, createdAt: new Date().toISOString() };
      const r = await store.recordPost(p, { kind: 'opportunity', score: 0.9, signals: ['dilemma'], lang: 'en' }, {
        analysis: { summary: 's', why: 'w', gesture: null, reply: 'r', publicPost: null, verifyFirst: [], risks: [], analyst: 'offline', notes: [] },
        sinks: ['bench'],
      });
      ids.push(r!.opportunityId!);
    }
    const held = new Promise<number>((r) => (holdNext = r));
    const child = spawn(process.execPath, ['--import', 'tsx', join(root, 'scripts/lib/store-worker.ts')], {
      cwd: root,
      env: { ...process.env, DATABASE_URL: kill, BENCH_SINK_URL: sinkUrl, BENCH_LEASE_MS: String(LEASE_MS) },
      stdio: 'ignore',
    });
    const heldId = await held;
    child.kill('SIGKILL');
    const killedAt = performance.now();
    await new Promise((r) => child.once('exit', r));
    // The other worker, polling from the moment of the kill (before it, it would have taken the cards itself).
    const takeover = new Courier(store, sink, createLogger('silent'), undefined, { worker: 'takeover', leaseMs: LEASE_MS, pollMs: 50 });
    void takeover.kick();
    while (!acked.has(heldId)) await new Promise((r) => setTimeout(r, 10));
    times.push(performance.now() - killedAt);
    await takeover.idle();
    await takeover.stop();
  }
  const lost = ids.filter((id) => !acked.has(id)).length;
  const doubled = [...acked.values()].filter((n) => n > 1).length;
  times.sort((a, b) => a - b);
  console.log(
    `4. kill -9 of a worker holding an outbox row (lease ${LEASE_MS / 1000} s), ${KILLS} kills, ${ids.length} cards: the other delivered it ` +
      `${(times[Math.floor(times.length / 2)]! / 1000).toFixed(2)} s after the kill (median; worst ${(times.at(-1)! / 1000).toFixed(2)} s); lost ${lost}, doubled ${doubled}`,
  );
  await store.close();
  server.close();
  if (started) execFileSync(join(root, 'scripts/test-postgres.sh'), ['stop', started]);
}
rmSync(dir, { recursive: true, force: true });
