import { commands } from '../commands/index';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadCatalogue } from '../src/analyse/catalogue';
import { loadConfig, type Config } from '../src/config';
import type { Post } from '../src/domain/post';
import { startDiscord, type DiscordRuntime } from '../src/discord/start';
import { blueskyReplySender } from '../src/sources/bluesky/replies';
import { MastodonReplySender, mastodonReplySender } from '../src/sources/mastodon/replies';
import { replyRouter } from '../src/sources/replies';
import { openSqlite } from '../src/store/sqlite';
import type { SqlStore as Store } from '../src/store/sql-store';
import { FakeDiscord, type FakeMessage } from './fakes/discord';
import { FakeJetstream } from './fakes/jetstream';
import { FakeMastodon } from './fakes/mastodon';
import { analysis, analyst, captureLogger, until } from './support/x';

/** One open network as the test plays it: its fake, its settings, a fan's post on it, the brand's replies there. */
interface Network {
  name: 'Bluesky' | 'Mastodon';
  platform: string;
  secret: string;
  start(): Promise<void>;
  close(): Promise<void>;
  env(): Record<string, string>;
  fanPost(): Post;
  replies(): number;
  /** Requests that would write a reply (the network may drop a repeat; these count the attempts). */
  writes(): number;
  loseNextAnswer(): void;
  /** From now on the network refuses the brand's writes (a revoked app password, a token without write:statuses). */
  refuse(): void;
  refusal: RegExp;
  replyUrl: RegExp;
}

function bluesky(): Network {
  const fake = new FakeJetstream();
  return {
    name: 'Bluesky',
    platform: 'bluesky',
    secret: fake.appPassword,
    start: async () => {
      await fake.start();
      fake.addAccount({ did: 'did:plc:oranjeairbrand00000000000', handle: 'oranjeair.bsky.social' });
    },
    close: () => fake.close(),
    env: () => ({ BLUESKY_HANDLE: 'oranjeair.bsky.social', BLUESKY_APP_PASSWORD: fake.appPassword, BLUESKY_PDS_URL: fake.apiUrl, BLUESKY_API_URL: fake.apiUrl }),
    fanPost: () => {
      const fan = fake.addAccount({ did: 'did:plc:sannefan000000000000000', handle: 'sanne.bsky.social' });
      const uri = fake.post(fan, { text: 'Honeymoon or Elfstedentocht? @oranjeair.bsky.social' });
      return { id: uri, platform: 'bluesky', url: `https://bsky.app/profile/sanne.bsky.social/post/${uri.split('/').pop()}`, author: { handle: 'sanne.bsky.social', followers: 1240 }, text: 'Honeymoon or Elfstedentocht?', createdAt: new Date().toISOString() };
    },
    replies: () => fake.records.size,
    writes: () => fake.apiCalls.filter((c) => c.method === 'com.atproto.repo.createRecord').length,
    loseNextAnswer: () => (fake.loseNextAnswer = true),
    refuse: () => (fake.appPassword = 'zzzz-zzzz-zzzz-zzzz'),
    refusal: /401.*BLUESKY_APP_PASSWORD/,
    replyUrl: /^https:\/\/bsky\.app\/profile\/oranjeair\.bsky\.social\/post\/[234567a-z]{13}$/,
  };
}

function mastodon(): Network {
  const fake = new FakeMastodon();
  return {
    name: 'Mastodon',
    platform: 'mastodon',
    secret: fake.token,
    start: async () => void (await fake.start()),
    close: () => fake.close(),
    env: () => ({ MASTODON_URL: fake.url, MASTODON_TOKEN: fake.token, MASTODON_POST_REPLIES: 'true' }),
    fanPost: () => {
      const status = fake.mention(fake.account('sanne', 'example.social'), '<p>Honeymoon or Elfstedentocht? @oranjeair</p>');
      return { id: status.id as string, platform: 'mastodon', url: status.url as string, author: { handle: 'sanne@example.social', followers: 120 }, text: 'Honeymoon or Elfstedentocht?', createdAt: new Date().toISOString() };
    },
    replies: () => fake.replies.length,
    writes: () => fake.posts.length,
    loseNextAnswer: () => (fake.loseNextAnswer = true),
    refuse: () => (fake.scopes = ['read']),
    refusal: /403.*write:statuses/,
    replyUrl: /^https:\/\/local\/@oranjeair\/\d+$/,
  };
}

