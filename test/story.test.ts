import { describe, expect, it } from 'vitest';
import { storyRefs } from '../src/domain/story';
import { normaliseTweet } from '../src/sources/x/normalise';

const base = { id: '20', url: 'https://x.com/bas/status/20', text: 'Call her. Today.', inReplyTo: null };

describe('storyRefs', () => {
  it('ties a post to the posts it replies to, quotes or links, by id or address, never to itself', () => {
    expect(storyRefs({ ...base, inReplyTo: '10' }).ids).toEqual(['10']);
    expect(storyRefs({ ...base, quoteOf: '11' }).ids).toEqual(['11']);
    expect(storyRefs({ ...base, text: 'Look: https://x.com/gonny/status/12 and https://twitter.com/i/web/status/13.' }).ids).toEqual(['12', '13']);
    expect(storyRefs({ ...base, links: ['https://x.com/gonny/status/14?s=20'], text: 'see https://t.co/abc' })).toEqual({ ids: ['14'], urls: [] });
    expect(storyRefs({ ...base, text: 'https://bsky.app/profile/a.bsky.social/post/3kx.' }).urls).toEqual(['https://bsky.app/profile/a.bsky.social/post/3kx']);
    expect(storyRefs({ ...base, text: 'me: https://x.com/bas/status/20', inReplyTo: '20' })).toEqual({ ids: [], urls: [] });
  });

  it('reads quotes and full link addresses from X', () => {
    const n = normaliseTweet(
      {
        id: '30',
        text: 'This. https://t.co/x',
        edit_history_tweet_ids: ['30'],
        author_id: '1',
        created_at: '2026-02-03T10:00:00.000Z',
        referenced_tweets: [{ type: 'quoted', id: '29' }],
        entities: { urls: [{ start: 6, end: 19, url: 'https://t.co/x', expanded_url: 'https://x.com/gonny/status/29', display_url: 'x.com/gonny/status/29' }] },
      } as never,
      [{ id: '1', username: 'bas', name: 'Bas' }],
    );
    expect(n.ok && n.post.quoteOf).toBe('29');
    expect(n.ok && n.post.links).toEqual(['https://x.com/gonny/status/29']);
    expect(n.ok && storyRefs(n.post).ids).toEqual(['29']);
  });
});
