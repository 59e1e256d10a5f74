import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { loadBrandPack } from '../src/analyse/brand-pack';
import { offlineAnalystFor } from '../src/app';
import { loadConfig } from '../src/config';
import { staticContext } from '../src/detect/context';
import { createTriager } from '../src/detect/triage';
import type { StoryPost } from '../src/domain/analysis';
import type { Post } from '../src/domain/post';
import { createLogger } from '../src/log';
import { main } from '../src/main';
import { Pipeline } from '../src/pipeline';
import { openSqlite } from '../src/store/sqlite';
import type { SqlStore } from '../src/store/sql-store';
import { FakeDiscord } from './fakes/discord';
import { packPosts } from './support/brand-posts';
import { detectionReading } from '../src/detect/reading';
import { loadCalendar } from '../src/detect/events';

/**
 * One story, one card: a columnist quoting a customer's post, and someone replying to the columnist, join the card
 * of the customer's post (its story, its reach, its score) instead of opening cards of their own, by reply, quote or
 * link, on any platform. Posts written for the tests, to Brightwell (test/brand-packs/brightwell).
 */

const PACK = fileURLToPath(new URL('./brand-packs/brightwell/', import.meta.url));
const posts = packPosts(PACK);
const brother = posts.get('05') as Post; // a discrimination claim with reach: a card
const quote: Post = {
  id: '8200000000000000101',
  platform: 'x',
  url: 'https://x.com/columnist_june/status/8200000000000000101',
  author: { handle: 'columnist_june', name: 'June', followers: 210_000 },
  text: 'Columnist here. @Brightwell, call that man whose brother was followed around your store. Today. https://t.co/abc',
  lang: 'en',
  createdAt: '2026-04-14T12:00:00Z',
  metrics: { likes: 900, reposts: 2_400, replies: 80, quotes: 40 },
  quoteOf: brother.id,
  links: [brother.url as string],
};
const echo: Post = {
  id: '8200000000000000102',
  platform: 'x',
  url: 'https://x.com/reader_tom/status/8200000000000000102',
  author: { handle: 'reader_tom', followers: 300 },
  text: '@columnist_june @Brightwell the same happened to my cousin at the Leeds store last month. Not OK.',
  lang: 'en',
  createdAt: '2026-04-14T12:30:00Z',
  inReplyTo: quote.id,
};
const spam: Post = {
  id: '8200000000000000103',
  platform: 'x',
  author: { handle: 'crypto_king', followers: 10 },
  text: '@big_voice 🚀🚀 earn $5000 a week from home, DM me "RICH" now https://bit.ly/x',
  lang: 'en',
  createdAt: '2026-04-14T12:40:00Z',
  inReplyTo: brother.id,
};

const config = loadConfig({ KAIROS_BRAND_DIR: PACK });
const triage = createTriager(staticContext(config.brand));
const analyst = offlineAnalystFor(config, loadBrandPack(config.brand.dir), {
  usage: () => () => 0,
  triage,
  events: loadCalendar(config.eventsFile),
  reading: detectionReading,
});

describe('one story, one card (pipeline and store)', () => {
  let store: SqlStore;
  let joins: { id: number; entry: StoryPost }[];
  let pipeline: Pipeline;
  beforeEach(() => {
    store = openSqlite(':memory:');
    joins = [];
    pipeline = new Pipeline({
      store,
      triage,
      analyst,
      sinks: ['console'],
      log: createLogger('silent'),
      onJoin: (id, entry) => joins.push({ id, entry }),
    });
  });
  afterEach(() => store.close());

  it('joins a quote of a carded post, and a reply to that quote, to the first card: no second card', async () => {
    const first = await pipeline.ingest(brother);
    expect(first.status === 'processed' && first.opportunityId).toBe(1);
    const before = (await store.getOpportunity(1))?.score ?? 0;

    const q = await pipeline.ingest(quote);
    expect(q).toMatchObject({ status: 'processed', opportunityId: 1, joined: true });
    const r = await pipeline.ingest(echo);
    expect(r).toMatchObject({ status: 'processed', opportunityId: 1, joined: true });

    expect(await store.listCards()).toHaveLength(1);
    const card = await store.getOpportunity(1);
    expect(card?.analysis.story?.map((s) => [s.handle, s.how])).toEqual([
      ['columnist_june', 'quote'],
      ['reader_tom', 'reply'],
    ]);
    expect(card?.score).toBeGreaterThanOrEqual(before);
    expect(joins.map((j) => j.id)).toEqual([1, 1]);
    // The joining posts are stored with their own verdicts; seen again, they are duplicates.
    expect(await store.seenKind(quote)).not.toBeNull();
    expect(await pipeline.ingest(quote)).toEqual({ status: 'duplicate' });
  });

  it('lets no noise join a story', async () => {
    await pipeline.ingest(brother);
    const s = await pipeline.ingest(spam);
    expect(s.status === 'processed' && s.triage.kind).toBe('noise');
    expect(s.status === 'processed' && s.joined).toBeFalsy();
    expect((await store.getOpportunity(1))?.analysis.story).toBeUndefined();
  });

  it('joins by the post address on a platform whose ids are not in its links', async () => {
    const bsky: Post = { ...brother, id: 'at-3kx1', platform: 'bluesky', url: 'https://bsky.app/profile/leah.bsky.social/post/3kx1' };
    const amplifier: Post = {
      ...quote,
      id: 'at-3kx2',
      platform: 'bluesky',
      url: 'https://bsky.app/profile/june.bsky.social/post/3kx2',
      quoteOf: undefined,
      links: undefined,
      text: `Columnist here. @Brightwell, call that man whose brother was followed around your store. ${bsky.url}`,
    };
    await pipeline.ingest(bsky);
    expect(await pipeline.ingest(amplifier)).toMatchObject({ joined: true, opportunityId: 1 });
    expect((await store.getOpportunity(1))?.analysis.story?.[0]).toMatchObject({ handle: 'columnist_june', how: 'link', platform: 'bluesky' });
  });

  it('opens a card as before for a post that builds on a post without one', async () => {
    const alone = await pipeline.ingest({ ...quote, quoteOf: '42', links: ['https://x.com/someone/status/42'] });
    expect(alone.status === 'processed' && alone.joined).toBeFalsy();
    expect(alone.status === 'processed' && alone.opportunityId).toBe(1);
  });
});