describe.each([bluesky, mastodon])('an approved reply back on the open networks, through the Discord card (%#)', (make) => {
  let net: Network;
  let fd: FakeDiscord;
  let store: Store;
  let rt: DiscordRuntime | undefined;
  let config: Config;
  let cap: ReturnType<typeof captureLogger>;

  beforeEach(async () => {
    net = make();
    await net.start();
    fd = await FakeDiscord.start();
    store = openSqlite(':memory:');
    cap = captureLogger();
    config = loadConfig({ ...fd.env(), ...net.env() });
  });

  afterEach(async () => {
    await rt?.stop();
    rt = undefined;
    await fd.close();
    await net.close();
    store.close();
  });

  /** The bot as main.ts wires it: the reply router over the senders the settings turn on. */
  async function bot(claimStaleMs?: number): Promise<void> {
    const deps = { store, log: cap.log, claimStaleMs };
    const router = replyRouter([blueskyReplySender(config, deps), mastodonReplySender(config, deps)], store);
    expect(router?.platforms).toEqual([net.platform]);
    rt = await startDiscord({ commands, config, store, analyst, catalogue: loadCatalogue(), log: cap.log, replySender: router });
  }

  async function card(status?: 'approved'): Promise<{ id: number; message: FakeMessage }> {
    const id = (await store.recordPost(net.fanPost(), { kind: 'opportunity', score: 0.9, signals: ['dilemma'], lang: 'en' }, { analysis, sinks: ['discord'] }))!.opportunityId!;
    if (status) await store.transition(id, status, { id: fd.users.member.id, name: 'anna' });
    await bot(status ? 0 : undefined);
    await fd.waitFor(() => fd.channelMessages().length === 1);
    return { id, message: fd.channelMessages()[0]! };
  }

  const answerTo = async (click: { id: string; token: string }) => {
    const first = (await fd.waitForRequest((r) => r.path.startsWith(`/v10/interactions/${click.id}/`))).body;
    if (first.type !== 5) return first.data.content as string;
    return (await fd.waitForRequest((r) => r.method === 'PATCH' && r.path.startsWith(`/v10/webhooks/${fd.appId}/${click.token}/`))).body.content as string;
  };

  it('sends only after Approve and a click, once for a double click, names the network on the button, links the reply on the card', async () => {
    const { id, message } = await card();
    // Not approved yet: no reply button, and a forged click sends nothing.
    expect(message.components.flatMap((r: any) => r.components).map((b: any) => b.custom_id)).not.toContain(`x-reply:${id}`);
    expect(await answerTo(fd.click(fd.users.member, message, `x-reply:${id}`))).toMatch(/^Only an approved card/);
    expect(net.replies()).toBe(0);

    const approve = fd.click(fd.users.member, message, `card:approve:${id}`);
    const approved = (await fd.waitForRequest((r) => r.path.startsWith(`/v10/interactions/${approve.id}/`))).body;
    expect(approved.data.components[0].components[0]).toMatchObject({ custom_id: `x-reply:${id}`, label: `Send reply on ${net.name}` });

    const a = fd.click(fd.users.member, message, `x-reply:${id}`);
    const b = fd.click(fd.users.manager, message, `x-reply:${id}`);
    const answers = await Promise.all([answerTo(a), answerTo(b)]);
    await until(async () => (await store.getReply(id))?.status === 'sent', 5000, 'reply sent');
    expect(net.replies()).toBe(1);
    expect(net.writes()).toBe(1);
    const url = (await store.getReply(id))!.url!;
    expect(url).toMatch(net.replyUrl);
    expect(answers).toContain(`Sent on ${net.name}: ${url}`);
    expect(answers.filter((t) => t.startsWith('Sent on'))).toHaveLength(1);
    // The card loses its button and shows the link.
    const patch = await fd.waitForRequest((r) => r.method === 'PATCH' && r.path === `/v10/channels/${fd.channelId}/messages/${message.id}` && r.body.components?.length === 0);
    const status = patch.body.embeds[0].fields.find((f: any) => f.name === 'Status').value as string;
    expect(status).toContain(`Reply sent on ${net.name}: ${url}`);
    expect((await store.actionsFor(id)).filter((x) => x.action === `${net.platform}-reply-sent`).map((x) => [x.actorName, x.detail])).toEqual([['anna', url]]);
    expect(cap.text()).not.toContain(net.secret);
  });

  it('a refusal sends nothing, says what to fix, and the card shows the reply ready to copy next to the button', async () => {
    const { id, message } = await card('approved');
    net.refuse();
    const click = fd.click(fd.users.member, message, `x-reply:${id}`);
    expect(await answerTo(click)).toMatch(new RegExp(`^Not sent: .*${net.refusal.source}`));
    expect(net.replies()).toBe(0);
    expect(await store.getReply(id)).toBeNull();
    const patch = await fd.waitForRequest((r) => r.method === 'PATCH' && r.path === `/v10/channels/${fd.channelId}/messages/${message.id}` && /ready to copy/.test(r.body.content ?? ''));
    expect(patch.body.content).toMatch(new RegExp(`^Not sent on ${net.name} \\(`));
    expect(patch.body.content).toContain(analysis.reply);
    expect(patch.body.content).not.toContain(net.secret);
    expect(patch.body.components[0].components[0]).toMatchObject({ custom_id: `x-reply:${id}`, label: `Send reply on ${net.name}` });
  });

  it('after a crash between sending and recording, the restarted bot finds the reply and never sends it twice', async () => {
    const { id, message } = await card('approved');
    net.loseNextAnswer();
    expect(await answerTo(fd.click(fd.users.member, message, `x-reply:${id}`))).toMatch(/^Not sent: .*try again: Kairos checks/);
    expect(net.replies()).toBe(1);
    expect((await store.getReply(id))?.status).toBe('sending');

    // The process dies; a new one starts on the same database and the team clicks again.
    await rt!.stop();
    await bot(0);
    const answer = await answerTo(fd.click(fd.users.member, message, `x-reply:${id}`));
    const url = (await store.getReply(id))!.url!;
    expect(answer).toBe(`Sent on ${net.name}: ${url}`);
    expect(net.replies()).toBe(1);
    // Found by the check after the crash: not even a second attempt went out.
    expect(net.writes()).toBe(1);
    expect((await store.actionsFor(id)).filter((x) => x.action === `${net.platform}-reply-sent`)).toHaveLength(1);
  });
});

