import { mkdtempSync } from 'node:fs';
import type { Triage } from '../src/domain/verdict';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { commands } from '../commands/index';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig, type Config } from '../src/config';
import { startDiscord, type DiscordRuntime } from '../src/discord/start';
import { staticContext } from '../src/detect/context';
import { BrandTriage } from '../src/learning';
import { postFetcher } from '../src/sources/fetch-post';
import { xPostFetcher } from '../src/sources/x/fetch';
import { createXClient } from '../src/sources/x/client';
import { metaPostFetchers } from '../src/sources/meta/fetch';
import { GraphClient } from '../src/sources/meta/graph';
import { FakeX } from './fakes/x';
import { FakeGraph } from './fakes/meta';
import { DEMO_GESTURES } from '../src/analyse/brand-pack';
import { loadCatalogue } from '../src/analyse/catalogue';
import { createLogger } from '../src/log';
import { openSqlite } from '../src/store/sqlite';
import type { SqlStore as Store } from '../src/store/sql-store';
import { FakeDiscord, type FakeMessage, type FakeUser } from './fakes/discord';
import { analystDouble, seedCard } from './support/discord';

let fake: FakeDiscord;
let store: Store;
let runtime: DiscordRuntime;
let config: Config;
let watchChanges = 0;
let fakeX: FakeX;
let graph: FakeGraph;
const analyst = analystDouble({ delayMs: 20, failOn: 'EXPLODE' });
const log = createLogger('silent');

beforeAll(async () => {
  fake = await FakeDiscord.start();
  fakeX = await new FakeX().start();
  graph = await new FakeGraph().start();
  store = openSqlite(':memory:');
  config = loadConfig({
    DISCORD_TOKEN: fake.token,
    DISCORD_APPLICATION_ID: fake.appId,
    DISCORD_GUILD_ID: fake.guildId,
    DISCORD_CHANNEL_ID: fake.channelId,
    DISCORD_TEAM_ROLE_ID: fake.teamRoleId,
    DISCORD_API_URL: fake.apiUrl,
    TZ: 'Europe/Amsterdam',
    // X is read (not started here): /stats and /digest show its reads.
    X_MODE: 'stream',
    X_BEARER_TOKEN: 'test-bearer-token-0001',
    X_MAX_READS_PER_DAY: '5000',
  });
  runtime = await startDiscord({
    commands,
    config,
    store,
    analyst,
    catalogue: loadCatalogue(DEMO_GESTURES),
    log,
    backoff: () => 30,
    onWatchChanged: () => watchChanges++,
    sourceHealth: async () => ({ 'x-stream': null, bluesky: 'not connected to Jetstream' }),
    // No brand model in a fresh folder: triage runs on the shipped one.
    teaching: new BrandTriage({ dbPath: join(mkdtempSync(join(tmpdir(), 'kairos-bot-')), 'kairos.db'), brand: config.brand }, staticContext(config.brand), store).teaching,
    postFetcher: postFetcher(
      [
        xPostFetcher(createXClient({ bearerToken: 'test-bearer-token-0001' }, fakeX.url)),
        ...metaPostFetchers({ appSecret: 'app-secret-0001', verifyToken: 'verify-0001', pageId: graph.pageId, pageToken: graph.token, igUserId: graph.igUserId, graphUrl: graph.graphUrl, postReplies: false }, new GraphClient({ baseUrl: graph.graphUrl, token: graph.token }), log),
      ],
      log,
    ),
  });
});

afterAll(async () => {
  await runtime?.stop();
  await fake?.close();
  await fakeX?.close();
  await graph?.close();
  store?.close();
});

/** Queues a card and waits until the fake Discord holds its message. */
async function deliver(opts: Parameters<typeof seedCard>[1] = {}): Promise<{ id: number; message: FakeMessage }> {
  const id = await seedCard(store, opts);
  runtime.kick();
  await fake.waitFor(async () => (await store.outboxFor(id, 'discord'))?.status === 'sent');
  const messageId = (await store.outboxFor(id, 'discord'))!.messageId!;
  return { id, message: fake.channelMessages().find((m) => m.id === messageId)! };
}

async function callback(interaction: { id: string }): Promise<any> {
  const r = await fake.waitForRequest((q) => q.path.startsWith(`/v10/interactions/${interaction.id}/`));
  return r.body;
}

/** What a command answered, at once or (deferred) in its edited reply. */
async function answer(interaction: { id: string; token: string }): Promise<any> {
  const first = await callback(interaction);
  if (first.type !== 5) return first.data;
  const edit = await fake.waitForRequest((r) => r.method === 'PATCH' && r.path === `/v10/webhooks/${fake.appId}/${interaction.token}/messages/@original`);
  return edit.body;
}

