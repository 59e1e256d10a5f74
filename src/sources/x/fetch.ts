import type { TwitterApi } from 'twitter-api-v2';
import type { PlatformFetcher } from '../fetch-post';
import { describeXError, TWEET_QUERY } from './client';
import { normaliseTweet } from './normalise';

const HOSTS = new Set(['x.com', 'www.x.com', 'mobile.x.com', 'twitter.com', 'www.twitter.com', 'mobile.twitter.com']);

/** The post id of an X link (https://x.com/<user>/status/<id>, also twitter.com and /i/web/status/<id>). */
export function xStatusId(url: URL): string | null {
  return /^\/(?:[A-Za-z0-9_]{1,15}|i\/web)\/status(?:es)?\/(\d{1,20})(?:\/|$)/.exec(url.pathname)?.[1] ?? null;
}

/** X posts by link: one post lookup (GET /2/tweets/:id) with the fields every X read asks for. */
export function xPostFetcher(client: TwitterApi | null): PlatformFetcher {
  return {
    name: 'X',
    matches: (url) => HOSTS.has(url.hostname.toLowerCase()),
    unavailable: client ? null : 'X is not configured here (X_BEARER_TOKEN), so Kairos cannot fetch X posts.',
    async fetch(url) {
      const id = xStatusId(url);
      if (!id) return { ok: false, problem: 'that X link names no post (expected https://x.com/<account>/status/<number>).' };
      let answer;
      try {
        answer = await client!.v2.singleTweet(id, TWEET_QUERY);
      } catch (err) {
        const f = describeXError(err);
        if (f.status === 404) return { ok: false, problem: 'X has no such post (deleted, or never there).' };
        throw new Error(f.message);
      }
      if (!answer.data) {
        const why = answer.errors?.[0] as { detail?: string; title?: string } | undefined;
        return { ok: false, problem: `X did not give that post${why ? ` (${String(why.detail ?? why.title).slice(0, 160)})` : ''}: it may be deleted or from a protected account.` };
      }
      const n = normaliseTweet(answer.data, answer.includes?.users ?? []);
      return n.ok ? { ok: true, post: n.post } : { ok: false, problem: `X's post is not one Kairos can read (${n.error}).` };
    },
  };
}
