import type { TweetV2, UserV2 } from 'twitter-api-v2';
import { decodePostText, describeIssues, PostSchema, type Post } from '../../domain/post';

export type Normalised = { ok: true; post: Post } | { ok: false; id: string | undefined; error: string };

/** A post retweeting another: never a fan's own words. */
export function isRetweet(tweet: Pick<TweetV2, 'referenced_tweets'>): boolean {
  return tweet.referenced_tweets?.some((r) => r.type === 'retweeted') ?? false;
}

/**
 * An X v2 post and the users of the same response (includes.users) → a Post: author reach and verification, public
 * metrics, language, time, link, and the post it answers. Pure; the result is validated with PostSchema.
 */
export function normaliseTweet(tweet: TweetV2, users: readonly UserV2[] = []): Normalised {
  const author = tweet.author_id ? users.find((u) => u.id === tweet.author_id) : undefined;
  const handle = author?.username ?? tweet.author_id;
  if (!handle) return { ok: false, id: tweet.id, error: 'post without an author (author_id missing)' };
  const m = tweet.public_metrics;
  const lang = tweet.lang && tweet.lang !== 'und' && tweet.lang !== 'zxx' ? tweet.lang : undefined;
  const repliedTo = tweet.referenced_tweets?.find((r) => r.type === 'replied_to')?.id ?? null;
  const quoted = tweet.referenced_tweets?.find((r) => r.type === 'quoted')?.id;
  // X shortens every link to t.co in the text; the full address says which post a link points at.
  const links = (tweet.note_tweet?.entities?.urls ?? tweet.entities?.urls ?? [])
    .map((u) => u.unwound_url ?? u.expanded_url ?? u.url)
    .filter((u): u is string => typeof u === 'string' && u.length <= 2048)
    .slice(0, 20);
  const verified =
    author === undefined
      ? undefined
      : (author.verified_type !== undefined && author.verified_type !== 'none') || author.verified === true;
  const candidate = {
    id: tweet.id,
    platform: 'x',
    url: author ? `https://x.com/${author.username}/status/${tweet.id}` : `https://x.com/i/web/status/${tweet.id}`,
    author: {
      id: tweet.author_id,
      handle,
      name: author?.name?.slice(0, 128),
      followers: author?.public_metrics?.followers_count ?? 0,
      verified,
    },
    text: tweet.note_tweet?.text ?? tweet.text ?? '',
    lang,
    createdAt: tweet.created_at,
    metrics: m
      ? { likes: m.like_count ?? 0, reposts: m.retweet_count ?? 0, replies: m.reply_count ?? 0, quotes: m.quote_count ?? 0 }
      : undefined,
    inReplyTo: repliedTo,
    ...(quoted ? { quoteOf: quoted } : {}),
    ...(links.length ? { links } : {}),
  };
  const parsed = PostSchema.safeParse(candidate);
  if (!parsed.success) return { ok: false, id: tweet.id, error: describeIssues(parsed.error) };
  return { ok: true, post: decodePostText(parsed.data) };
}

export interface TweetPage {
  data?: TweetV2[] | TweetV2;
  includes?: { users?: UserV2[]; tweets?: TweetV2[] };
}

/** Every post of a response (a page or one stream event), normalised; the failures are returned to be logged. */
export function normalisePage(page: TweetPage): { posts: Post[]; rejected: { id?: string; error: string }[]; retweets: number } {
  const tweets = Array.isArray(page.data) ? page.data : page.data ? [page.data] : [];
  const users = page.includes?.users ?? [];
  const posts: Post[] = [];
  const rejected: { id?: string; error: string }[] = [];
  let retweets = 0;
  for (const t of tweets) {
    if (isRetweet(t)) {
      retweets++;
      continue;
    }
    const n = normaliseTweet(t, users);
    if (n.ok) posts.push(n.post);
    else rejected.push({ id: n.id, error: n.error });
  }
  return { posts, rejected, retweets };
}