const click = async (user: FakeUser, message: FakeMessage, customId: string, values?: string[]) => {
  const i = fake.click(user, message, customId, values);
  return { ...i, body: await callback(i) };
};

const fieldOf = (body: any, name: string): string => body.embeds[0].fields.find((f: any) => f.name === name).value;

describe('cards', () => {
  it('posts a card for a stored post: fields, link, buttons, allowed_mentions, nonce and a marker', async () => {
    const { id, message } = await deliver();
    const post = fake.messagePosts().find((r) => r.body?.nonce && r.body.embeds?.[0]?.footer?.text.startsWith(`Kairos card #${id} `));
    expect(post).toBeDefined();
    expect(post!.body.allowed_mentions).toEqual({ parse: [] });
    expect(post!.body.enforce_nonce).toBe(true);
    const embed = message.embeds[0];
    expect(embed.fields.map((f: any) => f.name)).toEqual(['Why', 'Gesture', 'Reply draft', 'Public post', 'Verify first', 'Risks', 'Status']);
    expect(embed.title).toMatch(/^Opportunity · Honeymoon couple/);
    expect(embed.url).toMatch(/^https:\/\/x\.com\/fan\d+\/status\/\d+$/);
    expect(message.components[0].components.map((c: any) => c.label)).toEqual(['Approve', 'Edit', 'Regenerate', 'Dismiss', 'Claim']);
    expect(message.components[0].components.every((c: any) => c.custom_id.endsWith(`:${id}`))).toBe(true);
    expect((await store.getOpportunity(id))!.status).toBe('flagged');
  });

  it('pings nobody when the fan writes @everyone, @here or a role mention', async () => {
    const { message } = await deliver({ post: { text: '@everyone @here <@&123456789012345678> look at this **now**' } });
    expect(message.allowed_mentions).toEqual({ parse: [] });
    expect(JSON.stringify(message.embeds)).not.toMatch(/@everyone|@here|<@&\d/);
  });
});