describe('Mastodon replies: what is sent, and what the team is told when the instance refuses', () => {
  let fake: FakeMastodon;
  let store: Store;
  let cap: ReturnType<typeof captureLogger>;
  const anna = { id: '111', name: 'anna' };
  const sender = (token = fake.token) => new MastodonReplySender({ url: fake.url, token, store, log: cap.log });

  beforeEach(async () => {
    fake = await new FakeMastodon().start();
    store = openSqlite(':memory:');
    cap = captureLogger();
  });
  afterEach(async () => {
    await fake.close();
    store.close();
  });

  async function card(reply = analysis.reply, handle = 'sanne@example.social'): Promise<{ id: number; statusId: string }> {
    const status = fake.mention(fake.account('sanne', 'example.social'), '<p>Honeymoon?</p>');
    const post: Post = { id: status.id as string, platform: 'mastodon', author: { handle, followers: 1 }, text: 'Honeymoon?', createdAt: new Date().toISOString() };
    const id = (await store.recordPost(post, { kind: 'opportunity', score: 0.9, signals: ['dilemma'], lang: 'en' }, { analysis: { ...analysis, reply }, sinks: [] }))!.opportunityId!;
    await store.transition(id, 'approved', anna);
    return { id, statusId: status.id as string };
  }

  it("replies in the fan's thread, mentioning them, with an Idempotency-Key from the claim", async () => {
    const { id, statusId } = await card();
    const r = await sender().send(id, anna);
    expect(fake.posts).toHaveLength(1);
    expect(fake.posts[0]!.body).toEqual({ status: `@sanne@example.social ${analysis.reply}`, in_reply_to_id: statusId });
    expect(fake.posts[0]!.idempotencyKey).toMatch(new RegExp(`^kairos-reply-${id}-\\d+$`));
    expect(r.url).toBe(fake.replies[0]!.url);
  });

  it('a retry of the same claim carries the same Idempotency-Key, so the instance drops the repeat even when the check finds nothing', async () => {
    const { id } = await card();
    fake.loseNextAnswer = true;
    await expect(sender().send(id, anna)).rejects.toMatchObject({ uncertain: true });
    // The brand's own timeline does not show it (yet): the check after the crash finds nothing and sends again.
    fake.hideOwnStatuses = true;
    const later = new MastodonReplySender({ url: fake.url, token: fake.token, store, log: cap.log, claimStaleMs: 0 });
    const r = await later.send(id, anna);
    expect(fake.posts).toHaveLength(2);
    expect(fake.posts[1]!.idempotencyKey).toBe(fake.posts[0]!.idempotencyKey);
    expect(fake.replies).toHaveLength(1);
    expect(r.url).toBe(fake.replies[0]!.url);
  });

  it('a reply that already starts with the mention is not prefixed twice; a cut handle is looked up on the status', async () => {
    const first = await card(`@sanne@example.social ${analysis.reply}`);
    await sender().send(first.id, anna);
    expect(fake.posts[0]!.body.status).toBe(`@sanne@example.social ${analysis.reply}`);
    const cut = await card(analysis.reply, 'sanne');
    await sender().send(cut.id, anna);
    expect(fake.posts[1]!.body.status).toBe(`@sanne@example.social ${analysis.reply}`);
  });

  it('a token without write:statuses, a wrong token and a text the instance refuses: nothing posted, the claim given back, a clear message, never the token', async () => {
    const { id } = await card();
    fake.scopes = ['read'];
    const scope = await sender().send(id, anna).catch((e: unknown) => e as Error);
    expect(scope).toMatchObject({ name: 'ReplyFailed', uncertain: false, message: expect.stringMatching(/403.*write:statuses/) });
    expect(await store.getReply(id)).toBeNull();

    fake.scopes = ['read', 'write:statuses'];
    const wrong = (await sender('wrong-token-98765').send(id, anna).catch((e: unknown) => e)) as Error;
    expect(wrong).toMatchObject({ uncertain: false, message: expect.stringMatching(/401.*MASTODON_TOKEN/) });
    expect(wrong.message).not.toContain('wrong-token-98765');
    expect(await store.getReply(id)).toBeNull();

    const long = await card('x'.repeat(520));
    const tooLong = await sender().send(long.id, anna).catch((e: unknown) => e as Error);
    expect(tooLong).toMatchObject({ uncertain: false, message: expect.stringMatching(/422.*character limit.*edit the reply/) });
    expect(fake.replies).toHaveLength(0);
    expect(cap.text()).not.toContain(fake.token);
    expect(cap.text()).not.toContain('wrong-token-98765');

    // Put right, the same card goes out.
    expect((await sender().send(id, anna)).alreadySent).toBe(false);
    expect(fake.replies).toHaveLength(1);
  });
});