describe('one story, one card (in the fake Discord)', () => {
  let fake: FakeDiscord;
  let dir: string;
  beforeAll(async () => {
    fake = await FakeDiscord.start();
    dir = mkdtempSync(join(tmpdir(), 'kairos-story-'));
  });
  afterAll(async () => {
    await fake?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  async function until(what: string, done: () => boolean, timeoutMs = 20_000): Promise<void> {
    const end = Date.now() + timeoutMs;
    while (!done()) {
      if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 25));
    }
  }

  const cards = () => fake.messagePosts().filter((r) => /Kairos card #\d+/.test(r.body?.embeds?.[0]?.footer?.text ?? ''));
  const threadText = () => fake.threads.flatMap((t) => fake.messagePosts(t.id)).map((r) => String(r.body?.content ?? '')).join('\n');

  /** Runs main on a replay of `list` until `ready`, then stops it as an operator does; returns its output. */
  async function run(list: Post[], ready: (out: string) => boolean): Promise<string> {
    const replay = join(dir, 'posts.jsonl');
    writeFileSync(replay, list.map((p) => JSON.stringify(p)).join('\n'));
    const out = new PassThrough();
    let text = '';
    out.setEncoding('utf8').on('data', (d: string) => (text += d));
    const running = main(
      {
        LOG_LEVEL: 'silent',
        KAIROS_DB: join(dir, 'kairos.db'),
        KAIROS_REPLAY_FILE: replay,
        KAIROS_BRAND_DIR: PACK,
        DISCORD_TOKEN: fake.token,
        DISCORD_APPLICATION_ID: fake.appId,
        DISCORD_GUILD_ID: fake.guildId,
        DISCORD_CHANNEL_ID: fake.channelId,
        DISCORD_API_URL: fake.apiUrl,
      },
      out,
    );
    try {
      await until('the run to be ready', () => ready(text));
      await new Promise((r) => setTimeout(r, 500));
    } finally {
      process.emit('SIGTERM');
    }
    expect(await running).toBe(0);
    return text;
  }

  it('posts one card, with the quote and the reply that joined it on its way in its thread, never a second card', async () => {
    const text = await run([brother, quote, echo], (t) => /Cards: 1 new/.test(t) && cards().length === 1 && /@reader\\?_tom/.test(threadText()));
    expect(text).toMatch(/Joined the story of an existing card: 2/);
    // One card in the channel, one thread under it, the two posts in that thread, and nothing else in the channel.
    expect(cards()).toHaveLength(1);
    expect(fake.messagePosts()).toHaveLength(1);
    expect(fake.threads).toHaveLength(1);
    expect(threadText()).toMatch(/@columnist\\?_june \(210,000 followers, 2,440 reposts\) quoted it/);
    expect(threadText()).toMatch(/@reader\\?_tom \(300 followers, 0 reposts\) replied/);
    for (const r of fake.requests.filter((x) => x.method === 'POST' && /messages$/.test(x.path))) expect(r.body.allowed_mentions).toEqual({ parse: [] });
  });

  it('adds a post that joins later as one line in the thread and redraws the card, with no message in the channel', async () => {
    const later: Post = { ...echo, id: '8200000000000000104', url: 'https://x.com/ana_r/status/8200000000000000104', author: { handle: 'ana_r', followers: 1_200 }, text: '@columnist_june @Brightwell your security followed my son around the Bristol store too. Nobody ever apologised.' };
    const channelBefore = fake.messagePosts().length;
    const patches = () => fake.requests.filter((r) => r.method === 'PATCH' && r.path.includes(`/channels/${fake.channelId}/messages/`));
    const patchedBefore = patches().length;
    const text = await run([later], () => /@ana\\?_r/.test(threadText()));
    expect(text).toMatch(/Joined the story of an existing card: 1/);
    expect(fake.messagePosts()).toHaveLength(channelBefore);
    expect(fake.threads).toHaveLength(1);
    expect(threadText().match(/@ana\\?_r/g)).toHaveLength(1);
    const redrawn = patches().slice(patchedBefore).at(-1);
    expect(JSON.stringify(redrawn?.body)).toMatch(/The story travels: 3 more posts, 211,500 more followers/);
  });
});