describe('buttons', () => {
  it('Claim: the card shows the owner in place, the action is audited, a thread opens with the whole post', async () => {
    const { id, message } = await deliver({ post: { text: `A long story. ${'x'.repeat(3000)} THE END` } });
    const { body } = await click(fake.users.member, message, `card:claim:${id}`);
    expect(body.type).toBe(7);
    expect(fieldOf(body.data, 'Status')).toContain('Claimed by anna');
    expect(body.data.allowed_mentions).toEqual({ parse: [] });
    expect((await store.actionsFor(id)).map((a) => a.action)).toEqual(['claimed']);
    await fake.waitFor(async () => (await store.outboxFor(id, 'discord'))?.threadId != null);
    const thread = fake.threads.find((t) => t.messageId === message.id)!;
    const text = () => fake.channelMessages(thread.id).map((m) => m.content).join('');
    // The intro is long: it arrives as several messages.
    await fake.waitFor(() => text().includes('**History**'));
    expect(text()).toContain('THE END');
    expect(text()).toContain('anna claimed it');
    expect(fake.channelMessages(thread.id).every((m) => JSON.stringify(m.allowed_mentions) === '{"parse":[]}')).toBe(true);
  });

  it('refuses an outsider: ephemeral "not allowed" and nothing changes', async () => {
    const { id, message } = await deliver();
    const { body } = await click(fake.users.outsider, message, `card:approve:${id}`);
    expect(body.type).toBe(4);
    expect(body.data.flags & 64).toBe(64);
    expect(body.data.content).toMatch(/^Not allowed/);
    expect((await store.getOpportunity(id))!.status).toBe('flagged');
    expect(await store.actionsFor(id)).toEqual([]);
  });

  it('lets Manage Messages act without the team role', async () => {
    const { id, message } = await deliver();
    const { body } = await click(fake.users.manager, message, `card:claim:${id}`);
    expect(body.type).toBe(7);
    expect((await store.getOpportunity(id))!.claimedBy).toBe('mo');
  });

  it('Approve double-clicked: one approval, the second click is told who approved and changes nothing', async () => {
    const { id, message } = await deliver();
    const a = fake.click(fake.users.member, message, `card:approve:${id}`);
    const b = fake.click(fake.users.manager, message, `card:approve:${id}`);
    const [ra, rb] = [await callback(a), await callback(b)];
    expect(ra.type).toBe(7);
    expect(ra.data.components).toEqual([]);
    expect(ra.data.content).toContain('Approved reply, ready to copy');
    expect(fieldOf(ra.data, 'Status')).toContain('Approved');
    expect(rb.type).toBe(4);
    expect(rb.data.flags & 64).toBe(64);
    expect(rb.data.content).toMatch(/already approved by anna/);
    expect((await store.actionsFor(id)).filter((x) => x.action === 'approved')).toHaveLength(1);
    // The approval teaches the brand's triage once: the card was right.
    const card = (await store.getOpportunity(id))!;
    const labelsOf = async () => (await store.activeLabels()).filter((l) => l.post.id === card.post.id).map((l) => [l.label.kind, l.label.source, l.label.by.name]);
    await expect.poll(labelsOf).toEqual([[card.kind, 'approve', 'anna']]);
    // Acting on the closed card afterwards changes nothing either.
    const late = await click(fake.users.member, message, `card:edit:${id}`);
    expect(late.body.type).toBe(4);
    expect(late.body.data.content).toMatch(/already approved/);
  });

  it('Edit: a modal pre-filled with the reply; the submitted edit is saved and shown', async () => {
    const { id, message } = await deliver();
    const { body } = await click(fake.users.member, message, `card:edit:${id}`);
    expect(body.type).toBe(9);
    const inputs = body.data.components.map((r: any) => r.components[0]);
    expect(inputs[0]).toMatchObject({ custom_id: 'reply', value: (await store.getOpportunity(id))!.analysis.reply });
    const submit = fake.modalSubmit(fake.users.member, body.data.custom_id, { reply: 'Edited reply <@&1> for you', public: '' }, message);
    const done = await callback(submit);
    expect(done.type).toBe(7);
    expect(fieldOf(done.data, 'Reply draft')).toContain('Edited reply');
    expect((await store.getOpportunity(id))!.analysis.reply).toBe('Edited reply <@&1> for you');
    expect((await store.getOpportunity(id))!.analysis.publicPost).toBeNull();
    expect((await store.actionsFor(id)).at(-1)!.action).toBe('edited');
  });

  it('Edit with an empty reply is refused with a reason', async () => {
    const { id, message } = await deliver();
    const submit = fake.modalSubmit(fake.users.member, `card-edit:${id}`, { reply: '   ', public: '' }, message);
    const done = await callback(submit);
    expect(done.type).toBe(4);
    expect(done.data.content).toMatch(/Not saved: the reply cannot be empty/);
    expect(await store.actionsFor(id)).toEqual([]);
  });

  it('Regenerate: defers, asks the analyst with the previous draft, then edits the card', async () => {
    const { id, message } = await deliver();
    const before = (await store.getOpportunity(id))!.analysis.reply;
    const i = fake.click(fake.users.member, message, `card:regenerate:${id}`);
    expect((await callback(i)).type).toBe(6);
    const edit = await fake.waitForRequest((r) => r.method === 'PATCH' && r.path === `/v10/webhooks/${fake.appId}/${i.token}/messages/@original`);
    expect(fieldOf(edit.body, 'Reply draft')).toContain('replacing the previous one');
    expect(analyst.requests.at(-1)!.previous).toBe(before);
    expect((await store.actionsFor(id)).at(-1)!.action).toBe('regenerated');
  });

  it('Dismiss asks why, stores the reason and closes the card in place', async () => {
    const { id, message } = await deliver();
    const ask = await click(fake.users.member, message, `card:dismiss:${id}`);
    expect(ask.body.type).toBe(4);
    const menu = ask.body.data.components[0].components[0];
    expect(menu.options.map((o: any) => o.value)).toEqual(['not-special', 'already-handled', 'too-risky', 'wrong-call']);
    const ephemeral = fake.replyMessage(ask.token)!;
    const chosen = await click(fake.users.member, ephemeral, menu.custom_id, ['too-risky']);
    expect(chosen.body.type).toBe(7);
    expect((await store.getOpportunity(id))!.status).toBe('dismissed');
    expect((await store.actionsFor(id)).at(-1)).toMatchObject({ action: 'dismissed', reason: 'too-risky' });
    // "Too risky" says nothing about the post: no label.
    const post = (await store.getOpportunity(id))!.post;
    expect((await store.activeLabels()).filter((l) => l.post.id === post.id)).toEqual([]);
    const patch = await fake.waitForRequest((r) => r.method === 'PATCH' && r.path === `/v10/channels/${fake.channelId}/messages/${message.id}`);
    expect(patch.body.components).toEqual([]);
    expect(fieldOf(patch.body, 'Status')).toMatch(/Dismissed[\s\S]*too-risky/);
  });
});

