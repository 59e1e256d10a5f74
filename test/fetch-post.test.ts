import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../src/log';
import { postFetcher, type PlatformFetcher } from '../src/sources/fetch-post';
import { metaPostFetchers, metaTarget } from '../src/sources/meta/fetch';
import { GraphClient } from '../src/sources/meta/graph';
import { xPostFetcher, xStatusId } from '../src/sources/x/fetch';
import { createXClient } from '../src/sources/x/client';
import { blueskyPostFetcher } from '../src/sources/bluesky/fetch';
import { mastodonPostFetcher, mastodonStatusId } from '../src/sources/mastodon/fetch';
import { FakeJetstream } from './fakes/jetstream';
import { FakeMastodon } from './fakes/mastodon';
import { FakeGraph } from './fakes/meta';
import { FakeX } from './fakes/x';

/** /missed's reading of a post Kairos never stored, by its link, from the platform it belongs to. */
const log = createLogger('silent');
let x: FakeX;
let graph: FakeGraph;
let bsky: FakeJetstream;
let masto: FakeMastodon;
beforeAll(async () => {
  x = await new FakeX().start();
  graph = await new FakeGraph().start();
  bsky = await new FakeJetstream().start();
  masto = await new FakeMastodon().start();
});
afterAll(async () => {
  await x.close();
  await graph.close();
  await bsky.close();
  await masto.close();
});

const bluesky = (mode: 'off' | 'jetstream' = 'jetstream') => ({ mode, handle: 'oranjeair.bsky.social', jetstreamUrl: `${bsky.url}/subscribe`, apiUrl: bsky.apiUrl, replayWindowHours: 24 });

const meta = () => ({ appSecret: 'app-secret-0001', verifyToken: 'verify-0001', pageId: graph.pageId, pageToken: graph.token, igUserId: graph.igUserId, graphUrl: graph.graphUrl, postReplies: false });

describe('links', () => {
  it('reads the post id of X links, and the Graph API id of Facebook and Instagram links', () => {
    expect(xStatusId(new URL('https://x.com/someone/status/1760000000000000001'))).toBe('1760000000000000001');
    expect(xStatusId(new URL('https://mobile.twitter.com/someone/status/17/photo/1'))).toBe('17');
    expect(xStatusId(new URL('https://x.com/i/web/status/42'))).toBe('42');
    expect(xStatusId(new URL('https://x.com/someone'))).toBeNull();
    expect(metaTarget(new URL('https://www.facebook.com/OranjeAir/posts/555'), '1000001')).toMatchObject({ platform: 'facebook', id: '1000001_555' });
    expect(metaTarget(new URL('https://m.facebook.com/permalink.php?story_fbid=555&id=2000002'), '1000001')).toMatchObject({ id: '2000002_555' });
    expect(metaTarget(new URL('https://www.facebook.com/1000001_555?comment_id=777'), '1000001')).toMatchObject({ id: '555_777', inReplyTo: '1000001_555' });
    expect(metaTarget(new URL('https://www.facebook.com/OranjeAir/posts/555?comment_id=777&reply_comment_id=888'), '1000001')).toMatchObject({ id: '555_888' });
    expect(metaTarget(new URL('https://www.instagram.com/p/C0deX_1/c/180000001/'), '1000001')).toMatchObject({ platform: 'instagram', id: '180000001', lookup: { kind: 'ig-comment' } });
    expect(metaTarget(new URL('https://www.instagram.com/p/C0deX_1/'), '1000001')).toMatchObject({ problem: expect.stringMatching(/names no comment/) });
    expect(metaTarget(new URL('https://www.facebook.com/share/p/1AbCdEf/'), '1000001')).toMatchObject({ problem: expect.stringMatching(/cannot tell which Facebook post/) });
  });
});

