import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Post } from '../src/domain/post';
import { ReplyFailed, ReplyRefused, type ReplySender } from '../src/sources/x/replies';
import { startX } from '../src/sources/x/start';
import type { ReplySender as DiscordReplySender } from '../src/discord/context';
import { openSqlite } from '../src/store/sqlite';
import type { SqlStore as Store } from '../src/store/sql-store';
import { FakeX, type FakeTweet } from './fakes/x';
import { analysis, captureLogger, xConfig } from './support/x';

const ilse = { id: '111', name: 'Ilse' };
const REPLY_ENV = {
  X_MODE: 'off',
  X_POST_REPLIES: 'true',
  X_APP_KEY: 'app-key',
  X_APP_SECRET: 'app-secret-value',
  X_ACCESS_TOKEN: 'test-access-token-0001',
  X_ACCESS_SECRET: 'access-secret-value',
};

describe('sending an approved reply on X', () => {
  let fake: FakeX;
  let store: Store;
  let sender: ReplySender;
  let fanTweet: FakeTweet;
  let cap: ReturnType<typeof captureLogger>;

  beforeEach(async () => {
    fake = await new FakeX().start();
    store = openSqlite(':memory:');
    cap = captureLogger();
    const fan = fake.addUser({ username: 'sanne_vl', followers: 12_400 });
    fanTweet = fake.publish(fan, 'Honeymoon or Elfstedentocht? @OranjeAir');
    const h = startX({ config: xConfig(fake, REPLY_ENV), store, log: cap.log, emit: async () => {} });
    sender = h.replySender!;
    // The contract the Discord bot's "Send reply on X" button codes against.
    const forDiscord: DiscordReplySender = sender;
    void forDiscord;
  });

  afterEach(async () => {
    await fake.close();
    await store.close();
  });

  async function card(status: 'approved' | 'flagged' = 'approved', platform = 'x'): Promise<number> {
    const post: Post = {
      id: fanTweet.id,
      platform,
      author: { handle: 'sanne_vl', followers: 12_400 },
      text: fanTweet.text,
      createdAt: fanTweet.created_at,
    };
    const { opportunityId } = (await store.recordPost(post, { kind: 'opportunity', score: 0.9, signals: ['dilemma'], lang: 'en' }, { analysis, sinks: [] }))!;
    await store.transition(opportunityId!, status === 'approved' ? 'approved' : 'flagged', ilse);
    return opportunityId!;
  }

  const posts = () => fake.calls('tweets');

  it('posts exactly the approved text as a reply to the fan, once, after a double click; records and audits it', async () => {
    const id = await card();
    const [a, b] = await Promise.all([sender.send(id, ilse), sender.send(id, ilse)]);
    const again = await sender.send(id, ilse);
    expect(posts()).toHaveLength(1);
    expect(posts()[0]!.body).toEqual({ text: analysis.reply, reply: { in_reply_to_tweet_id: fanTweet.id } });
    const sent = fake.tweets.at(-1)!;
    const url = `https://x.com/OranjeAir/status/${sent.id}`;
    expect([a.url, b.url, again.url]).toEqual([url, url, url]);
    expect([a.alreadySent, b.alreadySent, again.alreadySent].filter(Boolean)).toHaveLength(2);
    expect(await store.getReply(id)).toMatchObject({ status: 'sent', tweetId: sent.id, url, text: analysis.reply, actorId: '111' });
    expect((await store.actionsFor(id)).filter((x) => x.action === 'x-reply-sent')).toEqual([
      expect.objectContaining({ actorName: 'Ilse', detail: url }),
    ]);
  });

  it('leaves the audit to the caller when no actor is given (the Discord button audits who clicked)', async () => {
    const id = await card();
    const r = await sender.send(id);
    expect(r.url).toMatch(/^https:\/\/x\.com\/OranjeAir\/status\/\d+$/);
    expect((await store.actionsFor(id)).filter((x) => x.action === 'x-reply-sent')).toHaveLength(0);
    expect(posts()).toHaveLength(1);
  });

  it('refuses a card that is not approved, or not about an X post, and sends nothing', async () => {
    const id = await card('flagged');
    await expect(sender.send(id, ilse)).rejects.toBeInstanceOf(ReplyRefused);
    await expect(sender.send(999, ilse)).rejects.toThrow(/does not exist/);
    expect(posts()).toHaveLength(0);
    expect(await store.getReply(id)).toBeNull();
  });

  it('after a crash while sending, finds the reply already on X instead of sending it twice', async () => {
    const id = await card();
    await store.claimReply({ opportunityId: id, inReplyTo: fanTweet.id, text: analysis.reply, actorId: '111', at: new Date(Date.now() - 120_000).toISOString() });
    // The crashed attempt had reached X.
    const onX = fake.publish(fake.users.get(fake.meId)!, analysis.reply, { referenced_tweets: [{ type: 'replied_to', id: fanTweet.id }] });
    const r = await sender.send(id, ilse);
    expect(posts()).toHaveLength(0);
    expect(r.url).toBe(`https://x.com/OranjeAir/status/${onX.id}`);
    expect((await store.getReply(id))?.status).toBe('sent');
  });

  it('does not take a fresh claim from elsewhere for a crash: it neither sends nor steals it', async () => {
    const id = await card();
    await store.claimReply({ opportunityId: id, inReplyTo: fanTweet.id, text: analysis.reply, actorId: '111', at: new Date().toISOString() });
    const err = await sender.send(id, ilse).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ReplyFailed);
    expect((err as Error).message).toMatch(/being sent/);
    expect(posts()).toHaveLength(0);
  });

  it('after a crash before X got it, sends it once', async () => {
    const id = await card();
    await store.claimReply({ opportunityId: id, inReplyTo: fanTweet.id, text: analysis.reply, actorId: '111', at: new Date(Date.now() - 120_000).toISOString() });
    await sender.send(id, ilse);
    await sender.send(id, ilse);
    expect(posts()).toHaveLength(1);
  });

  it('when X refuses (revoked user token), says so without the credentials and lets the team retry', async () => {
    const id = await card();
    fake.revoke('test-access-token-0001');
    const err = await sender.send(id, ilse).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ReplyFailed);
    expect((err as ReplyFailed).message).toMatch(/401.*X_ACCESS_TOKEN/);
    expect((err as ReplyFailed).uncertain).toBe(false);
    expect(await store.getReply(id)).toBeNull(); // claim released
    for (const secret of ['test-access-token-0001', 'access-secret-value', 'app-secret-value']) {
      expect(cap.text()).not.toContain(secret);
      expect((err as Error).message).not.toContain(secret);
    }
    fake.validTokens.add('test-access-token-0001');
    await sender.send(id, ilse);
    expect(posts().filter((p) => p.auth.startsWith('OAuth'))).toHaveLength(2); // the refused one and the retry
    expect((await store.getReply(id))?.status).toBe('sent');
  });
});