describe('slash commands', () => {
  it('/draft: deferred ephemeral drafts with a share button that posts to the channel without pings', async () => {
    const i = fake.command(fake.users.member, 'draft', [
      { type: 3, name: 'post', value: 'Can I bring my cat @here?' },
      { type: 3, name: 'kind', value: 'announcement' },
      { type: 3, name: 'language', value: 'nl' },
      { type: 3, name: 'tone', value: 'warm' },
    ]);
    const first = await callback(i);
    expect(first.type).toBe(5);
    expect(first.data.flags & 64).toBe(64);
    const edit = await fake.waitForRequest((r) => r.method === 'PATCH' && r.path.startsWith(`/v10/webhooks/${fake.appId}/${i.token}/`));
    expect(edit.body.embeds[0].fields[0].value).toContain('New announcement draft (nl, warm)');
    const replyMsg = fake.replyMessage(i.token)!;
    const before = fake.channelMessages().length;
    const share = fake.click(fake.users.member, replyMsg, 'draft:share');
    await callback(share);
    await fake.waitFor(() => fake.channelMessages().length === before + 1);
    const shared = fake.channelMessages().at(-1)!;
    expect(shared.allowed_mentions).toEqual({ parse: [] });
    expect(shared.embeds[0].fields[0].value).toContain('New announcement draft');
    expect(JSON.stringify(shared.embeds)).not.toContain('@here');
  });

  it('/draft with an unknown link or a bad language answers with what is wrong', async () => {
    const a = await callback(fake.command(fake.users.member, 'draft', [{ type: 3, name: 'post', value: 'https://x.com/nobody/status/1' }]));
    expect(a.data.content).toMatch(/have not seen that post/);
    const b = await callback(fake.command(fake.users.member, 'draft', [{ type: 3, name: 'post', value: 'hello there' }, { type: 3, name: 'language', value: 'not a language!' }]));
    expect(b.data.content).toMatch(/Cannot draft: a language code/);
  });

  it('an error in a handler reaches the user as a short message', async () => {
    const i = fake.command(fake.users.member, 'draft', [{ type: 3, name: 'post', value: 'please EXPLODE' }]);
    expect((await callback(i)).type).toBe(5);
    const follow = await fake.waitForRequest((r) => r.method === 'POST' && r.path === `/v10/webhooks/${fake.appId}/${i.token}`);
    expect(follow.body.content).toMatch(/Something went wrong/);
    expect(follow.body.content).not.toMatch(/exploded/);
  });

  it('/opportunities lists cards newest first and pages with buttons', async () => {
    for (let k = 0; k < 6; k++) await seedCard(store, { kind: 'risk', sinks: [] });
    const i = fake.command(fake.users.member, 'opportunities', [{ type: 3, name: 'status', value: 'any' }, { type: 3, name: 'kind', value: 'risk' }]);
    const body = await callback(i);
    expect(body.type).toBe(4);
    const ids = [...body.data.embeds[0].description.matchAll(/\*\*#(\d+)\*\*/g)].map((m) => Number(m[1]));
    expect(ids).toHaveLength(5);
    expect([...ids].sort((x, y) => y - x)).toEqual(ids);
    const older = body.data.components[0].components[1];
    expect(older.custom_id).toBe('opps:1:any:risk');
    const page2 = await click(fake.users.member, fake.replyMessage(i.token)!, older.custom_id);
    expect(page2.body.type).toBe(7);
    expect(page2.body.data.embeds[0].title).toContain('page 2');
  });

  it('/opportunities links a fan’s post address only as one checked link: no masked link can be smuggled in', async () => {
    seedCard(store, { kind: 'risk', sinks: [], post: { url: 'https://x.com/a)[login](http://evil.example)' } });
    const i = fake.command(fake.users.member, 'opportunities', [{ type: 3, name: 'status', value: 'any' }, { type: 3, name: 'kind', value: 'risk' }]);
    const text = (await callback(i)).data.embeds[0].description as string;
    expect(text).not.toContain('[login](http://evil.example)');
    expect(text).toContain('[post](https://x.com/a%29%5Blogin%5D%28http://evil.example%29)');
  });

  it('/digest answers with the full digest and its chart, for the last 24 hours or a chosen day', async () => {
    const digestOf = async (options: any[] = []) => {
      const i = fake.command(fake.users.member, 'digest', options);
      const deferred = await callback(i);
      expect(deferred.type).toBe(5); // deferred: rendering the chart must not run into Discord's three seconds
      expect(deferred.data.flags & 64).toBe(64);
      return fake.waitForRequest((r) => r.method === 'PATCH' && r.path === `/v10/webhooks/${fake.appId}/${i.token}/messages/@original`);
    };
    const day = await digestOf([{ type: 3, name: 'day', value: '2024-03-01' }]);
    const embed = day.body.embeds[0];
    expect(embed.title).toBe('Oranje Air · Daily digest · 2024-03-01');
    // Every seeded post was written on 2024-03-01; the decisions were made today, so not in that day's digest.
    const posts = (await store.postsRead());
    expect(embed.description).toContain(`${posts} posts:`);
    expect(embed.fields.find((f: any) => f.name.startsWith('Decisions')).name).toBe('Decisions: 0 approved, 0 dismissed');
    expect(embed.image.url).toBe('attachment://digest-2024-03-01.png');
    expect(day.body.allowed_mentions).toEqual({ parse: [] });
    expect(day.files).toHaveLength(1);
    expect(day.files![0]!.name).toBe('digest-2024-03-01.png');
    expect(day.files![0]!.data.subarray(1, 4).toString()).toBe('PNG');

    const now = await digestOf();
    const decided = now.body.embeds[0].fields.find((f: any) => f.name.startsWith('Decisions'));
    expect(decided.name).toBe('Decisions: 1 approved, 1 dismissed');
    expect(decided.value).toContain('too-risky');

    const bad = await callback(fake.command(fake.users.member, 'digest', [{ type: 3, name: 'day', value: '2024-02-31' }]));
    expect(bad.data.content).toMatch(/real calendar day/);
  });

  it('/watch add, list, autocomplete and remove; tells the X side when the list changes', async () => {
    const before = watchChanges;
    const add = await callback(fake.command(fake.users.member, 'watch', [{ type: 1, name: 'add', options: [{ type: 3, name: 'term', value: 'Elfstedentocht' }, { type: 3, name: 'kind', value: 'event' }] }]));
    expect(add.data.content).toBe('Watching "Elfstedentocht" (event).');
    expect((await store.listWatch()).map((w) => w.term)).toContain('Elfstedentocht');
    expect(watchChanges).toBe(before + 1);
    const ac = await callback(fake.autocomplete(fake.users.member, 'watch', [{ type: 1, name: 'remove', options: [{ type: 3, name: 'term', value: 'elf', focused: true }] }]));
    expect(ac.type).toBe(8);
    expect(ac.data.choices).toEqual([{ name: 'Elfstedentocht', value: 'Elfstedentocht' }]);
    const list = await callback(fake.command(fake.users.member, 'watch', [{ type: 1, name: 'list', options: [] }]));
    expect(list.data.content).toContain('Elfstedentocht (event, by anna)');
    const rm = await callback(fake.command(fake.users.member, 'watch', [{ type: 1, name: 'remove', options: [{ type: 3, name: 'term', value: 'Elfstedentocht' }] }]));
    expect(rm.data.content).toContain('No longer watching');
    expect(await store.listWatch()).toEqual([]);
    expect(watchChanges).toBe(before + 2);
    const outsider = await callback(fake.autocomplete(fake.users.outsider, 'watch', [{ type: 1, name: 'remove', options: [{ type: 3, name: 'term', value: '', focused: true }] }]));
    expect(outsider.data.choices).toEqual([]);
  });

  it('/gesture shows the catalogue with costs and caps, and autocompletes ids', async () => {
    const all = await callback(fake.command(fake.users.member, 'gesture'));
    expect(all.data.embeds[0].description).toMatch(/Free flexible rebooking\*\* \(`flexible-rebooking`\) · about €75 · \d+\/40 this month/);
    const ac = await callback(fake.autocomplete(fake.users.member, 'gesture', [{ type: 3, name: 'id', value: 'crew', focused: true }]));
    expect(ac.data.choices[0]).toMatchObject({ value: 'crew-card' });
    const unknown = await callback(fake.command(fake.users.member, 'gesture', [{ type: 3, name: 'id', value: 'free-jet' }]));
    expect(unknown.data.content).toMatch(/No gesture with that id/);
  });

  it('/stats counts posts read, cards by kind and status, approvals and dismissals by reason', async () => {
    const body = await callback(fake.command(fake.users.member, 'stats', [{ type: 3, name: 'period', value: 'all' }]));
    const f = Object.fromEntries(body.data.embeds[0].fields.map((x: any) => [x.name, x.value]));
    expect(Number(f['Posts read'])).toBe((await store.postsRead()));
    expect(f['Approvals']).toBe('1');
    expect(f['Dismissals']).toBe('1 (too-risky 1)');
    expect(f['Risks']).toMatch(/flagged 0 · claimed 0 · approved 0 · dismissed 0/);
    expect(f['Model usage']).toBeUndefined();
    expect(f['Team labels · triage']).toMatch(/^\d+ labels? in the period, \d+ in all.* · triage uses the shipped model$/);
  });

  it('/stats counts posts by source, shows a source that is down, and what reading X cost', async () => {
    await store.addXReads(new Date().toISOString().slice(0, 10), 1_000, 400);
    const post = (id: string, platform: string) => ({ id, platform, author: { handle: 'fan', followers: 1 }, text: 'hello', createdAt: new Date().toISOString() });
    const noise: Triage = { kind: 'noise', score: 0.1, signals: [], lang: 'en' };
    await store.recordPost(post('bs-1', 'bluesky'), noise, undefined, 'bluesky');
    await store.recordPost(post('bs-2', 'bluesky'), noise, undefined, 'bluesky');
    await store.recordPost(post('in-1', 'form'), noise, undefined, 'ingest');
    await store.recordPost(post('fb-1', 'facebook'), noise, undefined, 'meta-facebook');
    const body = await callback(fake.command(fake.users.member, 'stats', [{ type: 3, name: 'period', value: 'today' }]));
    const f = Object.fromEntries(body.data.embeds[0].fields.map((x: any) => [x.name, x.value]));
    // In the order a team reads them (cards seeded by other tests count as x, by their platform).
    expect(f['Posts by source']).toMatch(/bluesky 2 · facebook 1 · webhook 1/);
    expect(f['Sources']).toBe('x ok\n**bluesky down**: not connected to Jetstream');
    expect(f['X reads']).toMatch(/^1,000 posts and 400 authors read ≈ \$9\.00 · this month 1,000 posts ≈ \$9\.00, on course for ≈ \$[\d,.]+ .* · cap 5,000 posts a day$/);
  });

  it('/stats shows model calls, tokens and cost once a model was used', async () => {
    const at = new Date();
    await store.recordLlmUsage({ at, model: 'gpt-4o-mini', purpose: 'analyse', promptTokens: 1200, completionTokens: 300, costUsd: 0.0004, outcome: 'ok' });
    await store.recordLlmUsage({ at, model: 'gpt-4o-mini', purpose: 'analyse', promptTokens: 0, completionTokens: 0, costUsd: 0, outcome: 'invalid' });
    const body = await callback(fake.command(fake.users.member, 'stats', [{ type: 3, name: 'period', value: 'all' }]));
    const f = Object.fromEntries(body.data.embeds[0].fields.map((x: any) => [x.name, x.value]));
    expect(f['Model usage']).toBe('2 calls (1 without a usable answer) · 1,500 tokens · ≈ $0.00');
    const i = fake.command(fake.users.member, 'digest');
    const digest = await fake.waitForRequest((r) => r.method === 'PATCH' && r.path === `/v10/webhooks/${fake.appId}/${i.token}/messages/@original`);
    expect(digest.body.embeds[0].fields.find((f: any) => f.name === 'Model usage').value).toMatch(/^2 calls \(1 unusable\) · 1500 tokens/);
  });

  it('/label shows the post triage is least sure of; an answer is stored and the next post shown, with Undo', async () => {
    const cmd = fake.command(fake.users.member, 'label');
    const first = await callback(cmd);
    expect(first.data.flags & 64).toBe(64);
    const buttons = first.data.components[0].components.map((b: any) => b.label);
    expect(buttons).toEqual(['Opportunity', 'Risk', 'Service', 'Noise', 'Skip']);
    const riskId: string = first.data.components[0].components[1].custom_id;
    const [platform, ...id] = riskId.split(':').slice(3);
    const before = (await store.activeLabels()).length;
    const answered = await click(fake.users.member, fake.replyMessage(cmd.token)!, riskId);
    expect(answered.body.type).toBe(7);
    expect(answered.body.data.content).toMatch(/^Labelled risk\. Next:/);
    const labels = await store.activeLabels();
    expect(labels).toHaveLength(before + 1);
    expect(labels.at(-1)).toMatchObject({ post: { platform, id: id.join(':') }, label: { kind: 'risk', source: 'label', by: { name: 'anna' } } });
    const undo = answered.body.data.components.at(-1).components[0];
    expect(undo.label).toBe('Undo the last');
    const undone = await click(fake.users.member, fake.replyMessage(cmd.token)!, undo.custom_id);
    expect(undone.body.data.content).toMatch(/^Undone\./);
    expect(await store.activeLabels()).toHaveLength(before);
  });

  it('/missed records a stored post as a missed card, says when Kairos never read it, and can be undone', async () => {
    const url = 'https://x.com/fan_missed/status/1760000000000009999';
    await store.recordPost({ id: '1760000000000009999', platform: 'x', url, author: { handle: 'fan_missed', followers: 3 }, text: '@OranjeAir my grandma (92) flies for the first time tomorrow!!', createdAt: '2026-02-10T09:00:00Z' }, { kind: 'service', score: 0.2, signals: [], lang: 'en' });
    const unknown = await answer(fake.command(fake.users.member, 'missed', [{ type: 3, name: 'post', value: 'https://x.com/nobody/status/1' }]));
    expect(unknown.content).toMatch(/^Kairos has not read that post and could not fetch it: X did not give that post \(Could not find tweet with id: \[1\]\.\): it may be deleted/);
    const bad = await callback(fake.command(fake.users.member, 'missed', [{ type: 3, name: 'post', value: 'not a link' }]));
    expect(bad.data.content).toMatch(/expected the link to a post/);
    const cmd = fake.command(fake.users.member, 'missed', [{ type: 3, name: 'post', value: url }]);
    const ok = await callback(cmd);
    expect(ok.data.content).toMatch(/fan\\_missed’s post should have been an opportunity card/);
    expect((await store.activeLabels()).at(-1)).toMatchObject({ post: { id: '1760000000000009999' }, label: { kind: 'opportunity', source: 'missed' } });
    const undo = ok.data.components[0].components[0];
    const undone = await click(fake.users.member, fake.replyMessage(cmd.token)!, undo.custom_id);
    expect(undone.body.data.content).toMatch(/Undone/);
    expect((await store.activeLabels()).some((l) => l.post.id === '1760000000000009999')).toBe(false);
  });

  it('/missed fetches a post Kairos never stored from X: checked, stored with triage’s verdict and labelled; a second time it is the stored one', async () => {
    const fan = fakeX.addUser({ username: 'grandma_fan', followers: 80 });
    const tweet = fakeX.publish(fan, '@OranjeAir my grandma (92) flies for the first time tomorrow!! @everyone');
    const link = `https://twitter.com/grandma_fan/status/${tweet.id}?s=20`;
    const lookups = () => fakeX.requests.filter((r) => r.path === `/2/tweets/${tweet.id}`).length;
    const reply = await answer(fake.command(fake.users.member, 'missed', [{ type: 3, name: 'post', value: link }, { type: 3, name: 'kind', value: 'opportunity' }]));
    expect(reply.content).toMatch(/^Fetched from x and stored \(triage reads it as (opportunity|risk|service|noise)\)\. Noted: @grandma\\_fan’s post should have been an opportunity card/);
    expect(reply.components[0].components[0].label).toBe('Undo');
    const stored = (await store.getPost({ platform: 'x', id: tweet.id }))!;
    expect(stored).toMatchObject({ url: `https://x.com/grandma_fan/status/${tweet.id}`, author: { handle: 'grandma_fan', followers: 80 }, text: tweet.text });
    expect(await store.seenKind(stored)).not.toBeNull();
    expect((await store.getOpportunityByPost(stored))).toBeNull();
    expect((await store.activeLabels()).at(-1)).toMatchObject({ post: { id: tweet.id }, label: { kind: 'opportunity', source: 'missed', by: { name: 'anna' } } });
    expect(lookups()).toBe(1);
    // Now it is stored: labelled again (as a risk this time) without asking X.
    const again = await answer(fake.command(fake.users.member, 'missed', [{ type: 3, name: 'post', value: `https://x.com/grandma_fan/status/${tweet.id}` }, { type: 3, name: 'kind', value: 'risk' }]));
    expect(again.content).toMatch(/^Noted: .* a risk card/);
    expect(lookups()).toBe(1);
  });

  it('/missed fetches a Facebook Page post or a comment under it through the Graph API, and says what it cannot read', async () => {
    graph.objects.set(`${graph.pageId}_555`, { message: '@Oranje Air we fly to our wedding in Rome on Saturday', from: { id: '42', name: 'Bride To Be' }, created_time: '2026-04-02T09:00:00+0000', permalink_url: 'https://www.facebook.com/OranjeAir/posts/555' });
    graph.objects.set('555_777', { message: 'Same here, Oranje Air, our honeymoon!', from: { id: '43', name: 'Groom' }, created_time: '2026-04-02T09:05:00+0000' });
    const post = await answer(fake.command(fake.users.member, 'missed', [{ type: 3, name: 'post', value: 'https://www.facebook.com/OranjeAir/posts/555' }]));
    expect(post.content).toMatch(/^Fetched from facebook and stored .* Noted: @Bride To Be’s post should have been an opportunity card/);
    expect(await store.getPost({ platform: 'facebook', id: `${graph.pageId}_555` })).toMatchObject({ author: { id: '42', name: 'Bride To Be' }, createdAt: '2026-04-02T09:00:00.000Z' });
    const comment = await answer(fake.command(fake.users.member, 'missed', [{ type: 3, name: 'post', value: 'https://www.facebook.com/OranjeAir/posts/555?comment_id=777' }]));
    expect(comment.content).toMatch(/^Fetched from facebook/);
    expect(await store.getPost({ platform: 'facebook', id: '555_777' })).toMatchObject({ inReplyTo: `${graph.pageId}_555`, text: 'Same here, Oranje Air, our honeymoon!' });
    expect(graph.callsTo('GET', /^555_777$/)[0]!.authorization).toBe(`Bearer ${graph.token}`);
    const gone = await answer(fake.command(fake.users.member, 'missed', [{ type: 3, name: 'post', value: 'https://www.facebook.com/OranjeAir/posts/999' }]));
    expect(gone.content).toMatch(/could not fetch it: the Graph API has no such Facebook post/);
    const pfbid = await answer(fake.command(fake.users.member, 'missed', [{ type: 3, name: 'post', value: 'https://www.facebook.com/OranjeAir/posts/pfbid02abcDEF' }]));
    expect(pfbid.content).toMatch(/cannot tell which Facebook post this link is/);
    const elsewhere = await answer(fake.command(fake.users.member, 'missed', [{ type: 3, name: 'post', value: 'https://example.com/p/1' }]));
    expect(elsewhere.content).toMatch(/example\.com is not a platform Kairos reads \(it reads X, Facebook and Instagram links\)/);
    expect(JSON.stringify([post, comment, gone, pfbid, elsewhere])).not.toContain(graph.token);
  });

  it('the digest lists the posts that came close with "Should have been a card"; a click records a missed label, undoable', async () => {
    const texts = ['@OranjeAir my grandma (92) flies for the first time tomorrow!!', '@OranjeAir we are flying to our wedding in Rome on Saturday', '@OranjeAir how do I add a bag'];
    const ids: string[] = [];
    for (const [n, text] of texts.entries()) {
      const id = `17700000000000000${n}`;
      ids.push(id);
      await store.recordPost({ id, platform: 'x', url: `https://x.com/close${n}/status/${id}`, author: { handle: `close${n}`, followers: 40 }, text, createdAt: `2026-04-02T1${n}:00:00Z` }, { kind: 'service', score: 0.2, signals: [], lang: 'en' });
    }
    const i = fake.command(fake.users.member, 'digest', [{ type: 3, name: 'day', value: '2026-04-02' }]);
    const digest = await fake.waitForRequest((r) => r.method === 'PATCH' && r.path === `/v10/webhooks/${fake.appId}/${i.token}/messages/@original`);
    const field = digest.body.embeds[0].fields.find((f: any) => f.name.startsWith('Came close'));
    // The two the model finds close, closest first; the bag question is not close.
    expect(field.value).toMatch(/^1\. \*\*0\.\d\d\*\* opportunity\? \*\*@close0\*\*.*\n2\. \*\*0\.\d\d\*\* opportunity\? \*\*@close1\*\*/);
    expect(field.value).not.toContain('close2');
    const buttons = digest.body.components.map((r: any) => r.components[0]);
    expect(buttons.map((b: any) => [b.label, b.custom_id])).toEqual([
      ['1. Should have been a card', `missed:close:opportunity:x:${ids[0]}`],
      ['2. Should have been a card', `missed:close:opportunity:x:${ids[1]}`],
    ]);
    const before = (await store.activeLabels()).length;
    const clicked = await click(fake.users.member, fake.replyMessage(i.token)!, buttons[1].custom_id);
    expect(clicked.body.type).toBe(4);
    expect(clicked.body.data.flags & 64).toBe(64);
    expect(clicked.body.data.content).toMatch(/^Noted: @close1’s post should have been an opportunity card/);
    expect((await store.activeLabels()).at(-1)).toMatchObject({ post: { id: ids[1] }, label: { kind: 'opportunity', source: 'missed', by: { id: fake.users.member.id, name: 'anna' } } });
    expect((await store.activeLabels()).length).toBe(before + 1);
    const undo = clicked.body.data.components[0].components[0];
    const undone = await click(fake.users.member, fake.replyMessage(clicked.token)!, undo.custom_id);
    expect(undone.body.data.content).toMatch(/^Undone/);
    expect((await store.activeLabels()).length).toBe(before);
    // An outsider's click changes nothing.
    const outsider = await click(fake.users.outsider, fake.replyMessage(i.token)!, buttons[0].custom_id);
    expect(outsider.body.data.content).toMatch(/^Not allowed/);
    expect((await store.activeLabels()).length).toBe(before);
  });

  it('refuses slash commands from an outsider', async () => {
    const body = await callback(fake.command(fake.users.outsider, 'watch', [{ type: 1, name: 'add', options: [{ type: 3, name: 'term', value: 'nope' }] }]));
    expect(body.data.content).toMatch(/^Not allowed/);
    expect(await store.listWatch()).toEqual([]);
  });
});
