import { decodeHTML } from 'entities';
import { z } from 'zod';

/**
 * A fan post, as every source hands it to the pipeline (the JSON-lines contract in DESIGN.md).
 * Text is untrusted: it is data to classify and quote, never instructions.
 */
export const PostSchema = z.object({
  // Long enough for an at:// uri (Bluesky), a Mastodon status URL id or an X snowflake.
  id: z.string().min(1).max(512),
  platform: z.string().min(1).max(32),
  url: z.url().max(2048).optional(),
  author: z.object({
    id: z.string().max(256).optional(),
    handle: z.string().min(1).max(64),
    name: z.string().max(128).optional(),
    followers: z.number().int().nonnegative().default(0),
    verified: z.boolean().optional(),
  }),
  text: z.string().min(1).max(10_000),
  lang: z.string().min(2).max(16).optional(),
  createdAt: z.iso.datetime({ offset: true }),
  metrics: z
    .object({
      likes: z.number().int().nonnegative().default(0),
      reposts: z.number().int().nonnegative().default(0),
      replies: z.number().int().nonnegative().default(0),
      quotes: z.number().int().nonnegative().default(0),
    })
    .optional(),
  inReplyTo: z.string().max(512).nullable().optional(),
  /** The post this one quotes (X quote posts, Bluesky embeds). */
  quoteOf: z.string().max(512).nullable().optional(),
  /** The links in the post as their full addresses (X shortens them in the text), to see which posts it points at. */
  links: z.array(z.string().max(2048)).max(20).optional(),
  /**
   * How the post reached the brand, where that changes how it is answered: 'mention' for an Instagram @mention in a
   * comment or caption on someone else's media (replied to through the account's mentions, not the comment's replies).
   */
  via: z.enum(['mention']).optional(),
});

export type Post = z.infer<typeof PostSchema>;
export type PostInput = z.input<typeof PostSchema>;

export type ParsedLine = { ok: true; post: Post } | { ok: false; error: string };

/** Parses one JSON line into a Post; never throws, says what is wrong in one line. */
export function parsePostLine(line: string): ParsedLine {
  let raw: unknown;
  try {
    raw = JSON.parse(line);
  } catch (err) {
    return { ok: false, error: `not JSON: ${(err as Error).message}` };
  }
  return parsePost(raw);
}

/** Parses one decoded JSON value into a Post (a line's, or an element of a pushed array); never throws. */
export function parsePost(raw: unknown): ParsedLine {
  // Numeric ids are common in exports; accept them as strings rather than reject the post.
  if (raw && typeof raw === 'object' && typeof (raw as { id?: unknown }).id === 'number') {
    (raw as { id: unknown }).id = String((raw as { id: number }).id);
  }
  const fast = plainPost(raw);
  if (fast) return { ok: true, post: fast };
  const parsed = PostSchema.safeParse(raw);
  if (!parsed.success) return { ok: false, error: describeIssues(parsed.error) };
  return { ok: true, post: decodePostText(parsed.data) };
}

/** The schema's own pattern for `createdAt` (zod's ISO date-time with offset), so both paths test the same thing. */
const CREATED_AT: RegExp = PostSchema.shape.createdAt._zod.def.pattern!;
const URL_EDITED = /[\t\n\r]/;

/**
 * Within zod's length limits, which count code points: a string longer than max in UTF-16 units is left to zod
 * (it may still fit in code points); one shorter than twice min is counted.
 */
const str = (v: unknown, min: number, max: number): v is string =>
  typeof v === 'string' && v.length <= max && (v.length >= 2 * min || (v.length >= min && codePoints(v) >= min));

