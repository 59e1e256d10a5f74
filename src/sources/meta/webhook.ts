import type { IncomingMessage, ServerResponse } from 'node:http';
import { timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import type { Config } from '../../config';
import type { CardStore, PostStore } from '../../domain/ports';
import { describeIssues, parsePost, type Post } from '../../domain/post';
import { bodyOr413, MAX_BODY_BYTES, sendJson } from '../../ingress/body';
import { hmacMatches } from '../../ingress/signature';
import type { Logger } from '../../log';
import type { GraphClient } from './graph';
import { NotificationSchema, readNotification, type MetaEvent, type MetaPlatform, type NewItem } from './notification';

export const META_WEBHOOK_PATH = '/webhooks/meta';

export interface MetaWebhookDeps {
  meta: NonNullable<Config['meta']>;
  graph: GraphClient;
  store: Pick<PostStore, 'hasPost'> & Pick<CardStore, 'getOpportunityByPost' | 'audit' | 'actionsFor'>;
  /** Keeps the post durably (it is analysed after the answer): true when new, false when it came before. */
  accept: (post: Post) => Promise<boolean>;
  log: Logger;
  now?: () => Date;
  maxBytes?: number;
}

/** The author of an edit or a deletion, as a card's history shows it. */
const AUTHOR: Record<MetaPlatform, { id: string; name: string }> = {
  facebook: { id: 'facebook', name: 'The author (Facebook)' },
  instagram: { id: 'instagram', name: 'The author (Instagram)' },
};

const MAX_TEXT = 10_000;

function sameText(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/**
 * GET: Meta's subscription handshake. Answers the challenge only to the verify token the team typed into the app's
 * webhook settings; the challenge is echoed as plain text and only when it looks like one (no reflected markup).
 */
export function metaHandshake(deps: Pick<MetaWebhookDeps, 'meta' | 'log'>) {
  return (req: IncomingMessage, res: ServerResponse): void => {
    const q = new URL(req.url ?? '/', 'http://kairos').searchParams;
    const challenge = q.get('hub.challenge') ?? '';
    const ok = q.get('hub.mode') === 'subscribe' && sameText(q.get('hub.verify_token') ?? '', deps.meta.verifyToken) && /^[\w.-]{1,256}$/.test(challenge);
    if (!ok) {
      deps.log.warn({ mode: q.get('hub.mode') }, 'Meta webhook handshake refused (wrong verify token or mode)');
      res.writeHead(403, { 'content-type': 'text/plain' });
      res.end('forbidden\n');
      return;
    }
    deps.log.info('Meta webhook subscription verified');
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.end(challenge);
  };
}

/**
 * POST: an event notification. Verified with X-Hub-Signature-256 over the raw body (403 otherwise, nothing read
 * further); each change becomes a Post kept in the inbox (analysed after the answer), or an edit or deletion recorded
 * on its card. 200 only once everything is stored: on any failure (the Graph API down, the store) it answers 500 and
 * Meta delivers the notification again, and what was already stored is recognised by its id and skipped.
 */
export function metaReceiver(deps: MetaWebhookDeps) {
  const maxBytes = deps.maxBytes ?? MAX_BODY_BYTES;
  const now = deps.now ?? (() => new Date());
  const accounts = { pageId: deps.meta.pageId, igUserId: deps.meta.igUserId };
  const ctx: Ctx = { ...deps, permalinks: new Map() };
  return async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const body = await bodyOr413(req, res, maxBytes);
    if (!body) return;
    const signature = req.headers['x-hub-signature-256'];
    if (!hmacMatches(deps.meta.appSecret, body, Array.isArray(signature) ? signature[0] : signature)) {
      deps.log.warn({ from: req.socket.remoteAddress, signed: Boolean(signature) }, 'Meta webhook refused: X-Hub-Signature-256 does not match');
      return sendJson(res, 403, { error: 'X-Hub-Signature-256 is missing or does not match' });
    }
    let parsed;
    try {
      parsed = NotificationSchema.safeParse(JSON.parse(body.toString('utf8')));
    } catch (err) {
      return sendJson(res, 400, { error: `not JSON: ${(err as Error).message}` });
    }
    if (!parsed.success) return sendJson(res, 400, { error: `not a Meta notification: ${describeIssues(parsed.error)}` });

    const outcome = { stored: 0, duplicates: 0, recorded: 0, skipped: 0, failed: 0 };
    for (const event of readNotification(parsed.data, accounts, now())) {
      try {
        outcome[await handle(ctx, event)]++;
      } catch (err) {
        outcome.failed++;
        deps.log.error({ error: (err as Error).message, event: event.type === 'skip' ? 'skip' : `${event.platform}:${event.id}` }, 'a Meta change could not be stored; Meta will deliver it again');
      }
    }
    if (outcome.failed) return sendJson(res, 500, { error: 'some changes could not be stored; deliver again', ...outcome });
    deps.log.debug(outcome, 'Meta notification processed');
    sendJson(res, 200, outcome);
  };
}

/** The receiver's dependencies and what it keeps: the Instagram media links already read. */
type Ctx = MetaWebhookDeps & { permalinks: Map<string, string> };

async function handle(deps: Ctx, event: MetaEvent): Promise<'stored' | 'duplicates' | 'recorded' | 'skipped'> {
  if (event.type === 'skip') {
    deps.log.debug({ reason: event.reason }, 'Meta change skipped');
    return 'skipped';
  }
  const ref = { platform: event.platform, id: event.id };
  if (event.type === 'new') {
    // A delivery again (Meta retries and duplicates): known by its id, with no Graph call.
    if (await deps.store.hasPost(ref)) return 'duplicates';
    const post = await resolvePost(deps, event);
    if (!post) return 'skipped';
    return (await deps.accept(post)) ? 'stored' : 'duplicates';
  }
  const card = await deps.store.getOpportunityByPost(ref);
  if (!card) {
    // An edit of a post never seen (it came before Kairos listened): the post as it reads now is new.
    if (event.type === 'edited' && event.text && !(await deps.store.hasPost(ref))) {
      return handle(deps, { type: 'new', platform: event.platform, id: event.id, author: {}, text: event.text, createdAt: event.at, lookup: { kind: 'fb-object' } });
    }
    return 'skipped';
  }
  const action = event.type === 'edited' ? 'post-edited' : 'post-deleted';
  const detail = event.type === 'edited' ? (event.text ?? null) : null;
  // The same edit delivered twice is recorded once.
  const history = await deps.store.actionsFor(card.id);
  if (history.some((a) => a.action === action && a.detail === detail)) return 'duplicates';
  await deps.store.audit(card.id, AUTHOR[event.platform], action, null, detail === null ? null : detail.slice(0, MAX_TEXT));
  deps.log.info({ opportunity: card.id, action }, `the ${event.platform} post of card #${card.id} was ${event.type}`);
  return 'recorded';
}

const FbObject = z.looseObject({
  message: z.string().optional(),
  from: z.looseObject({ id: z.string(), name: z.string().optional() }).optional(),
  created_time: z.string().optional(),
  permalink_url: z.string().optional(),
});
const IgComment = z.looseObject({
  text: z.string().optional(),
  username: z.string().optional(),
  timestamp: z.string().optional(),
  from: z.looseObject({ id: z.string().optional(), username: z.string().optional() }).optional(),
  media: z.looseObject({ permalink: z.string().optional() }).optional(),
});
const IgMedia = z.looseObject({ caption: z.string().optional(), username: z.string().optional(), timestamp: z.string().optional(), permalink: z.string().optional() });

function graphAnswer<T extends z.ZodType>(schema: T, raw: unknown, what: string): z.infer<T> {
  const parsed = schema.safeParse(raw);
  if (!parsed.success) throw new Error(`the Graph API's ${what} was not understood: ${describeIssues(parsed.error)}`);
  return parsed.data;
}

/** What reading a post from the Graph API needs. */
export type GraphReader = Pick<Ctx, 'graph' | 'meta' | 'log' | 'permalinks'>;

/**
 * Fills in what the notification left out from the Graph API, and checks the result as any Post is checked. Null for
 * the brand's own post or one without text. /missed reads a post by its link the same way.
 */
export async function resolvePost(deps: GraphReader, item: NewItem): Promise<Post | null> {
  const { graph, meta } = deps;
  let { text, url, createdAt } = item;
  const author = { ...item.author };
  const l = item.lookup;
  if (l.kind === 'fb-object') {
    const o = graphAnswer(FbObject, await graph.get(item.id, { fields: 'message,from{id,name},created_time,permalink_url' }), 'post');
    text = o.message;
    url = o.permalink_url ?? url;
    createdAt = o.created_time ? new Date(o.created_time).toISOString() : createdAt;
    if (o.from) Object.assign(author, { id: o.from.id, name: o.from.name });
    if (o.from?.id === meta.pageId) return null;
  } else if (l.kind === 'ig-comment' || l.kind === 'ig-mentioned-comment') {
    const fields = 'text,username,timestamp,from{id,username},media{permalink}';
    const c =
      l.kind === 'ig-comment'
        ? graphAnswer(IgComment, await graph.get(item.id, { fields }), 'comment')
        : graphAnswer(
            IgComment,
            (await graph.get<{ mentioned_comment?: unknown }>(meta.igUserId ?? 'me', { fields: `mentioned_comment.comment_id(${l.commentId}){${fields}}` })).mentioned_comment ?? {},
            'mentioned comment',
          );
    text = c.text;
    url = c.media?.permalink ?? url;
    createdAt = c.timestamp ? new Date(c.timestamp).toISOString() : createdAt;
    author.handle = c.username ?? c.from?.username ?? author.handle;
    author.id = c.from?.id ?? author.id;
    if (meta.igUserId && author.id === meta.igUserId) return null;
  } else if (l.kind === 'ig-mentioned-media') {
    const m = graphAnswer(
      IgMedia,
      (await graph.get<{ mentioned_media?: unknown }>(meta.igUserId ?? 'me', { fields: `mentioned_media.media_id(${l.mediaId}){caption,username,timestamp,permalink}` })).mentioned_media ?? {},
      'mentioned media',
    );
    text = m.caption;
    url = m.permalink;
    createdAt = m.timestamp ? new Date(m.timestamp).toISOString() : createdAt;
    author.handle = m.username;
  } else if (l.kind === 'ig-media') {
    // Only the link: a comment whose media cannot be read is still a post.
    url = await mediaPermalink(deps, l.mediaId);
  }
  if (!text?.trim()) {
    deps.log.debug({ platform: item.platform, id: item.id }, 'Meta change without text (a sticker, a photo): skipped');
    return null;
  }
  const name = author.name?.slice(0, 128);
  const parsed = parsePost({
    id: item.id,
    platform: item.platform,
    ...(url && /^https?:\/\//.test(url) ? { url } : {}),
    author: { ...(author.id ? { id: author.id } : {}), handle: (author.handle ?? name ?? `${item.platform}-user`).slice(0, 64), ...(name ? { name } : {}), followers: 0 },
    text: text.slice(0, MAX_TEXT),
    createdAt,
    ...(item.inReplyTo ? { inReplyTo: item.inReplyTo } : {}),
    ...(l.kind === 'ig-mentioned-comment' || l.kind === 'ig-mentioned-media' ? { via: 'mention' } : {}),
  });
  if (!parsed.ok) throw new Error(`the ${item.platform} change does not make a valid post: ${parsed.error}`);
  return parsed.post;
}

async function mediaPermalink(deps: GraphReader, mediaId: string): Promise<string | undefined> {
  const { permalinks } = deps;
  const known = permalinks.get(mediaId);
  if (known) return known;
  try {
    const m = graphAnswer(IgMedia, await deps.graph.get(mediaId, { fields: 'permalink' }), 'media');
    if (!m.permalink) return undefined;
    if (permalinks.size > 5_000) permalinks.delete(permalinks.keys().next().value as string);
    permalinks.set(mediaId, m.permalink);
    return m.permalink;
  } catch (err) {
    deps.log.warn({ media: mediaId, error: (err as Error).message }, 'could not read the Instagram media link; the card goes without it');
    return undefined;
  }
}
