/**
 * A soak of Kairos as a service: a day of fan posts (real airline posts from ../shared/corpora, repeated with new
 * ids, spread evenly over 24 hours of post time) fed on stdin to the compiled bot (`npm run build`, production's
 * heap flags) against a fake Discord on 127.0.0.1, with three `kill -9` (one the instant a card reaches Discord,
 * one at a random moment, one while Discord's answer to a post is lost), a SIGTERM, a malformed gateway event and
 * a run of 429 and 503 answers on the way. Discord is made to forget message nonces at each restart (it keeps them
 * minutes only), so only the bot's own recovery keeps a card once. At the end it prints cards and rising moments
 * expected (a clean run of the same posts, to the terminal) against delivered, lost, doubled, whether the bot is
 * still up (/healthz), and the peak memory of any of its lives.
 *   npm run build && npx tsx scripts/soak.ts [--posts 20000] [--hours 24] [--speed 96 | --wall]
 * The posts are fed at the pace of their post times, `--speed` times faster than the clock (96: the day in 15
 * minutes); --wall is --speed 1, so --hours 2 --wall takes two hours on the clock. After a restart the posts
 * already due are fed again at once (those stored are skipped), as a source catching up would.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import Database from 'better-sqlite3';
import type { Post } from '../src/domain/post';
import { FakeDiscord, type RecordedRequest } from '../test/fakes/discord';
import { airlineFiles } from './lib/real-airline';

const { values } = parseArgs({
  options: { posts: { type: 'string', default: '20000' }, hours: { type: 'string', default: '24' }, speed: { type: 'string', default: '96' }, wall: { type: 'boolean' } },
});
const COUNT = Number(values.posts);
const HOURS = Number(values.hours);
if (!Number.isInteger(COUNT) || COUNT < 1000) throw new Error(`--posts expects a whole number of at least 1000 (got ${values.posts})`);
if (!(HOURS > 0)) throw new Error(`--hours expects a number of hours above 0 (got ${values.hours})`);
const SPEED = values.wall ? 1 : Number(values.speed);
if (!(SPEED >= 1)) throw new Error(`--speed expects a number of at least 1 (got ${values.speed})`);
const ROOT = new URL('..', import.meta.url).pathname;
const t0 = performance.now();
const clock = () => `${((performance.now() - t0) / 1000).toFixed(0)} s`;
const say = (line: string) => process.stdout.write(`[${clock()}] ${line}\n`);

const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
const heapFlags = pkg.scripts['start:prod']!.match(/--max-[\w-]+=\d+/g) ?? [];

// ── the posts: a day of them ──────────────────────────────────────────────────────────────────────────────────
const files = airlineFiles('all');
const base: Post[] = files.flatMap((f) => f.posts).sort((a, b) => a.createdAt.localeCompare(b.createdAt));
const brandEnv = {
  BRAND_NAME: 'Airlines',
  BRAND_HANDLES: [...new Set(files.flatMap((f) => f.brand.handles))].join(','),
  BRAND_TERMS: [...new Set(files.flatMap((f) => f.brand.terms))].join(','),
};
const spanMs = HOURS * 3_600_000;
const startMs = Date.parse('2026-01-01T00:00:00Z');
const dueAt = (n: number) => startMs + Math.floor((n * spanMs) / COUNT);
/** When the n-th post is fed, on the wall clock (set once the clean run is done). */
let feedStart = 0;
const feedAt = (n: number) => feedStart + (dueAt(n) - startMs) / SPEED;
const pace = SPEED === 1 ? 'on the wall clock' : `${SPEED}× faster than the clock`;
const lines = Array.from({ length: COUNT }, (_, n) => {
  const p = base[n % base.length]!;
  return JSON.stringify({ ...p, id: String(1_950_000_000_000_000_000n + BigInt(n)), url: undefined, createdAt: new Date(dueAt(n)).toISOString() });
});
const dir = mkdtempSync(join(tmpdir(), 'kairos-soak-'));
const file = join(dir, 'posts.jsonl');
writeFileSync(file, `${lines.join('\n')}\n`);
say(`${COUNT.toLocaleString('en-US')} posts over ${HOURS} hours of post time, fed ${pace} (${((spanMs / SPEED) / 60_000).toFixed(0)} min); the bot: node ${heapFlags.join(' ')} dist/src/cli.js replay --input -`);

