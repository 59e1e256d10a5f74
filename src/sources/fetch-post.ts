import { parsePost } from '../domain/post';
import type { FetchedPost, PostFetcher } from '../domain/ports';
import type { Logger } from '../log';

/** One platform's reading of a post by its link. */
export interface PlatformFetcher {
  /** The platform as people name it ("X", "Facebook"…), for messages. */
  readonly name: string;
  /** Whether a link is one of this platform's. */
  matches(url: URL): boolean;
  /** Why posts of this platform cannot be read here (it is not configured), or null. */
  readonly unavailable: string | null;
  /** Reads the post; a problem the team can act on comes back as { ok: false }, anything else throws. */
  fetch(url: URL): Promise<FetchedPost>;
}

/**
 * Reads a post by its link from the platform it belongs to. Whatever a platform answers is checked again against
 * the Post contract; a link of no platform Kairos reads, one not configured here, or a post that cannot be read
 * gets a sentence saying which, never a stack or a token.
 */
export function postFetcher(platforms: readonly PlatformFetcher[], log: Logger): PostFetcher {
  return {
    async fetchPost(link) {
      let url: URL;
      try {
        url = new URL(link);
      } catch {
        return { ok: false, problem: 'that is not a link.' };
      }
      const platform = platforms.find((p) => p.matches(url));
      if (!platform) {
        return { ok: false, problem: `${url.hostname} is not a platform Kairos reads (it reads ${names(platforms)} links).` };
      }
      if (platform.unavailable) return { ok: false, problem: platform.unavailable };
      let got: FetchedPost;
      try {
        got = await platform.fetch(url);
      } catch (err) {
        log.warn({ platform: platform.name, error: (err as Error).message }, 'could not fetch a post for /missed');
        return { ok: false, problem: `${platform.name} did not answer as expected (${(err as Error).message.slice(0, 200)}); try again later.` };
      }
      if (!got.ok) return got;
      const checked = parsePost(got.post);
      return checked.ok ? { ok: true, post: checked.post } : { ok: false, problem: `${platform.name}'s answer is not a post Kairos can read (${checked.error}).` };
    },
  };
}

function names(platforms: readonly PlatformFetcher[]): string {
  const all = platforms.map((p) => p.name);
  return all.length > 1 ? `${all.slice(0, -1).join(', ')} and ${all.at(-1)}` : (all[0] ?? 'no');
}
