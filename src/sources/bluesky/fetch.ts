import { z } from 'zod';
import type { Config } from '../../config';
import { describeIssues } from '../../domain/post';
import type { PlatformFetcher } from '../fetch-post';
import { AppView, AppViewError } from './appview';
import { PostRecord } from './filter';
import { normaliseBlueskyPost, postUri } from './normalise';

const HOSTS = /^(?:www\.)?bsky\.app$/i;

/** The author and rkey of a bsky.app post link (https://bsky.app/profile/<handle or DID>/post/<rkey>). */
export function blueskyPostRef(url: URL): { actor: string; rkey: string } | null {
  const m = /^\/profile\/([^/]{1,253})\/post\/([A-Za-z0-9._:~-]{1,512})\/?$/.exec(url.pathname);
  return m ? { actor: decodeURIComponent(m[1]!), rkey: m[2]! } : null;
}

const PostView = z.object({
  uri: z.string(),
  author: z.object({ did: z.string().startsWith('did:') }).loose(),
  record: z.unknown(),
  indexedAt: z.string().optional(),
  likeCount: z.number().int().nonnegative().optional(),
  repostCount: z.number().int().nonnegative().optional(),
  replyCount: z.number().int().nonnegative().optional(),
  quoteCount: z.number().int().nonnegative().optional(),
});

/**
 * Bluesky posts by link, from the AppView (BLUESKY_API_URL): the handle resolved to its DID, the post read with
 * app.bsky.feed.getPosts, the author's profile for reach. Available where Kairos reads Bluesky (BLUESKY_MODE).
 */
export function blueskyPostFetcher(bluesky: Config['bluesky'], appView = new AppView({ apiUrl: bluesky.apiUrl })): PlatformFetcher {
  return {
    name: 'Bluesky',
    matches: (url) => HOSTS.test(url.hostname),
    unavailable: bluesky.mode === 'off' ? 'Bluesky is not configured here (BLUESKY_MODE, BLUESKY_HANDLE), so Kairos cannot fetch Bluesky posts.' : null,
    async fetch(url) {
      const ref = blueskyPostRef(url);
      if (!ref) return { ok: false, problem: 'that Bluesky link names no post (expected https://bsky.app/profile/<handle>/post/<id>).' };
      let did = ref.actor;
      if (!did.startsWith('did:')) {
        try {
          did = await appView.resolveHandle(ref.actor);
        } catch (err) {
          if (err instanceof AppViewError && err.status === 400) return { ok: false, problem: `Bluesky knows no account ${ref.actor}.` };
          throw err;
        }
      }
      const [raw] = await appView.posts([postUri(did, ref.rkey)]);
      if (raw === undefined) return { ok: false, problem: 'Bluesky has no such post (deleted, or never there).' };
      const view = PostView.safeParse(raw);
      const record = view.success ? PostRecord.safeParse(view.data.record) : null;
      if (!view.success || !record?.success) return { ok: false, problem: `Bluesky's post is not one Kairos can read (${describeIssues((view.success ? record!.error : view.error)!)}).` };
      const v = view.data;
      const profile = await appView.profile(did).catch(() => null);
      const seen = v.indexedAt && !Number.isNaN(Date.parse(v.indexedAt)) ? Date.parse(v.indexedAt) : Date.now();
      const n = normaliseBlueskyPost({ did, rkey: ref.rkey, timeUs: seen * 1000, record: record.data, reason: 'mention' }, profile);
      if (!n.ok) return { ok: false, problem: `Bluesky's post is not one Kairos can read (${n.error}).` };
      const metrics = { likes: v.likeCount ?? 0, reposts: v.repostCount ?? 0, replies: v.replyCount ?? 0, quotes: v.quoteCount ?? 0 };
      return { ok: true, post: { ...n.post, metrics } };
    },
  };
}
