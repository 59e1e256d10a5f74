import { z } from 'zod';
import { describeIssues } from '../../domain/post';

/**
 * Meta's webhook notifications, read into what Kairos does with each change: a new post or comment (whose text
 * may still have to be looked up), an edit or a deletion of one seen before, or nothing (a like, the brand's own
 * reply). Pure: the Graph lookups and the store come after.
 */

const Change = z.object({ field: z.string(), value: z.unknown() });
const Entry = z.looseObject({
  id: z.string(),
  time: z.number().optional(),
  changes: z.array(Change).optional(),
});
export const NotificationSchema = z.object({ object: z.string(), entry: z.array(Entry).max(1000) });

/** A Page `feed` change (a visitor's post, a comment, a reply, a reaction…). */
const FeedValue = z.looseObject({
  item: z.string(),
  verb: z.string(),
  post_id: z.string().max(64).optional(),
  comment_id: z.string().max(64).optional(),
  parent_id: z.string().max(64).optional(),
  from: z.looseObject({ id: z.string().max(64), name: z.string().max(256).optional() }).optional(),
  message: z.string().optional(),
  created_time: z.union([z.number(), z.string()]).optional(),
  post: z.looseObject({ permalink_url: z.string().optional() }).optional(),
});

/** An Instagram `comments` change: a comment (or a reply) on the account's media. */
const IgCommentValue = z.looseObject({
  id: z.string().max(64),
  text: z.string().optional(),
  parent_id: z.string().max(64).optional(),
  from: z.looseObject({ id: z.string().max(64).optional(), username: z.string().max(64).optional() }).optional(),
  media: z.looseObject({ id: z.string().max(64) }).optional(),
});

/** An Instagram `mentions` change: ids only (the account was @mentioned in a comment or a caption). */
const IgMentionValue = z.looseObject({ media_id: z.string().max(64), comment_id: z.string().max(64).optional() });

export type MetaPlatform = 'facebook' | 'instagram';

/** What a new post needs looked up on the Graph API before it can become a Post. */
export type Lookup =
  | { kind: 'none' }
  /** A Facebook post or comment whose message the notification left out. */
  | { kind: 'fb-object' }
  /** An Instagram comment on the account's media whose text the notification left out. */
  | { kind: 'ig-comment' }
  /** The media an Instagram comment is on, for its permalink. */
  | { kind: 'ig-media'; mediaId: string }
  /** An Instagram comment that @mentions the account, read through the account (ids only in the notification). */
  | { kind: 'ig-mentioned-comment'; commentId: string }
  /** A caption that @mentions the account. */
  | { kind: 'ig-mentioned-media'; mediaId: string };

export interface NewItem {
  type: 'new';
  platform: MetaPlatform;
  id: string;
  inReplyTo?: string;
  author: { id?: string; name?: string; handle?: string };
  text?: string;
  createdAt: string;
  url?: string;
  lookup: Lookup;
}

export type MetaEvent =
  | NewItem
  | { type: 'edited'; platform: MetaPlatform; id: string; text?: string; at: string }
  | { type: 'removed'; platform: MetaPlatform; id: string; at: string }
  | { type: 'skip'; reason: string };

export interface Accounts {
  pageId: string;
  igUserId?: string;
}

const FEED_ITEMS = new Set(['comment', 'post', 'status', 'photo', 'video', 'share']);

/** Unix seconds (or milliseconds, as some fields carry) or an ISO string, as an ISO instant; `fallback` otherwise. */
function instant(t: number | string | undefined, fallback: string): string {
  if (typeof t === 'number' && Number.isFinite(t)) return new Date(t > 1e12 ? t : t * 1000).toISOString();
  if (typeof t === 'string' && !Number.isNaN(Date.parse(t))) return new Date(t).toISOString();
  return fallback;
}

/** A Facebook link for a post or a comment under it, built from ids when the notification has no permalink. */
function facebookUrl(postId: string | undefined, commentId: string | undefined, permalink: string | undefined): string | undefined {
  const base = permalink ?? (postId ? `https://www.facebook.com/${postId}` : undefined);
  if (!base) return undefined;
  if (!commentId) return base;
  const u = new URL(base);
  u.searchParams.set('comment_id', commentId.split('_').pop() ?? commentId);
  return u.href;
}

