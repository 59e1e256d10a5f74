import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_STREAM } from '../src/main';
import { FakeDiscord, type RecordedRequest } from './fakes/discord';
import { ROOT } from './support/cli';

/**
 * kill -9 at the worst moments: the bot is killed the instant its post reaches Discord (Discord makes the message,
 * the bot never hears back), then started again on the same database. Nothing is lost and nothing is doubled.
 */
let fake: FakeDiscord;
let dir: string;

beforeAll(async () => {
  fake = await FakeDiscord.start();
  dir = mkdtempSync(join(tmpdir(), 'kairos-crash-'));
});
afterAll(async () => {
  await fake?.close();
  rmSync(dir, { recursive: true, force: true });
});

function startBot(db: string): { child: ChildProcess; out: () => string; done: Promise<number | null> } {
  // One process (node with tsx's loader, not the tsx wrapper), so SIGKILL hits the bot itself.
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    cwd: ROOT,
    env: { PATH: process.env.PATH, HOME: process.env.HOME, LOG_LEVEL: process.env.CRASH_LOG ?? 'silent', KAIROS_DB: db, KAIROS_REPLAY_FILE: DEMO_STREAM, ...fake.env() },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  child.stdout!.setEncoding('utf8').on('data', (d: string) => (out += d));
  return { child, out: () => out, done: new Promise((r) => child.on('close', (code) => r(code))) };
}

async function until(what: string, done: () => boolean, timeoutMs = 30_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!done()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

const isMoment = (r: RecordedRequest) => r.method === 'POST' && String(r.body?.embeds?.[0]?.title ?? '').startsWith('Rising:');
const isCard = (r: RecordedRequest) => r.method === 'POST' && /Kairos card #\d+/.test(String(r.body?.embeds?.[0]?.footer?.text ?? ''));
const inChannel = (title: RegExp) => fake.channelMessages().filter((m) => title.test(String(m.embeds[0]?.title ?? m.embeds[0]?.footer?.text ?? '')));

function stored(db: string): { cards: number; pending: number } {
  const conn = new Database(db, { readonly: true });
  try {
    const n = (sql: string) => (conn.prepare(sql).get() as { n: number }).n;
    return {
      cards: n('SELECT COUNT(*) AS n FROM opportunities'),
      pending: n("SELECT COUNT(*) AS n FROM outbox WHERE status = 'pending'") + n("SELECT COUNT(*) AS n FROM messages WHERE status = 'pending'"),
    };
  } finally {
    conn.close();
  }
}

/** Runs the bot until `crashOn` matches a request, killing it (SIGKILL) the moment Discord receives that request. */
async function crashAt(db: string, crashOn: (r: RecordedRequest) => boolean): Promise<void> {
  const bot = startBot(db);
  let killed = false;
  fake.onRequest = (r) => {
    if (!killed && crashOn(r)) {
      killed = true;
      bot.child.kill('SIGKILL');
    }
  };
  await bot.done;
  fake.onRequest = undefined;
  expect(killed).toBe(true);
}

/** Starts the bot again and lets it finish the replay and drain its outbox, then stops it. */
async function recover(db: string): Promise<void> {
  const bot = startBot(db);
  await until('the replay and every delivery', () => /Cards: \d+ new|Already seen/.test(bot.out()) && stored(db).pending === 0);
  await new Promise((r) => setTimeout(r, 500));
  bot.child.kill('SIGTERM');
  expect(await bot.done).toBe(0);
}

describe('kill -9', { timeout: 90_000 }, () => {
  it('killed as the rising moment reaches Discord: after the restart it is in the channel once', async () => {
    const db = join(dir, 'moment.db');
    await crashAt(db, isMoment);
    await recover(db);
    expect(inChannel(/^Rising: elfstedentocht$/)).toHaveLength(1);
  });

  it('killed as a card reaches Discord: after the restart every card is in the channel once', async () => {
    const db = join(dir, 'card.db');
    const before = fake.channelMessages().length;
    let seen = 0;
    await crashAt(db, (r) => isCard(r) && ++seen === 3);
    await recover(db);
    const cards = fake.channelMessages().slice(before).filter((m) => /Kairos card #\d+/.test(String(m.embeds[0]?.footer?.text ?? '')));
    const { cards: made } = stored(db);
    expect(made).toBeGreaterThanOrEqual(8);
    expect(cards).toHaveLength(made);
    expect(new Set(cards.map((m) => /Kairos card #\d+ · ref \w+/.exec(m.embeds[0].footer.text)![0])).size).toBe(made);
  });
});
