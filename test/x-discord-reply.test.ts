import { commands } from '../commands/index';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadCatalogue } from '../src/analyse/catalogue';
import { loadConfig } from '../src/config';
import type { Post } from '../src/domain/post';
import { startDiscord, type DiscordRuntime } from '../src/discord/start';
import { startX } from '../src/sources/x/start';
import { openSqlite } from '../src/store/sqlite';
import type { SqlStore as Store } from '../src/store/sql-store';
import { FakeDiscord } from './fakes/discord';
import { FakeX } from './fakes/x';
import { analysis, analyst, captureLogger, until } from './support/x';

/** The whole reply path: the real discord.js bot's "Send reply on X" button → XReplySender → the fake X. */
describe('Send reply on X from a Discord card', () => {
  let fx: FakeX;
  let fd: FakeDiscord;
  let store: Store;
  let rt: DiscordRuntime | undefined;

  beforeEach(async () => {
    fx = await new FakeX().start();
    fd = await FakeDiscord.start();
    store = openSqlite(':memory:');
  });

  afterEach(async () => {
    await rt?.stop();
    await fd.close();
    await fx.close();
    await store.close();
  });

  it('posts the approved reply once when the button is clicked twice, audited once', async () => {
    const { log, text } = captureLogger();
    const config = loadConfig({
      DISCORD_TOKEN: fd.token,
      DISCORD_APPLICATION_ID: fd.appId,
      DISCORD_GUILD_ID: fd.guildId,
      DISCORD_CHANNEL_ID: fd.channelId,
      DISCORD_TEAM_ROLE_ID: fd.teamRoleId,
      DISCORD_API_URL: fd.apiUrl,
      X_API_URL: fx.url,
      X_POST_REPLIES: 'true',
      X_APP_KEY: 'app-key',
      X_APP_SECRET: 'app-secret-value',
      X_ACCESS_TOKEN: 'test-access-token-0001',
      X_ACCESS_SECRET: 'access-secret-value',
    });
    const fan = fx.addUser({ username: 'sanne_vl', followers: 12_400 });
    const tweet = fx.publish(fan, 'Honeymoon or Elfstedentocht? @OranjeAir');
    const post: Post = {
      id: tweet.id,
      platform: 'x',
      url: `https://x.com/sanne_vl/status/${tweet.id}`,
      author: { handle: 'sanne_vl', followers: 12_400 },
      text: tweet.text,
      createdAt: tweet.created_at,
    };
    const id = (await store.recordPost(post, { kind: 'opportunity', score: 0.9, signals: ['dilemma'], lang: 'en' }, { analysis, sinks: ['discord'] }))!
      .opportunityId!;
    await store.transition(id, 'approved', { id: fd.users.member.id, name: 'anna' });

    const x = startX({ config, store, log, emit: async () => {} });
    rt = await startDiscord({ commands, config, store, analyst, catalogue: loadCatalogue(), log, replySender: x.replySender, onWatchChanged: x.onWatchChanged });
    await fd.waitFor(() => fd.channelMessages().length === 1);
    const card = fd.channelMessages()[0]!;
    const buttons = card.components.flatMap((row: any) => row.components);
    expect(buttons.map((b: any) => b.custom_id)).toContain(`x-reply:${id}`);

    fd.click(fd.users.member, card, `x-reply:${id}`);
    fd.click(fd.users.member, card, `x-reply:${id}`);
    await until(async () => (await store.getReply(id))?.status === 'sent', 5000, 'reply sent');
    await new Promise((r) => setTimeout(r, 300));
    expect(fx.calls('tweets')).toHaveLength(1);
    expect(fx.calls('tweets')[0]!.body).toEqual({ text: analysis.reply, reply: { in_reply_to_tweet_id: tweet.id } });
    expect((await store.actionsFor(id)).filter((a) => a.action === 'x-reply-sent')).toHaveLength(1);
    expect(text()).not.toContain('test-access-token-0001');
  });
});