const env = (db: string, extra: Record<string, string> = {}) => ({
  PATH: process.env.PATH,
  HOME: process.env.HOME,
  LOG_LEVEL: 'warn',
  LOG_FORMAT: 'json',
  KAIROS_DB: db,
  ...brandEnv,
  ...extra,
});

// ── expected: the same posts, one clean run, to the terminal ────────────────────────────────────────────────
async function expected(): Promise<{ cards: number; moments: number }> {
  const child = spawn(process.execPath, [...heapFlags, 'dist/src/cli.js', 'replay', '--input', file], { cwd: ROOT, env: env(join(dir, 'clean.db')), stdio: ['ignore', 'pipe', 'ignore'] });
  let out = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (out = (out + d).slice(-20_000)));
  const code = await new Promise<number | null>((r) => child.on('close', r));
  const cards = /Cards: (\d+) new/.exec(out);
  if (code !== 0 || !cards) throw new Error(`the clean run failed (${code}): ${out.slice(-800)}`);
  const line = /Rising moments: (.*)/.exec(out)?.[1] ?? '';
  const more = /, and (\d+) more/.exec(line);
  const named = line ? line.replace(/, and \d+ more.*$/, '').split(/\), /).length : 0;
  return { cards: Number(cards[1]), moments: named + (more ? Number(more[1]) : 0) };
}
say('the clean run (expected cards and moments)…');
const want = await expected();
say(`expected: ${want.cards} cards, ${want.moments} rising moments`);

// ── the soaked bot ──────────────────────────────────────────────────────────────────────────────────────────
const fake = await FakeDiscord.start();
const db = join(dir, 'soak.db');
const port = await freePort();
let peakKb = 0;
/** The bot's error lines (level error or fatal), by message. */
const errors = new Map<string, number>();

interface Bot {
  child: ChildProcess;
  exited: Promise<number | null>;
  signal: () => NodeJS.Signals | null;
}

