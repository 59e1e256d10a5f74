import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config';
import type { Post } from '../src/domain/post';
import { htmlToText } from '../src/sources/mastodon/normalise';
import { startMastodon, type MastodonHandle } from '../src/sources/mastodon/start';
import { openSqlite } from '../src/store/sqlite';
import type { SqlStore as Store } from '../src/store/sql-store';
import { FakeMastodon, type FakeMastoAccount } from './fakes/mastodon';
import { captureLogger, cardPipeline, TEST_BACKOFF, until } from './support/x';

describe('Mastodon against a fake instance', () => {
  let fake: FakeMastodon;
  let fan: FakeMastoAccount;
  const handles: MastodonHandle[] = [];
  const stores: Store[] = [];

  beforeEach(async () => {
    fake = await new FakeMastodon().start();
    fan = fake.account('sanne', 'mastodon.nl', 340);
  });

  afterEach(async () => {
    for (const h of handles.splice(0)) await h.stop();
    await fake.close();
    for (const s of stores.splice(0)) await s.close();
  });

  function start(store: Store, emit: (p: Post) => Promise<unknown>, log = captureLogger().log, token = fake.token) {
    const config = loadConfig({ MASTODON_URL: fake.url, MASTODON_TOKEN: token, BRAND_TERMS: 'Oranje Air', BRAND_HANDLES: 'OranjeAir' });
    const h = startMastodon({ config, store, log, emit, timing: { backoff: TEST_BACKOFF, pingMs: 5_000 } });
    handles.push(h);
    return h;
  }

  function memStore(): Store {
    const s = openSqlite(':memory:');
    stores.push(s);
    return s;
  }

  it('turns mentions and brand-hashtag statuses into cards, as plain text with user@instance and the status URL', async () => {
    const store = memStore();
    await store.addWatch('Elfstedentocht', 'term', { id: '1', name: 'Ilse' });
    const p = cardPipeline(store);
    start(store, p.emit);
    await until(() => fake.subscribed('user:notification', 'hashtag:oranjeair', 'hashtag:elfstedentocht') === 1, 5000, 'subscribed');

    const m = fake.mention(fan, '<p><span class="h-card"><a href="https://x/@oranjeair" class="u-url mention">@<span>oranjeair</span></a></span> we got married &amp; fly tomorrow!</p><p>Thank you</p>');
    fake.favourite(fan);
    const t = fake.tagPost(fake.account('piet', 'fosstodon.org'), 'elfstedentocht', '<p>Skating to <a href="https://x/tags/Elfstedentocht">#<span>Elfstedentocht</span></a></p>');
    fake.tagPost(fan, 'oranjeair', '<p>Boosted</p>');
    fake.statuses.at(-1)!.reblog = { id: '1' };
    // The brand's own status on its tag: never a card.
    fake.tagPost(fake.me, 'oranjeair', '<p>Our news</p>');
    await until(() => p.triaged.length === 3, 5000, 'three posts');
    await new Promise((r) => setTimeout(r, 50));
    expect(p.triaged.map((x) => x.text)).toEqual(['@oranjeair we got married & fly tomorrow!\n\nThank you', 'Skating to #Elfstedentocht', 'Boosted']);
    expect(p.triaged[0]).toMatchObject({ id: m.id, platform: 'mastodon', url: m.url, author: { handle: 'sanne@mastodon.nl', followers: 340 }, lang: 'en' });
    expect(p.triaged[1]!.author.handle).toBe('piet@fosstodon.org');
    expect(p.triaged[1]!.id).toBe(t.id);
    expect(await store.listCards()).toHaveLength(3);
  });

  it('after a drop, fetches what was missed with since_id (across pages), then goes on live: nothing lost or doubled', async () => {
    const store = memStore();
    const p = cardPipeline(store);
    start(store, p.emit);
    await until(() => fake.subscribed('user:notification') === 1);
    const sent = [fake.mention(fan, '<p>first</p>').id as string];
    await until(() => p.triaged.length === 1);
    fake.refusing = true;
    fake.drop();
    for (let i = 0; i < 45; i++) sent.push(fake.mention(fan, `<p>while away ${i}</p>`).id as string);
    await new Promise((r) => setTimeout(r, 60));
    fake.refusing = false;
    await until(() => p.triaged.length === 46, 5000, 'gap fetched');
    sent.push(fake.mention(fan, '<p>live again</p>').id as string);
    await until(() => p.triaged.length === 47);
    expect(p.triaged.map((x) => x.id)).toEqual(sent);
    const gapCalls = fake.requests.filter((r) => r.path === '/api/v1/notifications' && r.query.get('since_id'));
    expect(gapCalls.length).toBeGreaterThanOrEqual(2);
    expect(gapCalls[0]!.query.get('since_id')).toBe(fake.notifications[0]!.id);
  });

  it('resumes after a restart from the stored cursors', async () => {
    const store = memStore();
    const p = cardPipeline(store);
    const h = start(store, p.emit);
    await until(() => fake.subscribed('user:notification', 'hashtag:oranjeair') === 1);
    fake.tagPost(fan, 'oranjeair', '<p>one</p>');
    await until(() => p.triaged.length === 1);
    await h.stop();
    fake.tagPost(fan, 'oranjeair', '<p>two, while down</p>');
    fake.mention(fan, '<p>three, while down</p>');
    const again = cardPipeline(store);
    start(store, again.emit);
    await until(() => again.triaged.length === 2, 5000, 'the downtime');
    expect(again.triaged.map((x) => x.text).sort()).toEqual(['three, while down', 'two, while down']);
    expect(await store.listCards()).toHaveLength(3);
  });

  it('a refused token stops only the source, naming MASTODON_TOKEN, and never logs the token', async () => {
    const store = memStore();
    const { log, text } = captureLogger();
    const h = start(store, cardPipeline(store).emit, log, 'wrong-token-123456');
    await h.done;
    expect(h.source!.status).toMatchObject({ state: 'failed' });
    expect(text()).toContain('MASTODON_TOKEN');
    expect(text()).toContain('401');
    expect(text()).not.toContain('wrong-token-123456');
  });

  it('reads HTML as text', () => {
    expect(htmlToText('<p>a &lt;b&gt; &amp;amp; c<br>d</p><p>e</p>')).toBe('a <b> &amp; c\nd\n\ne');
  });
});

