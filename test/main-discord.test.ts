import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_STREAM, main } from '../src/main';
import { openSqlite } from '../src/store/sqlite';
import { FakeDiscord, type RecordedRequest } from './fakes/discord';

/**
 * The composition root with Discord configured, against the fake Discord: the replayed demo stream arrives as
 * cards in the channel, the Elfstedentocht surge as a moment card, and the missed digest of the day with its
 * chart; a restart repeats none of it.
 */
let fake: FakeDiscord;
let dir: string;

beforeAll(async () => {
  fake = await FakeDiscord.start();
  dir = mkdtempSync(join(tmpdir(), 'kairos-main-discord-'));
  // An install from last week that was down at today's digest time: the digest it missed is owed.
  const store = openSqlite(join(dir, 'kairos.db'));
  await store.db.updateTable('schema_migrations').set({ applied_at: new Date(Date.now() - 7 * 86_400_000).toISOString() }).execute();
  await store.close();
});
afterAll(async () => {
  await fake?.close();
  rmSync(dir, { recursive: true, force: true });
});

function env(): NodeJS.ProcessEnv {
  return {
    LOG_LEVEL: 'silent',
    KAIROS_DB: join(dir, 'kairos.db'),
    KAIROS_REPLAY_FILE: DEMO_STREAM,
    DISCORD_TOKEN: fake.token,
    DISCORD_APPLICATION_ID: fake.appId,
    DISCORD_GUILD_ID: fake.guildId,
    DISCORD_CHANNEL_ID: fake.channelId,
    DISCORD_API_URL: fake.apiUrl,
  };
}

async function until(what: string, done: () => boolean, timeoutMs = 20_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!done()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

const posts = () => fake.messagePosts();
/** Cards in the store (every one must reach the channel once). */
function stored(): number {
  const db = new Database(join(dir, 'kairos.db'), { readonly: true, fileMustExist: true });
  try {
    return (db.prepare('SELECT COUNT(*) AS n FROM opportunities').get() as { n: number }).n;
  } catch {
    return Infinity;
  } finally {
    db.close();
  }
}
const cards = () => posts().filter((r) => /Kairos card #\d+/.test(r.body?.embeds?.[0]?.footer?.text ?? ''));
const moments = () => posts().filter((r) => String(r.body?.embeds?.[0]?.title ?? '').startsWith('Rising:'));
const digests = () => posts().filter((r: RecordedRequest) => (r.files?.length ?? 0) > 0);

/** Starts main, waits for `ready`, then stops it the way an operator does (SIGTERM) and returns its exit code. */
async function runUntil(ready: (out: string) => boolean, what: string): Promise<number> {
  const out = new PassThrough();
  let text = '';
  out.setEncoding('utf8').on('data', (d: string) => (text += d));
  const running = main(env(), out);
  try {
    await until(what, () => ready(text));
  } finally {
    // main stays up with Discord configured; give it time to post anything more before it is told to stop.
    await new Promise((r) => setTimeout(r, 800));
    process.emit('SIGTERM');
  }
  return running;
}

describe('Kairos with Discord configured (main)', () => {
  it('posts a card per moment and risk, the rising moment, and the missed digest with its chart', async () => {
    const code = await runUntil((out) => /Cards: \d+ new/.test(out) && cards().length >= stored() && moments().length >= 1 && digests().length >= 1, 'cards, moment and digest');
    expect(code).toBe(0);
    // Ten moments and risks, two of which join the story of another (the columnist, the journalist's update).
    expect(stored()).toBeGreaterThanOrEqual(8);
    expect(cards()).toHaveLength(stored());
    for (const c of posts()) expect(c.body.allowed_mentions).toEqual({ parse: [] });

    const [moment] = moments();
    expect(moment!.body.embeds[0].title).toBe('Rising: elfstedentocht');

    const [digest] = digests();
    expect(digest!.body.embeds[0].title).toMatch(/^Oranje Air · Daily digest · \d{4}-\d{2}-\d{2}/);
    expect(digest!.files![0]!.data.subarray(1, 4).toString()).toBe('PNG');
  });

  it('a restart on the same database posts no card, moment or digest again', async () => {
    const before = posts().length;
    // Ready once the whole replay was read again (its summary is printed), then given time to post anything.
    const code = await runUntil((out) => /Already seen, skipped: \d+/.test(out), 'the replay to be read again');
    expect(code).toBe(0);
    expect(posts().length).toBe(before);
  });

  it('a moment stored while Discord was not yet connected is posted once it is', async () => {
    // As if X had brought a surge in before the bot logged in: stored, never posted.
    const store = openSqlite(join(dir, 'kairos.db'));
    try {
      await store.recordMoment({
        term: 'storm',
        source: 'surge',
        at: new Date().toISOString(),
        nowPerHour: 40,
        baselinePerHour: 2,
        ratio: 20,
        authors: 12,
        windowMinutes: 10,
        samples: [{ text: 'Storm over Schiphol, everything delayed', createdAt: new Date().toISOString() }],
      });
    } finally {
      await store.close();
    }
    const storms = () => moments().filter((r) => r.body.embeds[0].title === 'Rising: storm');
    const code = await runUntil(() => storms().length >= 1, 'the stored moment to be posted');
    expect(code).toBe(0);
    expect(storms()).toHaveLength(1);
    expect(moments().filter((r) => r.body.embeds[0].title === 'Rising: elfstedentocht')).toHaveLength(1);
  });
});