function startBot(): Bot {
  const child = spawn(process.execPath, [...heapFlags, 'dist/src/cli.js', 'replay', '--input', '-'], {
    cwd: ROOT,
    env: env(db, { ...fake.env(), KAIROS_HTTP_PORT: String(port) }),
    stdio: ['pipe', 'ignore', 'pipe'],
  });
  child.stderr!.setEncoding('utf8').on('data', (d: string) => {
    for (const l of d.split('\n')) {
      if (!/"level":(50|60)/.test(l)) continue;
      const msg = /"msg":"([^"]*)"/.exec(l)?.[1] ?? l.slice(0, 120);
      errors.set(msg, (errors.get(msg) ?? 0) + 1);
    }
  });
  const closed = new Promise<void>((r) => child.once('close', () => r()));
  // Fed from the first post again: the ones stored before a restart are skipped; each waits for its time.
  void (async () => {
    for (let n = 0; n < COUNT; n++) {
      if (child.exitCode !== null || child.signalCode !== null || !child.stdin!.writable) return;
      const wait = feedAt(n) - Date.now();
      if (wait > 0) await sleep(wait);
      fed = Math.max(fed, n + 1);
      if (!child.stdin!.write(`${lines[n]}\n`)) await Promise.race([new Promise((r) => child.stdin!.once('drain', r)), closed]);
    }
    child.stdin!.end();
  })().catch(() => undefined);
  child.stdin!.on('error', () => undefined);
  const poll = setInterval(() => {
    try {
      peakKb = Math.max(peakKb, Number(/VmHWM:\s+(\d+)/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'))?.[1] ?? 0));
    } catch {
      // gone
    }
  }, 250);
  const exited = new Promise<number | null>((r) => child.on('close', (code) => (clearInterval(poll), r(code))));
  return { child, exited, signal: () => child.signalCode };
}

const isCardPost = (r: RecordedRequest) => r.method === 'POST' && /Kairos card #\d+/.test(String(r.body?.embeds?.[0]?.footer?.text ?? ''));
function delivered(): { cards: Map<string, number>; moments: Map<string, number> } {
  const cards = new Map<string, number>();
  const moments = new Map<string, number>();
  for (const m of fake.channelMessages()) {
    const ref = /Kairos card #\d+ · ref \w+/.exec(String(m.embeds[0]?.footer?.text ?? ''))?.[0];
    if (ref) cards.set(ref, (cards.get(ref) ?? 0) + 1);
    const title = String(m.embeds[0]?.title ?? '');
    if (title.startsWith('Rising:')) moments.set(title, (moments.get(title) ?? 0) + 1);
  }
  return { cards, moments };
}
function stored(): { posts: number; cards: number; pending: number } {
  try {
    const conn = new Database(db, { readonly: true, fileMustExist: true });
    try {
      const n = (sql: string) => (conn.prepare(sql).get() as { n: number }).n;
      return {
        posts: n('SELECT COUNT(*) AS n FROM posts'),
        cards: n('SELECT COUNT(*) AS n FROM opportunities'),
        pending: n("SELECT COUNT(*) AS n FROM outbox WHERE status = 'pending'") + n("SELECT COUNT(*) AS n FROM messages WHERE status = 'pending'"),
      };
    } finally {
      conn.close();
    }
  } catch {
    return { posts: 0, cards: 0, pending: 0 };
  }
}
async function until(what: string, done: () => boolean | Promise<boolean>, timeoutMs = spanMs / SPEED + 30 * 60_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await done())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(200);
  }
}
const cardsIn = () => delivered().cards.size;
/** Starts the bot again after a restart; Discord has forgotten the nonces of the posts made before. */
function restart(why: string): Bot {
  fake.forgetNonces();
  say(`restart after ${why} (${cardsIn()} cards in the channel, ${stored().posts.toLocaleString('en-US')} posts stored)`);
  return startBot();
}

const events: string[] = [];
let fed = 0;
feedStart = Date.now();
let bot = startBot();
say('the bot is up; feeding it the day');
const progress = setInterval(() => {
  const s = stored();
  say(`fed ${fed.toLocaleString('en-US')}, stored ${s.posts.toLocaleString('en-US')}, ${cardsIn()} cards in the channel, ${s.pending} waiting; peak ${Math.round(peakKb / 1024)} MB`);
}, 30_000);
/** Waits until the feed has reached that fraction of the day. */
const dayAt = (fraction: number) => until(`${fraction * 100}% of the day`, () => fed >= COUNT * fraction);

// 1. kill -9 the instant a card reaches Discord (Discord makes it, the bot never hears back).
await dayAt(0.1);
const onCard = await Promise.race([
  new Promise<boolean>((resolve) => {
    fake.onRequest = (r) => {
      if (!isCardPost(r)) return;
      bot.child.kill('SIGKILL');
      resolve(true);
    };
  }),
  sleep(120_000).then(() => false),
]);
fake.onRequest = undefined;
if (!onCard) bot.child.kill('SIGKILL');
await bot.exited;
events.push(onCard ? 'kill -9 as a card reached Discord' : 'kill -9 (no card was on its way within 2 minutes)');
bot = restart(events.at(-1)!);

// 2. A run of 429 (with retry_after) and 503 answers.
await dayAt(0.25);
fake.failures.push({ status: 429, retryAfter: 1500 }, { status: 503 }, { status: 429, retryAfter: 800 }, { status: 503 }, { status: 503 }, { status: 429, retryAfter: 2000 });
await until('the 429s and 503s answered', () => fake.failures.length === 0 || fed >= COUNT);
events.push(`${6 - fake.failures.length} answers of 429 and 503`);
say(`${6 - fake.failures.length} of 3 × 429 and 3 × 503 answered to posts`);

