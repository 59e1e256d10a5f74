import { describe, expect, it } from 'vitest';
import type { TweetV2, UserV2 } from 'twitter-api-v2';
import { newerId, retryDelayMs, DEFAULT_BACKOFF } from '../src/sources/x/client';
import { normalisePage, normaliseTweet } from '../src/sources/x/normalise';
import { nextPollDelayMs } from '../src/sources/x/poll';
import { desiredRules, gapQueries, MAX_RULE_CHARS, planRules } from '../src/sources/x/rules';

const user: UserV2 = {
  id: '42',
  username: 'sanne_vl',
  name: 'Sanne',
  verified: false,
  verified_type: 'blue',
  public_metrics: { followers_count: 12_400, following_count: 1, tweet_count: 3, listed_count: 0 },
};

const tweet: TweetV2 = {
  id: '1760000000000000001',
  text: 'Honeymoon or the Elfstedentocht? &amp; @OranjeAir &lt;3',
  edit_history_tweet_ids: ['1760000000000000001'],
  author_id: '42',
  created_at: '2026-02-03T10:00:00.000Z',
  lang: 'nl',
  public_metrics: { like_count: 35, retweet_count: 12, reply_count: 9, quote_count: 2, impression_count: 900 },
  referenced_tweets: [{ type: 'replied_to', id: '1759999999999999999' }],
};

describe('normaliseTweet', () => {
  it('turns an X v2 post and its author into a Post with reach, metrics, language, time and reply target', () => {
    const n = normaliseTweet(tweet, [user]);
    expect(n.ok).toBe(true);
    if (!n.ok) return;
    expect(n.post).toEqual({
      id: '1760000000000000001',
      platform: 'x',
      url: 'https://x.com/sanne_vl/status/1760000000000000001',
      author: { id: '42', handle: 'sanne_vl', name: 'Sanne', followers: 12_400, verified: true },
      text: 'Honeymoon or the Elfstedentocht? & @OranjeAir <3',
      lang: 'nl',
      createdAt: '2026-02-03T10:00:00.000Z',
      metrics: { likes: 35, reposts: 12, replies: 9, quotes: 2 },
      inReplyTo: '1759999999999999999',
    });
  });

  it('treats verified_type none as unverified, drops the "und" language, and uses the long text of a note tweet', () => {
    const n = normaliseTweet(
      { ...tweet, lang: 'und', note_tweet: { text: 'a long post' }, referenced_tweets: undefined },
      [{ ...user, verified: false, verified_type: 'none' }],
    );
    expect(n.ok && n.post).toMatchObject({ author: { verified: false }, text: 'a long post', inReplyTo: null });
    expect(n.ok && n.post.lang).toBeUndefined();
  });

  it('keeps a post whose author is missing from includes, with a generic link; rejects one without a time', () => {
    const n = normaliseTweet(tweet, []);
    expect(n.ok && n.post.url).toBe('https://x.com/i/web/status/1760000000000000001');
    expect(n.ok && n.post.author.followers).toBe(0);
    const bad = normaliseTweet({ ...tweet, created_at: undefined }, [user]);
    expect(bad.ok).toBe(false);
  });

  it('skips retweets in a page', () => {
    const page = normalisePage({ data: [tweet, { ...tweet, id: '2', referenced_tweets: [{ type: 'retweeted', id: '1' }] }], includes: { users: [user] } });
    expect(page.posts.map((p) => p.id)).toEqual(['1760000000000000001']);
    expect(page.retweets).toBe(1);
  });
});