function feedEvent(raw: unknown, accounts: Accounts, at: string): MetaEvent {
  const parsed = FeedValue.safeParse(raw);
  if (!parsed.success) return { type: 'skip', reason: `feed change not understood: ${describeIssues(parsed.error)}` };
  const v = parsed.data;
  if (!FEED_ITEMS.has(v.item)) return { type: 'skip', reason: `feed item ${v.item}` };
  const isComment = v.item === 'comment';
  const id = isComment ? v.comment_id : v.post_id;
  if (!id) return { type: 'skip', reason: `feed ${v.item} without an id` };
  // The Page's own posts and replies are the team's words, never a card.
  if (v.from?.id === accounts.pageId) return { type: 'skip', reason: 'written by the Page itself' };
  const when = instant(v.created_time, at);
  if (v.verb === 'edited') return { type: 'edited', platform: 'facebook', id, text: v.message, at: when };
  if (v.verb === 'remove') return { type: 'removed', platform: 'facebook', id, at: when };
  if (v.verb !== 'add') return { type: 'skip', reason: `feed verb ${v.verb}` };
  const text = v.message?.trim() ? v.message : undefined;
  return {
    type: 'new',
    platform: 'facebook',
    id,
    inReplyTo: isComment ? (v.parent_id ?? v.post_id) : undefined,
    author: { id: v.from?.id, name: v.from?.name },
    text,
    createdAt: when,
    url: facebookUrl(v.post_id, isComment ? id : undefined, v.post?.permalink_url),
    lookup: text ? { kind: 'none' } : { kind: 'fb-object' },
  };
}

function igCommentEvent(raw: unknown, accounts: Accounts, at: string): MetaEvent {
  const parsed = IgCommentValue.safeParse(raw);
  if (!parsed.success) return { type: 'skip', reason: `comments change not understood: ${describeIssues(parsed.error)}` };
  const v = parsed.data;
  if (accounts.igUserId && v.from?.id === accounts.igUserId) return { type: 'skip', reason: 'written by the account itself' };
  const text = v.text?.trim() ? v.text : undefined;
  return {
    type: 'new',
    platform: 'instagram',
    id: v.id,
    inReplyTo: v.parent_id ?? v.media?.id,
    author: { id: v.from?.id, handle: v.from?.username },
    text,
    createdAt: at,
    lookup: !text ? { kind: 'ig-comment' } : v.media ? { kind: 'ig-media', mediaId: v.media.id } : { kind: 'none' },
  };
}

function igMentionEvent(raw: unknown, at: string): MetaEvent {
  const parsed = IgMentionValue.safeParse(raw);
  if (!parsed.success) return { type: 'skip', reason: `mentions change not understood: ${describeIssues(parsed.error)}` };
  const v = parsed.data;
  return v.comment_id
    ? { type: 'new', platform: 'instagram', id: v.comment_id, inReplyTo: v.media_id, author: {}, createdAt: at, lookup: { kind: 'ig-mentioned-comment', commentId: v.comment_id } }
    : { type: 'new', platform: 'instagram', id: v.media_id, author: {}, createdAt: at, lookup: { kind: 'ig-mentioned-media', mediaId: v.media_id } };
}

/** Every change of a notification, in order, as what Kairos does with it. */
export function readNotification(body: z.infer<typeof NotificationSchema>, accounts: Accounts, now: Date): MetaEvent[] {
  const events: MetaEvent[] = [];
  for (const entry of body.entry) {
    const at = instant(entry.time, now.toISOString());
    for (const change of entry.changes ?? []) {
      if (body.object === 'page' && change.field === 'feed') events.push(feedEvent(change.value, accounts, at));
      else if (body.object === 'instagram' && change.field === 'comments') events.push(igCommentEvent(change.value, accounts, at));
      else if (body.object === 'instagram' && change.field === 'mentions') events.push(igMentionEvent(change.value, at));
      else events.push({ type: 'skip', reason: `${body.object} field ${change.field} is not read` });
    }
  }
  return events;
}