// 3. A malformed gateway event: a button click without its message. The bot logs it and goes on.
await dayAt(0.4);
const before = cardsIn();
fake.clickWithoutMessage(fake.users.member, 'card:approve:1');
await sleep(2000);
const survived = bot.child.exitCode === null && bot.child.signalCode === null;
events.push(`malformed INTERACTION_CREATE: bot ${survived ? 'still running' : 'DIED'}`);
say(`malformed gateway event sent: the bot is ${survived ? 'still running' : 'NOT running'} (${before} → ${cardsIn()} cards)`);

// 4. SIGTERM: a clean stop, then started again.
await dayAt(0.55);
bot.child.kill('SIGTERM');
const termCode = await bot.exited;
events.push(`SIGTERM: exit ${termCode}`);
bot = restart(`SIGTERM (exit ${termCode})`);

// 5. kill -9 at a random moment.
await dayAt(0.7);
await sleep(Math.random() * 1500);
bot.child.kill('SIGKILL');
await bot.exited;
events.push('kill -9 at a random moment');
bot = restart('kill -9 at a random moment');

// 6. Discord makes a card but its answer is lost (the socket dropped), and the bot is killed while it waits.
await dayAt(0.85);
fake.dropNextPostAnswer = true;
await until('the lost answer', () => !fake.dropNextPostAnswer, 120_000).catch(() => undefined);
const lost = !fake.dropNextPostAnswer;
fake.dropNextPostAnswer = false;
await sleep(300);
bot.child.kill('SIGKILL');
await bot.exited;
events.push(lost ? 'kill -9 after Discord made a message whose answer was lost' : 'kill -9 (no message was posted within 2 minutes)');
bot = restart('kill -9 while an answer was lost');

// The end: every post stored, the outbox empty, for a few seconds.
await until('every post stored and every card and message delivered', async () => {
  const s = stored();
  if (s.posts < COUNT || s.pending > 0) return false;
  await sleep(3000);
  return stored().pending === 0;
});
const health = await fetch(`http://127.0.0.1:${port}/healthz`).then(
  async (r) => `${r.status} ${(await r.text()).trim().slice(0, 200)}`,
  (err: unknown) => `unreachable: ${(err as Error).message}`,
);
const up = bot.child.exitCode === null && bot.child.signalCode === null;
clearInterval(progress);
const got = delivered();
const s = stored();
const doubledCards = [...got.cards.values()].reduce((sum, n) => sum + n - 1, 0);
const doubledMoments = [...got.moments.values()].reduce((sum, n) => sum + n - 1, 0);
bot.child.kill('SIGTERM');
const finalCode = await bot.exited;
await fake.close();

const mb = (kb: number) => `${Math.round(kb / 1024)} MB`;
console.log(`
Soak: ${COUNT.toLocaleString('en-US')} posts over ${HOURS} hours of post time, fed ${pace}; ${clock()} on the wall clock (with the clean run)
Disruptions: ${events.join('; ')}
Cards: expected ${want.cards} (clean run), made ${s.cards}, delivered ${got.cards.size}; lost ${Math.max(0, want.cards - got.cards.size)}, doubled ${doubledCards}
Rising moments: expected ${want.moments}, delivered ${got.moments.size}; doubled ${doubledMoments}
Bot up at the end: ${up ? 'yes' : 'NO'}, /healthz ${health}; final SIGTERM exit ${finalCode}
Errors logged: ${[...errors].map(([m, n]) => `${n} × ${m}`).join('; ') || 'none'}; posts stored ${s.posts.toLocaleString('en-US')} of ${COUNT.toLocaleString('en-US')}
Peak memory (RSS, any life of the bot): ${mb(peakKb)}`);
rmSync(dir, { recursive: true, force: true });
const ok = up && want.cards === got.cards.size && s.cards === want.cards && doubledCards === 0 && doubledMoments === 0 && got.moments.size === want.moments;
process.exit(ok ? 0 : 1);

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port: p } = srv.address() as { port: number };
      srv.close(() => resolve(p));
    });
  });
}
