import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadCatalogue } from '../src/analyse/catalogue';
import { loadConfig } from '../src/config';
import { startDiscord, type DiscordRuntime } from '../src/discord/start';
import { createLogger } from '../src/log';
import { openSqlite } from '../src/store/sqlite';
import type { SqlStore as Store } from '../src/store/sql-store';
import { commands } from '../commands/index';
import { FakeDiscord } from './fakes/discord';
import { runTsx } from './support/cli';
import { analystDouble, seedCard } from './support/discord';

/** One error in one event never ends the bot: the gateway's boundary and the process's. */

const lines: Record<string, unknown>[] = [];
const sink = new Writable({
  write(chunk, _enc, done) {
    for (const l of String(chunk).split('\n')) if (l.trim()) lines.push(JSON.parse(l));
    done();
  },
});

let fake: FakeDiscord;
let store: Store;
let runtime: DiscordRuntime;

beforeAll(async () => {
  fake = await FakeDiscord.start();
  store = openSqlite(':memory:');
  const config = loadConfig(fake.env());
  runtime = await startDiscord({ commands, config, store, analyst: analystDouble(), catalogue: loadCatalogue(), log: createLogger('info', sink, 'json', []) });
});
afterAll(async () => {
  await runtime?.stop();
  await fake?.close();
  await store?.close();
});

describe('the gateway boundary', () => {
  it('a button interaction without its message is logged and dropped; the next card and click are handled', async () => {
    const first = await seedCard(store);
    runtime.kick();
    await fake.waitFor(async () => (await store.outboxFor(first, 'discord'))?.status === 'sent');

    const bad = fake.clickWithoutMessage(fake.users.member, `card:approve:${first}`);
    await fake.waitFor(() => lines.some((l) => l.msg === 'a gateway event could not be handled; dropped it'));
    const logged = lines.find((l) => l.msg === 'a gateway event could not be handled; dropped it')!;
    expect(logged).toMatchObject({ event: 'INTERACTION_CREATE', id: bad.id, customId: `card:approve:${first}`, level: 50 });
    expect(fake.callbacks(bad.id)).toHaveLength(0);

    // Still up: the next card goes out, and a well-formed click on it is answered.
    const next = await seedCard(store);
    runtime.kick();
    await fake.waitFor(async () => (await store.outboxFor(next, 'discord'))?.status === 'sent');
    const nextId = (await store.outboxFor(next, 'discord'))!.messageId;
    const message = fake.channelMessages().find((m) => m.id === nextId)!;
    const click = fake.click(fake.users.member, message, `card:claim:${next}`);
    await fake.waitForRequest((r) => r.path.startsWith(`/v10/interactions/${click.id}/`));
    expect((await store.getOpportunity(next))!.status).toBe('claimed');
  });
});

/** Runs a small program under the process boundary (test/support/boundary-child.ts) and returns what it did. */
const child = (mode: string) => runTsx(['test/support/boundary-child.ts', mode], '', { LOG_LEVEL: 'info' });

describe('the process boundary', () => {
  it('an exception thrown in a timer and a rejection nobody handled are logged with their origin; the process goes on', async () => {
    const r = await child('escapes');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('still up');
    const logged = r.stderr.trim().split('\n').map((l) => JSON.parse(l));
    expect(logged.map((l) => [l.origin, l.err.message])).toEqual([
      ['uncaughtException', 'thrown in a timer'],
      ['unhandledRejection', 'rejected, never handled'],
    ]);
  });

  it('a lost database stops the process with a clear line and a non-zero exit', async () => {
    const r = await child('database-lost');
    expect(r.code).toBe(1);
    expect(r.stdout).not.toContain('still up');
    expect(r.stderr).toContain('the database was lost');
  });
});