describe('Mastodon settings', () => {
  it('asks for the instance and the token together, and never repeats the token', () => {
    expect(() => loadConfig({ MASTODON_URL: 'https://mastodon.social' })).toThrow(/MASTODON_TOKEN: required when MASTODON_URL is set/);
    expect(() => loadConfig({ MASTODON_TOKEN: 'secret-token-999' })).toThrow(/MASTODON_URL: required/);
    let message = '';
    try {
      loadConfig({ MASTODON_URL: 'https://mastodon.social', MASTODON_TOKEN: 'short' });
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).toContain('MASTODON_TOKEN: expected an access token');
    expect(message).not.toContain('short"');
    expect(loadConfig({ MASTODON_URL: 'https://mastodon.social', MASTODON_TOKEN: 'secret-token-999' }).mastodon).toEqual({ url: 'https://mastodon.social', token: 'secret-token-999', postReplies: false });
    expect(loadConfig({ MASTODON_URL: 'https://mastodon.social', MASTODON_TOKEN: 'secret-token-999', MASTODON_POST_REPLIES: 'true' }).mastodon?.postReplies).toBe(true);
    expect(() => loadConfig({ MASTODON_POST_REPLIES: 'true' })).toThrow(/MASTODON_POST_REPLIES: needs MASTODON_URL and MASTODON_TOKEN \(a token with write:statuses\)/);
  });
});