function codePoints(s: string): number {
  let n = s.length;
  for (let i = 0; i < s.length - 1; i++) {
    if ((s.charCodeAt(i) & 0xfc00) === 0xd800 && (s.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      n--;
      i++;
    }
  }
  return n;
}
const count = (v: unknown): v is number => Number.isSafeInteger(v) && (v as number) >= 0;
const plain = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && Object.getPrototypeOf(v) === Object.prototype;

/**
 * The common, well-formed Post checked by hand: every field PostSchema knows, with its type and every limit and
 * refinement, built as zod builds it (keys in the schema's order, defaults filled in) and decoded (decodePostText).
 * Anything else (a key the schema does not know, an undefined value, a url zod would trim or edit, any field out of
 * bounds) returns undefined and goes to zod, so a bad post is refused with zod's message, exactly as before.
 * Why: zod's general machinery was the largest cost of reading a post in `classify` and `replay`.
 * test/post-fast.test.ts checks it against PostSchema on generated posts.
 */
export function plainPost(raw: unknown): Post | undefined {
  if (!plain(raw)) return undefined;
  let id, platform, url, author, text, lang, createdAt, metrics, inReplyTo, quoteOf, links, via;
  for (const key in raw) {
    const v = raw[key];
    switch (key) {
      case 'id': if (!str(v, 1, 512)) return undefined; id = v; break;
      case 'platform': if (!str(v, 1, 32)) return undefined; platform = v; break;
      case 'url':
        if (!str(v, 0, 2048) || v !== v.trim() || URL_EDITED.test(v) || !URL.canParse(v)) return undefined;
        url = v;
        break;
      case 'author': author = plainAuthor(v); if (!author) return undefined; break;
      case 'text': if (!str(v, 1, 10_000)) return undefined; text = v; break;
      case 'lang': if (!str(v, 2, 16)) return undefined; lang = v; break;
      case 'createdAt': if (typeof v !== 'string' || !CREATED_AT.test(v)) return undefined; createdAt = v; break;
      case 'metrics': metrics = plainMetrics(v); if (!metrics) return undefined; break;
      case 'inReplyTo': if (v !== null && !str(v, 0, 512)) return undefined; inReplyTo = v; break;
      case 'quoteOf': if (v !== null && !str(v, 0, 512)) return undefined; quoteOf = v; break;
      case 'links':
        if (!Array.isArray(v) || v.length > 20) return undefined;
        for (let i = 0; i < v.length; i++) if (!str(v[i], 0, 2048)) return undefined;
        links = v.slice() as string[];
        break;
      case 'via': if (v !== 'mention') return undefined; via = v as 'mention'; break;
      default: return undefined;
    }
  }
  if (id === undefined || platform === undefined || author === undefined || text === undefined || createdAt === undefined) {
    return undefined;
  }
  const post: Post = { id, platform } as Post;
  if (url !== undefined) post.url = url;
  post.author = author;
  post.text = decodeEntities(text);
  if (lang !== undefined) post.lang = lang;
  post.createdAt = createdAt;
  if (metrics !== undefined) post.metrics = metrics;
  if (inReplyTo !== undefined) post.inReplyTo = inReplyTo;
  if (quoteOf !== undefined) post.quoteOf = quoteOf;
  if (links !== undefined) post.links = links;
  if (via !== undefined) post.via = via;
  return post;
}

function plainAuthor(raw: unknown): Post['author'] | undefined {
  if (!plain(raw)) return undefined;
  let id, handle, name, followers, verified;
  for (const key in raw) {
    const v = raw[key];
    switch (key) {
      case 'id': if (!str(v, 0, 256)) return undefined; id = v; break;
      case 'handle': if (!str(v, 1, 64)) return undefined; handle = v; break;
      case 'name': if (!str(v, 0, 128)) return undefined; name = v; break;
      case 'followers': if (!count(v)) return undefined; followers = v; break;
      case 'verified': if (typeof v !== 'boolean') return undefined; verified = v; break;
      default: return undefined;
    }
  }
  if (handle === undefined) return undefined;
  const author = {} as Post['author'];
  if (id !== undefined) author.id = id;
  author.handle = handle;
  if (name !== undefined) author.name = decodeEntities(name);
  author.followers = followers ?? 0;
  if (verified !== undefined) author.verified = verified;
  return author;
}

function plainMetrics(raw: unknown): Post['metrics'] | undefined {
  if (!plain(raw)) return undefined;
  let likes = 0, reposts = 0, replies = 0, quotes = 0;
  for (const key in raw) {
    const v = raw[key];
    if (!count(v)) return undefined;
    switch (key) {
      case 'likes': likes = v; break;
      case 'reposts': reposts = v; break;
      case 'replies': replies = v; break;
      case 'quotes': quotes = v; break;
      default: return undefined;
    }
  }
  return { likes, reposts, replies, quotes };
}

/**
 * HTML entities (`&amp;`, `&lt;`, `&#39;`, `&#8364;`…) as the characters they stand for. Exports and X escape
 * post text; every source decodes once, where it hands the Post over, and never again (the store re-reads Posts
 * as they are, so "&amp;lt;" written by a fan stays "&lt;").
 */
export function decodeEntities(text: string): string {
  return text.includes('&') ? decodeHTML(text) : text;
}

/** The Post with its text and author's name decoded (see decodeEntities). */
export function decodePostText(post: Post): Post {
  const author = post.author.name === undefined ? post.author : { ...post.author, name: decodeEntities(post.author.name) };
  return { ...post, text: decodeEntities(post.text), author };
}

/** One short line naming each field that is wrong, e.g. "author.handle: expected string". */
export function describeIssues(error: z.ZodError): string {
  return error.issues
    .slice(0, 4)
    .map((i) => `${i.path.join('.') || '(post)'}: ${i.message}`)
    .join('; ');
}

/** Engagement of a post, missing metrics counted as zero. */
export function engagement(post: Post): { likes: number; reposts: number; replies: number; quotes: number } {
  return { likes: 0, reposts: 0, replies: 0, quotes: 0, ...post.metrics };
}
