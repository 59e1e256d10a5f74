import { decodeHTML } from 'entities';
import { z } from 'zod';
import { describeIssues, PostSchema, type Post } from '../../domain/post';

/** The fields of a Mastodon status Kairos reads (the REST and the streaming API send the same entity). */
export const StatusSchema = z
  .object({
    id: z.string().min(1),
    url: z.string().nullable().optional(),
    uri: z.string().optional(),
    created_at: z.string(),
    content: z.string().default(''),
    spoiler_text: z.string().default(''),
    language: z.string().nullable().optional(),
    in_reply_to_id: z.string().nullable().optional(),
    reblog: z.unknown().nullable().optional(),
    visibility: z.string().optional(),
    replies_count: z.number().optional(),
    reblogs_count: z.number().optional(),
    favourites_count: z.number().optional(),
    account: z
      .object({
        id: z.string(),
        acct: z.string(),
        username: z.string(),
        display_name: z.string().optional(),
        followers_count: z.number().optional(),
        bot: z.boolean().optional(),
      })
      .loose(),
  })
  .loose();

export type Status = z.infer<typeof StatusSchema>;

/**
 * A status's HTML as the plain text a person reads: paragraphs and line breaks as new lines, tags dropped,
 * entities decoded once. Mastodon's HTML is sanitised by the server; Kairos still treats it as untrusted text.
 */
export function htmlToText(html: string): string {
  const text = html
    .replace(/<br\s*\/?>/gi, '\n')
    .replace(/<\/p>\s*<p[^>]*>/gi, '\n\n')
    .replace(/<[^>]*>/g, '');
  return decodeHTML(text).replace(/\n{3,}/g, '\n\n').trim();
}

/** The account as people write it across the fediverse: user@instance (a local acct gets the brand's instance). */
export function fullAcct(acct: string, instanceHost: string): string {
  return acct.includes('@') ? acct : `${acct}@${instanceHost}`;
}

export type Normalised = { ok: true; post: Post } | { ok: false; error: string };

/** A status (as seen from the brand's instance) → a Post. Pure; validated with PostSchema. */
export function normaliseStatus(s: Status, instanceHost: string): Normalised {
  const body = htmlToText(s.content);
  const text = s.spoiler_text ? `${s.spoiler_text.trim()}\n\n${body}` : body;
  const handle = fullAcct(s.account.acct, instanceHost);
  const candidate = {
    id: s.id,
    platform: 'mastodon',
    url: s.url ?? s.uri,
    author: {
      id: s.account.id,
      handle: handle.length <= 64 ? handle : s.account.username.slice(0, 64),
      name: s.account.display_name?.trim().slice(0, 128) || undefined,
      followers: s.account.followers_count ?? 0,
    },
    text,
    lang: s.language ?? undefined,
    createdAt: s.created_at,
    metrics: { likes: s.favourites_count ?? 0, reposts: s.reblogs_count ?? 0, replies: s.replies_count ?? 0, quotes: 0 },
    inReplyTo: s.in_reply_to_id ?? null,
  };
  const parsed = PostSchema.safeParse(candidate);
  if (!parsed.success) return { ok: false, error: describeIssues(parsed.error) };
  return { ok: true, post: parsed.data };
}

/** A brand term as a hashtag Mastodon can stream ("Oranje Air" → "oranjeair"), or null when nothing is left. */
export function hashtagOf(term: string): string | null {
  const tag = term.replace(/^#/, '').normalize('NFKC').replace(/[^\p{L}\p{N}_]/gu, '').toLowerCase();
  return tag.length >= 2 ? tag : null;
}
