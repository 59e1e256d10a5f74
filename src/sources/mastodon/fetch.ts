import type { Config } from '../../config';
import { describeIssues } from '../../domain/post';
import type { PlatformFetcher } from '../fetch-post';
import { normaliseStatus, StatusSchema } from './normalise';

/** The status id of a Mastodon link (https://<instance>/@user/<id>, /@user@elsewhere/<id>, /users/<user>/statuses/<id>). */
export function mastodonStatusId(url: URL): string | null {
  return /^\/(?:@[^/]{1,300}|users\/[^/]{1,300}\/statuses)\/(\d{1,30})\/?$/.exec(url.pathname)?.[1] ?? null;
}

/**
 * Mastodon statuses by link, through the brand's instance (MASTODON_URL, its token): one on that instance by its
 * id (GET /api/v1/statuses/:id), one on another instance resolved by its address (GET /api/v2/search with
 * resolve=true), as the brand's account sees it.
 */
export function mastodonPostFetcher(mastodon: Pick<NonNullable<Config['mastodon']>, 'url' | 'token'> | undefined, timeoutMs = 15_000): PlatformFetcher {
  const home = mastodon ? new URL(mastodon.url) : null;
  return {
    name: 'Mastodon',
    // Any instance's status link: Mastodon runs on many hosts.
    matches: (url) => mastodonStatusId(url) !== null,
    unavailable: mastodon ? null : 'Mastodon is not configured here (MASTODON_URL, MASTODON_TOKEN), so Kairos cannot fetch Mastodon posts.',
    async fetch(url) {
      const id = mastodonStatusId(url)!;
      const get = async (path: string): Promise<{ status: number; body: unknown }> => {
        const res = await fetch(new URL(path, home!), { headers: { authorization: `Bearer ${mastodon!.token}`, accept: 'application/json' }, signal: AbortSignal.timeout(timeoutMs) });
        const text = await res.text();
        let body: unknown = null;
        try {
          body = JSON.parse(text);
        } catch {
          // the status says enough
        }
        if (res.status === 401 || res.status === 403) throw new Error(`the instance refused the token (${res.status})`);
        if (res.status >= 500) throw new Error(`the instance answered ${res.status}`);
        return { status: res.status, body };
      };
      let raw: unknown;
      if (url.host === home!.host) {
        const r = await get(`/api/v1/statuses/${id}`);
        if (r.status === 404) return { ok: false, problem: 'Mastodon has no such post (deleted, or not visible to the brand’s account).' };
        raw = r.body;
      } else {
        const r = await get(`/api/v2/search?${new URLSearchParams({ q: url.href, type: 'statuses', resolve: 'true', limit: '1' })}`);
        raw = (r.body as { statuses?: unknown[] } | null)?.statuses?.[0];
        if (raw === undefined) return { ok: false, problem: `${home!.host} could not find that post on ${url.host} (deleted, private, or the instance is unreachable from there).` };
      }
      const status = StatusSchema.safeParse(raw);
      if (!status.success) return { ok: false, problem: `Mastodon's post is not one Kairos can read (${describeIssues(status.error)}).` };
      const n = normaliseStatus(status.data, home!.host);
      return n.ok ? { ok: true, post: n.post } : { ok: false, problem: `Mastodon's post is not one Kairos can read (${n.error}).` };
    },
  };
}