describe('reply settings for Bluesky and Mastodon', () => {
  it('takes an app password only in its own format and with the handle, never repeating it; the PDS defaults to bsky.social', () => {
    const ok = loadConfig({ BLUESKY_HANDLE: 'oranjeair.bsky.social', BLUESKY_APP_PASSWORD: 'abcd-efgh-ijkl-mnop' });
    expect(ok.bluesky.replies).toEqual({ pdsUrl: 'https://bsky.social', appPassword: 'abcd-efgh-ijkl-mnop' });
    expect(loadConfig({}).bluesky.replies).toBeUndefined();
    let message = '';
    try {
      loadConfig({ BLUESKY_HANDLE: 'oranjeair.bsky.social', BLUESKY_APP_PASSWORD: 'my real password 123' });
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).toMatch(/BLUESKY_APP_PASSWORD: expected an app password \(xxxx-xxxx-xxxx-xxxx/);
    expect(message).not.toContain('my real password 123');
    expect(() => loadConfig({ BLUESKY_APP_PASSWORD: 'abcd-efgh-ijkl-mnop' })).toThrow(/BLUESKY_HANDLE: required when BLUESKY_APP_PASSWORD is set/);
    expect(() => loadConfig({ BLUESKY_HANDLE: 'oranjeair.bsky.social', BLUESKY_APP_PASSWORD: 'abcd-efgh-ijkl-mnop', BLUESKY_PDS_URL: 'ftp://pds' })).toThrow(/BLUESKY_PDS_URL/);
  });
});
