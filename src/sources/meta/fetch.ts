import type { Config } from '../../config';
import type { Logger } from '../../log';
import type { PlatformFetcher } from '../fetch-post';
import { GraphError, type GraphClient } from './graph';
import type { MetaPlatform, NewItem } from './notification';
import { resolvePost } from './webhook';

const FACEBOOK = /^(?:www\.|m\.|web\.|mbasic\.)?facebook\.com$/i;
const INSTAGRAM = /^(?:www\.)?instagram\.com$/i;

type Target = { platform: MetaPlatform; id: string; inReplyTo?: string; lookup: NewItem['lookup'] } | { problem: string };

/**
 * The Graph API id a Facebook or Instagram link stands for. Facebook: a Page post's link of the form
 * facebook.com/<page>/posts/<number>, permalink.php?story_fbid=<number>&id=<page id>, or facebook.com/<page id>_<post
 * id>, and a comment under one (?comment_id=<number>). Instagram: a comment's link (instagram.com/p/<code>/c/<id>/).
 * The newer pfbid… links carry no id the Graph API reads.
 */
export function metaTarget(url: URL, pageId: string): Target {
  if (INSTAGRAM.test(url.hostname)) {
    const comment = /^\/(?:p|reel)\/[\w-]+\/c\/(\d{1,30})\/?$/.exec(url.pathname)?.[1];
    if (comment) return { platform: 'instagram', id: comment, lookup: { kind: 'ig-comment' } };
    return { problem: "Kairos fetches Instagram comments on the brand's posts by the comment's link (instagram.com/p/<code>/c/<number>/); this link names no comment." };
  }
  const q = url.searchParams;
  const numeric = (v: string | null | undefined) => (v && /^\d{1,30}$/.test(v) ? v : null);
  const storyFbid = numeric(q.get('story_fbid'));
  const byPath = /^\/[^/]+\/posts\/(\d{1,30})\/?$/.exec(url.pathname)?.[1];
  const joined = /^\/(\d{1,30})_(\d{1,30})\/?$/.exec(url.pathname);
  const postNumber = storyFbid ?? byPath ?? joined?.[2] ?? null;
  const owner = numeric(q.get('id')) ?? joined?.[1] ?? pageId;
  if (!postNumber) {
    return {
      problem:
        'Kairos cannot tell which Facebook post this link is (links with pfbid… carry no id it can read): copy the link of the post’s date on the Page, of the form facebook.com/<page>/posts/<number>.',
    };
  }
  const postId = `${owner}_${postNumber}`;
  const comment = numeric(q.get('reply_comment_id')) ?? numeric(q.get('comment_id'));
  return comment
    ? { platform: 'facebook', id: `${postNumber}_${comment}`, inReplyTo: postId, lookup: { kind: 'fb-object' } }
    : { platform: 'facebook', id: postId, lookup: { kind: 'fb-object' } };
}

/** Facebook Page posts and comments, and Instagram comments, by link, through the Graph API client of the webhooks. */
export function metaPostFetchers(meta: Config['meta'], graph: GraphClient | undefined, log: Logger, now: () => Date = () => new Date()): PlatformFetcher[] {
  const unavailable = meta && graph ? null : 'Facebook and Instagram are not configured here (META_APP_SECRET, META_PAGE_ID, META_PAGE_TOKEN), so Kairos cannot fetch their posts.';
  const reader = meta && graph ? { meta, graph, log, permalinks: new Map<string, string>() } : null;
  const fetcher = (name: string, host: RegExp): PlatformFetcher => ({
    name,
    matches: (url) => host.test(url.hostname),
    unavailable,
    async fetch(url) {
      const t = metaTarget(url, reader!.meta.pageId);
      if ('problem' in t) return { ok: false, problem: t.problem };
      const item: NewItem = { type: 'new', platform: t.platform, id: t.id, author: {}, createdAt: now().toISOString(), url: url.href, lookup: t.lookup, ...(t.inReplyTo ? { inReplyTo: t.inReplyTo } : {}) };
      let post;
      try {
        post = await resolvePost(reader!, item);
      } catch (err) {
        // Graph's code 100: no such object, or none the Page token may read.
        if (err instanceof GraphError && err.code === 100) return { ok: false, problem: `the Graph API has no such ${name} post (deleted, or not on the brand's Page or account).` };
        throw err;
      }
      return post ? { ok: true, post } : { ok: false, problem: `that ${name} post has no text Kairos can read, or it is the brand's own.` };
    },
  });
  return [fetcher('Facebook', FACEBOOK), fetcher('Instagram', INSTAGRAM)];
}