describe('postFetcher', () => {
  it('says which platform is not configured here, and which links are no platform it reads', async () => {
    const f = postFetcher([xPostFetcher(null), ...metaPostFetchers(undefined, undefined, log)], log);
    expect(await f.fetchPost('https://x.com/a/status/1')).toEqual({ ok: false, problem: 'X is not configured here (X_BEARER_TOKEN), so Kairos cannot fetch X posts.' });
    expect(await f.fetchPost('https://www.instagram.com/p/abc/c/1/')).toMatchObject({ ok: false, problem: expect.stringMatching(/^Facebook and Instagram are not configured here \(META_APP_SECRET/) });
    expect(await f.fetchPost('https://bsky.app/profile/a.bsky.social/post/3k')).toMatchObject({ ok: false, problem: 'bsky.app is not a platform Kairos reads (it reads X, Facebook and Instagram links).' });
    const all = postFetcher([xPostFetcher(null), ...metaPostFetchers(undefined, undefined, log), blueskyPostFetcher(bluesky('off')), mastodonPostFetcher(undefined)], log);
    expect(await all.fetchPost('https://example.com/p/1')).toMatchObject({ problem: 'example.com is not a platform Kairos reads (it reads X, Facebook, Instagram, Bluesky and Mastodon links).' });
  });

  it('reads an X post with its author and metrics, and says when X does not have it', async () => {
    const fan = x.addUser({ username: 'fetch_fan', followers: 1234, verifiedType: 'blue' });
    const t = x.publish(fan, 'A &amp; B: @OranjeAir first flight!', { public_metrics: { retweet_count: 3, reply_count: 1, like_count: 9, quote_count: 0, impression_count: 50 } });
    const f = postFetcher([xPostFetcher(createXClient({ bearerToken: 'test-bearer-token-0001' }, x.url))], log);
    const got = await f.fetchPost(`https://x.com/fetch_fan/status/${t.id}`);
    expect(got).toMatchObject({ ok: true, post: { id: t.id, platform: 'x', text: 'A & B: @OranjeAir first flight!', author: { handle: 'fetch_fan', followers: 1234, verified: true }, metrics: { likes: 9, reposts: 3 } } });
    expect(x.requests.at(-1)!.query.get('expansions')).toContain('author_id');
    expect(await f.fetchPost('https://x.com/fetch_fan/status/123')).toMatchObject({ ok: false, problem: expect.stringMatching(/^X did not give that post/) });
    expect(await f.fetchPost('https://x.com/fetch_fan')).toMatchObject({ ok: false, problem: expect.stringMatching(/names no post/) });
    // A token X refuses: said as X's status, never with the token.
    const refused = await postFetcher([xPostFetcher(createXClient({ bearerToken: 'wrong-token-000000001' }, x.url))], log).fetchPost(`https://x.com/fetch_fan/status/${t.id}`);
    expect(refused).toMatchObject({ ok: false, problem: expect.stringMatching(/^X did not answer as expected \(X answered 401/) });
    expect(JSON.stringify(refused)).not.toContain('wrong-token');
  });

  it('reads an Instagram comment on the brand’s media through the Graph API', async () => {
    graph.objects.set('180000001', { text: 'Oranje Air flew my grandpa home for his 100th ❤️', username: 'kleindochter', timestamp: '2026-04-02T08:00:00+0000', from: { id: '99', username: 'kleindochter' }, media: { permalink: 'https://www.instagram.com/p/C0deX_1/' } });
    const f = postFetcher(metaPostFetchers(meta(), new GraphClient({ baseUrl: graph.graphUrl, token: graph.token }), log), log);
    const got = await f.fetchPost('https://www.instagram.com/p/C0deX_1/c/180000001/');
    expect(got).toMatchObject({ ok: true, post: { platform: 'instagram', id: '180000001', author: { handle: 'kleindochter', id: '99' }, createdAt: '2026-04-02T08:00:00.000Z' } });
  });

  it('reads a Bluesky post by its bsky.app link: the handle resolved, the post and its author read from the AppView', async () => {
    bsky.addAccount({ did: 'did:plc:brand000000000000000000', handle: 'oranjeair.bsky.social' });
    const fan = bsky.addAccount({ did: 'did:plc:fan00000000000000000000', handle: 'skater.bsky.social', displayName: 'Skater', followersCount: 321 });
    const uri = bsky.post(fan, { text: 'honeymoon or the Elfstedentocht? @oranjeair.bsky.social', langs: ['en'], createdAt: '2026-04-02T07:00:00.000Z' });
    const rk = uri.split('/').pop()!;
    const f = postFetcher([blueskyPostFetcher(bluesky())], log);
    const got = await f.fetchPost(`https://bsky.app/profile/skater.bsky.social/post/${rk}`);
    expect(got).toMatchObject({
      ok: true,
      post: { id: uri, platform: 'bluesky', url: `https://bsky.app/profile/skater.bsky.social/post/${rk}`, author: { id: fan.did, handle: 'skater.bsky.social', name: 'Skater', followers: 321 }, createdAt: '2026-04-02T07:00:00.000Z', lang: 'en', metrics: { likes: 2, reposts: 1 } },
    });
    expect(bsky.apiCalls.some((c) => c.method === 'app.bsky.feed.getPosts' && c.params.get('uris') === uri)).toBe(true);
    // By DID too; a post that is not there and an account that does not exist are said as such.
    expect(await f.fetchPost(`https://bsky.app/profile/${fan.did}/post/${rk}`)).toMatchObject({ ok: true, post: { id: uri } });
    expect(await f.fetchPost(`https://bsky.app/profile/skater.bsky.social/post/3nothere`)).toEqual({ ok: false, problem: 'Bluesky has no such post (deleted, or never there).' });
    expect(await f.fetchPost(`https://bsky.app/profile/nobody.bsky.social/post/${rk}`)).toEqual({ ok: false, problem: 'Bluesky knows no account nobody.bsky.social.' });
    expect(await postFetcher([blueskyPostFetcher(bluesky('off'))], log).fetchPost(`https://bsky.app/profile/skater.bsky.social/post/${rk}`)).toMatchObject({ ok: false, problem: expect.stringMatching(/^Bluesky is not configured here/) });
  });

  it('reads a Mastodon status on the brand’s instance by id, and one elsewhere by resolving its address', async () => {
    expect(mastodonStatusId(new URL('https://mastodon.social/@fan@example.social/1100'))).toBe('1100');
    expect(mastodonStatusId(new URL('https://example.social/users/fan/statuses/1100'))).toBe('1100');
    expect(mastodonStatusId(new URL('https://example.social/about'))).toBeNull();
    const config = { url: masto.url, token: masto.token };
    const f = postFetcher([mastodonPostFetcher(config)], log);
    const fan = masto.account('reiziger', 'example.social', 77);
    const s = masto.status(fan, '<p>@oranjeair our first flight together &amp; a proposal ✈️</p>');
    const local = await f.fetchPost(`${masto.url}/@reiziger@example.social/${s.id}`);
    expect(local).toMatchObject({ ok: true, post: { id: s.id, platform: 'mastodon', text: '@oranjeair our first flight together & a proposal ✈️', author: { handle: 'reiziger@example.social', followers: 77 } } });
    expect(masto.requests.at(-1)!.path).toBe(`/api/v1/statuses/${s.id}`);
    const remote = await f.fetchPost(String(s.url));
    expect(remote).toMatchObject({ ok: true, post: { id: s.id } });
    expect(masto.requests.at(-1)).toMatchObject({ path: '/api/v2/search' });
    expect(masto.requests.at(-1)!.query.get('resolve')).toBe('true');
    expect(await f.fetchPost(`${masto.url}/@reiziger/999`)).toMatchObject({ ok: false, problem: expect.stringMatching(/^Mastodon has no such post/) });
    expect(await f.fetchPost('https://elsewhere.example/@x/12345')).toMatchObject({ ok: false, problem: expect.stringMatching(/could not find that post on elsewhere\.example/) });
    const refused = await postFetcher([mastodonPostFetcher({ url: masto.url, token: 'wrong-token-000' })], log).fetchPost(`${masto.url}/@reiziger/${s.id}`);
    expect(refused).toEqual({ ok: false, problem: 'Mastodon did not answer as expected (the instance refused the token (401)); try again later.' });
    expect(await postFetcher([mastodonPostFetcher(undefined)], log).fetchPost(`${masto.url}/@reiziger/${s.id}`)).toMatchObject({ ok: false, problem: expect.stringMatching(/^Mastodon is not configured here/) });
  });

  it('checks what a platform gave against the Post contract, and turns a failure into a sentence', async () => {
    const odd: PlatformFetcher = {
      name: 'Odd',
      matches: (u) => u.hostname === 'odd.example',
      unavailable: null,
      fetch: async (u) => (u.pathname === '/bad' ? { ok: true, post: { id: '1', platform: 'odd', author: { handle: '' }, text: '', createdAt: 'yesterday' } as never } : Promise.reject(new Error('socket hang up'))),
    };
    const f = postFetcher([odd], log);
    expect(await f.fetchPost('https://odd.example/bad')).toMatchObject({ ok: false, problem: expect.stringMatching(/^Odd's answer is not a post Kairos can read \(.*author\.handle/) });
    expect(await f.fetchPost('https://odd.example/down')).toEqual({ ok: false, problem: 'Odd did not answer as expected (socket hang up); try again later.' });
    expect(await f.fetchPost('nonsense')).toEqual({ ok: false, problem: 'that is not a link.' });
  });
});
