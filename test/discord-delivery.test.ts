import { commands } from '../commands/index';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { loadCatalogue } from '../src/analyse/catalogue';
import { loadConfig } from '../src/config';
import { buildCard, cardMarker } from '../src/discord/card';
import { cardNonce, DiscordSink } from '../src/discord/sink';
import { startDiscord, type DiscordRuntime } from '../src/discord/start';
import { createLogger } from '../src/log';
import { Courier } from '../src/outbox/courier';
import { openSqlite } from '../src/store/sqlite';
import type { SqlStore as Store } from '../src/store/sql-store';
import { FakeDiscord } from './fakes/discord';
import { analystDouble, seedCard } from './support/discord';

const log = createLogger('silent');
let fake: FakeDiscord;
let store: Store;
let courier: Courier | undefined;
let runtime: DiscordRuntime | undefined;

beforeAll(async () => {
  fake = await FakeDiscord.start();
});
afterAll(async () => {
  await fake.close();
});
afterEach(async () => {
  courier?.stop();
  courier = undefined;
  await runtime?.stop();
  runtime = undefined;
  store?.close();
});

function sinkCourier(): Courier {
  store = openSqlite(':memory:');
  const sink = new DiscordSink({ token: fake.token, channelId: fake.channelId, apiUrl: fake.apiUrl, botUserId: fake.botUserId, log, backoff: () => 40 });
  courier = new Courier(store, sink, log);
  return courier;
}

// Card numbers restart with each in-memory store; the marker's fingerprint tells cards of different stores apart.
const postsFor = async (id: number) => {
  const marker = cardMarker((await store.getOpportunity(id))!);
  return fake.messagePosts().filter((r) => r.body?.embeds?.[0]?.footer?.text.startsWith(marker));
};
const messagesFor = async (id: number, s: Store) => {
  const opp = (await s.getOpportunity(id))!;
  return fake.channelMessages().filter((m) => m.nonce === cardNonce(opp));
};

describe('delivery through the outbox', () => {
  it('waits what a 429 asks, then delivers once', async () => {
    const c = sinkCourier();
    fake.failures.push({ status: 429, retryAfter: 300 });
    const id = await seedCard(store);
    await c.kick();
    await c.idle();
    const posts = await postsFor(id);
    expect(posts).toHaveLength(2);
    expect(posts[1]!.at - posts[0]!.at).toBeGreaterThanOrEqual(290);
    expect(await messagesFor(id, store)).toHaveLength(1);
    expect(await store.outboxFor(id, 'discord')).toMatchObject({ status: 'sent', attempts: 2 });
    expect((await store.outboxFor(id, 'discord'))!.lastError).toMatch(/rate limit/);
  });

  it('retries 503s with backoff; an outage ends with every card delivered once, in order', async () => {
    const c = sinkCourier();
    fake.failures.push({ status: 503 }, { status: 503 }, { status: 503 });
    const ids = [await seedCard(store), await seedCard(store), await seedCard(store)];
    await c.kick();
    await c.idle();
    expect(await postsFor(ids[0]!)).toHaveLength(4);
    for (const id of ids) expect(await messagesFor(id, store)).toHaveLength(1);
    const firsts = await Promise.all(ids.map(async (id) => (await messagesFor(id, store))[0]!.id));
    const order = fake
      .channelMessages()
      .filter((m) => firsts.includes(m.id))
      .map((m) => Number(/#(\d+)/.exec(m.embeds[0].footer.text)![1]));
    expect(order).toEqual(ids);
  });

  it('gives up on a card Discord refuses (400) and goes on with the next', async () => {
    const c = sinkCourier();
    fake.failures.push({ status: 400 });
    const bad = await seedCard(store);
    const good = await seedCard(store);
    await c.kick();
    await c.idle();
    expect((await store.outboxFor(bad, 'discord'))!.status).toBe('failed');
    expect((await store.outboxFor(good, 'discord'))!.status).toBe('sent');
  });

  it('never posts twice when the answer to a post is lost (the card is found by its marker)', async () => {
    const c = sinkCourier();
    fake.dropNextPostAnswer = true;
    const id = await seedCard(store);
    await c.kick();
    await c.idle();
    expect(await postsFor(id)).toHaveLength(1);
    expect(await messagesFor(id, store)).toHaveLength(1);
    expect((await store.outboxFor(id, 'discord'))!.messageId).toBe((await messagesFor(id, store))[0]!.id);
  });
});

describe('restart', () => {
  it('a card whose first attempt began before a crash is looked for from that attempt on, and posted if not found', async () => {
    const c = sinkCourier();
    const id = await seedCard(store);
    await store.markAttempt((await store.outboxFor(id, 'discord'))!); // the crashed process began, Discord never got it
    fake.chatter(150);
    await c.kick();
    await c.idle();
    expect(await postsFor(id)).toHaveLength(1);
    const reads = fake.requests.filter((r) => r.method === 'GET' && r.path === `/v10/channels/${fake.channelId}/messages`);
    expect(reads.at(-1)!.query.get('after')).toMatch(/^\d+$/);
    expect((await store.outboxFor(id, 'discord'))!.status).toBe('sent');
  });

  it('delivers what was pending after a crash, and never re-posts a card that made it out before the crash, however busy the channel', async () => {
    store = openSqlite(':memory:');
    const config = loadConfig({
      DISCORD_TOKEN: fake.token,
      DISCORD_APPLICATION_ID: fake.appId,
      DISCORD_GUILD_ID: fake.guildId,
      DISCORD_CHANNEL_ID: fake.channelId,
      DISCORD_API_URL: fake.apiUrl,
    });
    // The previous process posted card A, then died before writing that down; B and C never left.
    const a = await seedCard(store);
    const b = await seedCard(store);
    const c = await seedCard(store);
    const oppA = (await store.getOpportunity(a))!;
    const res = await fetch(`${fake.apiUrl}/v10/channels/${fake.channelId}/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bot ${fake.token}` },
      body: JSON.stringify({ ...buildCard(oppA), nonce: 'from-the-crashed-process' }),
    });
    const posted = (await res.json()) as { id: string };
    // A busy channel: 250 messages by others between the crash and the restart.
    fake.chatter(250);
    expect(await store.pendingCount('discord')).toBe(3);

    runtime = await startDiscord({ commands, config, store, analyst: analystDouble(), catalogue: loadCatalogue(), log, backoff: () => 40 });
    await runtime.courier.idle();

    expect(await store.outboxFor(a, 'discord')).toMatchObject({ status: 'sent', messageId: posted.id });
    expect(await postsFor(a)).toHaveLength(1); // only the crashed process's post
    expect(await postsFor(b)).toHaveLength(1);
    expect(await postsFor(c)).toHaveLength(1);
    expect((await store.getOpportunity(b))!.status).toBe('flagged');

    // A new card after the restart goes out when the pipeline kicks the courier.
    const d = await seedCard(store);
    runtime.kick();
    await fake.waitFor(async () => (await store.outboxFor(d, 'discord'))?.status === 'sent');
    expect(await postsFor(d)).toHaveLength(1);
  });
});
