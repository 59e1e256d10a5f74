import { commands } from '../commands/index';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { openStore } from '../src/store/open';
import { buildKairos, type Kairos } from '../src/app';
import { loadConfig, type Config } from '../src/config';
import { deployCommands } from '../commands/deploy';
import { startDiscord, type DiscordRuntime } from '../src/discord/start';
import { parsePostLine } from '../src/domain/post';
import { createLogger } from '../src/log';
import { FakeDiscord } from './fakes/discord';

/** The real pipeline (rule triage, offline analyst) feeding the bot, with an X reply sender wired in. */
const log = createLogger('silent');
let fake: FakeDiscord;
let config: Config;
let k: Kairos;
let runtime: DiscordRuntime;
const sent: { id: number; actor?: { id: string; name: string } }[] = [];

beforeAll(async () => {
  fake = await FakeDiscord.start();
  config = loadConfig({
    KAIROS_DB: ':memory:',
    DISCORD_TOKEN: fake.token,
    DISCORD_APPLICATION_ID: fake.appId,
    DISCORD_GUILD_ID: fake.guildId,
    DISCORD_CHANNEL_ID: fake.channelId,
    DISCORD_TEAM_ROLE_ID: fake.teamRoleId,
    DISCORD_API_URL: fake.apiUrl,
  });
  k = await buildKairos(config, await openStore(config), { log, sinks: [], queueFor: ['discord'] });
  runtime = await startDiscord({
    commands,
    config,
    store: k.store,
    analyst: k.analyst,
    catalogue: k.catalogue,
    log,
    replySender: {
      async send(id, actor) {
        sent.push({ id, actor });
        const url = `https://x.com/OranjeAir/status/99${id}`;
        if (actor) await k.store.audit(id, actor, 'x-reply-sent', null, url);
        return { url, alreadySent: false };
      },
    },
  });
  k.deliverVia(runtime.courier);
});

afterAll(async () => {
  await runtime?.stop();
  await k?.close();
  await fake?.close();
});

describe('a replayed post through the real pipeline', () => {
  it('becomes one card in the channel; Approve then offers "Send reply on X", which sends once', async () => {
    const lines = readFileSync(fileURLToPath(new URL('../src/sources/demo-stream.jsonl', import.meta.url)), 'utf8').split('\n');
    const posts = lines.filter(Boolean).map(parsePostLine).flatMap((r) => (r.ok ? [r.post] : []));
    const post = posts.find((p) => ['opportunity', 'risk'].includes(k.triage(p).kind))!;
    const res = await k.pipeline.ingest(post);
    expect(res.status).toBe('processed');
    const id = (res as { opportunityId: number }).opportunityId;
    await fake.waitFor(async () => (await k.store.outboxFor(id, 'discord'))?.status === 'sent');
    const messageId = (await k.store.outboxFor(id, 'discord'))!.messageId;
    const message = fake.channelMessages().find((m) => m.id === messageId)!;
    expect(message.embeds[0].fields.map((f: any) => f.name)).toEqual(['Why', 'Gesture', 'Reply draft', 'Public post', 'Verify first', 'Risks', 'Status']);
    expect(message.embeds[0].url).toBe(post.url);
    expect(message.allowed_mentions).toEqual({ parse: [] });

    const approve = fake.click(fake.users.member, message, `card:approve:${id}`);
    const approved = (await fake.waitForRequest((r) => r.path.startsWith(`/v10/interactions/${approve.id}/`))).body;
    expect(approved.data.components[0].components[0]).toMatchObject({ custom_id: `x-reply:${id}`, label: 'Send reply on X' });

    const send = fake.click(fake.users.member, message, `x-reply:${id}`);
    expect((await fake.waitForRequest((r) => r.path.startsWith(`/v10/interactions/${send.id}/`))).body.type).toBe(5);
    const answer = await fake.waitForRequest((r) => r.method === 'PATCH' && r.path.startsWith(`/v10/webhooks/${fake.appId}/${send.token}/`));
    expect(answer.body.content).toBe(`Sent on X: https://x.com/OranjeAir/status/99${id}`);
    expect(sent).toEqual([{ id, actor: { id: fake.users.member.id, name: 'anna' } }]);
    // The card loses its button once the reply went out; a second click is told it was sent.
    const patch = await fake.waitForRequest((r) => r.method === 'PATCH' && r.path === `/v10/channels/${fake.channelId}/messages/${message.id}`);
    expect(patch.body.components).toEqual([]);
    const again = fake.click(fake.users.manager, message, `x-reply:${id}`);
    const second = (await fake.waitForRequest((r) => r.path.startsWith(`/v10/interactions/${again.id}/`))).body;
    expect(second.data.content).toMatch(/^Already sent by anna/);
    expect(sent).toHaveLength(1);
  });
});

describe('npm run deploy-commands', () => {
  it('registers every slash command to the guild, or globally', async () => {
    const r = await deployCommands(config);
    expect(r).toEqual({ count: 8, scope: `guild ${fake.guildId}` });
    const put = fake.requests.find((q) => q.method === 'PUT' && q.path === `/v10/applications/${fake.appId}/guilds/${fake.guildId}/commands`)!;
    expect(put.body.map((c: any) => c.name).sort()).toEqual(['digest', 'draft', 'gesture', 'label', 'missed', 'opportunities', 'stats', 'watch']);
    const watch = put.body.find((c: any) => c.name === 'watch');
    expect(watch.options.map((o: any) => o.name)).toEqual(['add', 'remove', 'list']);
    await deployCommands(config, true);
    expect(fake.requests.some((q) => q.method === 'PUT' && q.path === `/v10/applications/${fake.appId}/commands`)).toBe(true);
  });
});