describe('stream rules', () => {
  const brand = { name: 'Oranje Air', handles: ['OranjeAir'], terms: ['Oranje Air', 'OranjeAir'], languages: ['en', 'nl'] };

  it('derives a brand rule (handles, terms, languages, no retweets, not the brand itself) and one rule per watch term', () => {
    const rules = desiredRules(brand, ['Elfstedentocht', '#koningsdag', 'say "hi"']);
    expect(rules[0]).toEqual({
      value: '(@OranjeAir OR "Oranje Air" OR "OranjeAir") (lang:en OR lang:nl) -is:retweet -from:OranjeAir',
      tag: 'kairos:brand',
    });
    expect(rules.slice(1).map((r) => r.value)).toEqual([
      '"Elfstedentocht" (lang:en OR lang:nl) -is:retweet -from:OranjeAir',
      '#koningsdag (lang:en OR lang:nl) -is:retweet -from:OranjeAir',
      '"say hi" (lang:en OR lang:nl) -is:retweet -from:OranjeAir',
    ]);
    expect(rules[1]!.tag).toBe('kairos:watch:elfstedentocht');
  });

  it('splits a brand rule that would exceed X’s length limit', () => {
    const many = Array.from({ length: 60 }, (_, i) => `term number ${i}`);
    const rules = desiredRules({ ...brand, terms: many }, []);
    expect(rules.length).toBeGreaterThan(1);
    for (const r of rules) expect(r.value.length).toBeLessThanOrEqual(MAX_RULE_CHARS);
  });

  it('plans to add the missing, delete stale Kairos rules, and leave other tools’ rules alone', () => {
    const plan = planRules(
      [
        { id: '1', value: 'keep me', tag: 'kairos:brand' },
        { id: '2', value: 'stale', tag: 'kairos:watch:old' },
        { id: '3', value: 'someone else', tag: 'other-tool' },
      ],
      [
        { value: 'keep me', tag: 'kairos:brand' },
        { value: 'new', tag: 'kairos:watch:new' },
      ],
    );
    expect(plan.add.map((r) => r.value)).toEqual(['new']);
    expect(plan.delete.map((r) => r.id)).toEqual(['2']);
    expect(plan.foreign.map((r) => r.id)).toEqual(['3']);
  });

  it('packs the active rules into gap queries that fit', () => {
    const qs = gapQueries(['a b', 'c']);
    expect(qs).toEqual(['(a b) OR (c)']);
    const long = Array.from({ length: 10 }, (_, i) => `${'x'.repeat(100)}${i}`);
    for (const q of gapQueries(long)) expect(q.length).toBeLessThanOrEqual(MAX_RULE_CHARS);
  });
});

describe('timing', () => {
  it('stretches the poll interval to the rate limit and waits for the reset when none remain', () => {
    const now = 1_000_000_000_000;
    expect(nextPollDelayMs(60_000, undefined, 1000, now)).toBe(60_000);
    // 900 s left, 5 calls left: one every 180 s.
    expect(nextPollDelayMs(60_000, { limit: 180, remaining: 5, reset: now / 1000 + 900 }, 1000, now)).toBe(180_000);
    expect(nextPollDelayMs(60_000, { limit: 180, remaining: 0, reset: now / 1000 + 300 }, 1000, now)).toBe(301_000);
    expect(nextPollDelayMs(60_000, { limit: 180, remaining: 170, reset: now / 1000 + 900 }, 1000, now)).toBe(60_000);
  });

  it('waits until the reset on a 429 and backs off exponentially on a 5xx', () => {
    const now = 5_000_000;
    expect(retryDelayMs({ kind: 'rate-limit', message: '', resetAt: now + 7000 }, 1, DEFAULT_BACKOFF, now)).toBe(8000);
    expect(retryDelayMs({ kind: 'server', message: '' }, 1, DEFAULT_BACKOFF)).toBe(5000);
    expect(retryDelayMs({ kind: 'server', message: '' }, 3, DEFAULT_BACKOFF)).toBe(20_000);
    expect(retryDelayMs({ kind: 'server', message: '' }, 30, DEFAULT_BACKOFF)).toBe(DEFAULT_BACKOFF.maxMs);
  });

  it('compares ids beyond 2^53 numerically', () => {
    expect(newerId('1760000000000000010', '1760000000000000009')).toBe(true);
    expect(newerId('999', '1000')).toBe(false);
    expect(newerId('5', null)).toBe(true);
  });
});

describe('normaliseTweet entities', () => {
  it('decodes every HTML entity X leaves in a post, numeric ones included, and the author name', () => {
    const n = normaliseTweet({ ...tweet, text: 'Tom &amp; Jerry&#39;s &quot;trip&quot; &#8364;75' }, [{ ...user, name: 'A &amp; B' }]);
    expect(n.ok && n.post.text).toBe('Tom & Jerry\'s "trip" €75');
    expect(n.ok && n.post.author.name).toBe('A & B');
  });
});
