import type { IncomingMessage, ServerResponse } from 'node:http';
import { parsePost, type Post } from '../domain/post';
import type { Logger } from '../log';
import { bodyOr413, MAX_BODY_BYTES, sendJson } from './body';
import { verifyIngest } from './signature';

/** The most posts one request may carry: a bigger batch is split by the sender. */
export const MAX_POSTS_PER_REQUEST = 1000;

export interface IngestDeps {
  secret: string;
  /** Keeps the posts durably (all or none) before it resolves, true for each new one; they are analysed after. */
  accept: (posts: Post[]) => Promise<boolean[]>;
  log: Logger;
  now?: () => Date;
  maxBytes?: number;
}

/**
 * POST /ingest: any tool pushes one Post (the JSON contract) or an array of them, signed with the shared secret.
 * All or nothing: one invalid post refuses the request (400, each error by index) and stores none, so a sender
 * fixes and resends the batch; resending is safe, posts are idempotent by id. 202 comes once every post is stored; each is analysed afterwards.
 */
export function ingestHandler(deps: IngestDeps) {
  const maxBytes = deps.maxBytes ?? MAX_BODY_BYTES;
  return async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const body = await bodyOr413(req, res, maxBytes);
    if (!body) return;
    const header = (name: string) => {
      const v = req.headers[name];
      return Array.isArray(v) ? v[0] : v;
    };
    const auth = verifyIngest(deps.secret, body, header('x-kairos-timestamp'), header('x-kairos-signature'), deps.now?.());
    if (!auth.ok) {
      deps.log.warn({ error: auth.error, from: req.socket.remoteAddress }, '/ingest refused a request');
      return sendJson(res, 401, { error: auth.error });
    }
    let raw: unknown;
    try {
      raw = JSON.parse(body.toString('utf8'));
    } catch (err) {
      return sendJson(res, 400, { error: `the body is not JSON: ${(err as Error).message}` });
    }
    const items = Array.isArray(raw) ? raw : [raw];
    if (items.length === 0) return sendJson(res, 400, { error: 'an empty array: send one post or an array of posts' });
    if (items.length > MAX_POSTS_PER_REQUEST) {
      return sendJson(res, 413, { error: `${items.length} posts in one request; send at most ${MAX_POSTS_PER_REQUEST} at a time` });
    }
    const posts: Post[] = [];
    const errors: { index: number; id?: string; error: string }[] = [];
    items.forEach((item, index) => {
      const parsed = parsePost(item);
      if (parsed.ok) posts.push(parsed.post);
      else {
        const id = item && typeof item === 'object' && typeof (item as { id?: unknown }).id === 'string' ? (item as { id: string }).id.slice(0, 64) : undefined;
        errors.push({ index, ...(id ? { id } : {}), error: parsed.error });
      }
    });
    if (errors.length) return sendJson(res, 400, { error: `${errors.length} of ${items.length} posts are not valid; nothing was stored`, errors });

    const stored: string[] = [];
    const duplicates: string[] = [];
    // In the store (the inbox) before the answer, so the answer never promises a post a crash could lose; triage
    // and the model run after it, in the order sent.
    const fresh = await deps.accept(posts);
    posts.forEach((post, i) => (fresh[i] ? stored : duplicates).push(post.id));
    deps.log.info({ stored: stored.length, duplicates: duplicates.length }, '/ingest stored posts');
    sendJson(res, 202, { stored, duplicates });
  };
}
