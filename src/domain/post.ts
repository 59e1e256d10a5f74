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
  const parsed = PostSchema.safeParse(raw);
  if (!parsed.success) return { ok: false, error: describeIssues(parsed.error) };
  return { ok: true, post: decodePostText(parsed.data) };
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
