import { z } from 'zod';

/**
 * The few AppView calls Kairos makes (BLUESKY_API_URL, default Bluesky's public AppView): a handle resolved to its
 * DID once at start, and the profile (handle, name, followers) of the author of each post that passed the brand
 * filter, cached. Answers are validated; failures say what was asked and what came back, never a credential.
 */

export const DEFAULT_BLUESKY_API_URL = 'https://public.api.bsky.app';

export class AppViewError extends Error {
  constructor(
    message: string,
    /** HTTP status, or undefined when no answer came. */
    readonly status?: number,
  ) {
    super(message);
    this.name = 'AppViewError';
  }
}

const Resolved = z.object({ did: z.string().startsWith('did:') });
const Profile = z.object({
  did: z.string(),
  handle: z.string(),
  displayName: z.string().optional(),
  followersCount: z.number().int().nonnegative().optional(),
});

export type Profile = z.infer<typeof Profile>;

export interface AppViewOptions {
  apiUrl?: string;
  timeoutMs?: number;
  /** How long a profile is trusted (reach changes slowly; an identity event replaces a handle at once). */
  profileTtlMs?: number;
  maxProfiles?: number;
  now?: () => number;
}

export class AppView {
  private readonly base: string;
  private readonly profiles = new Map<string, { profile: Profile; at: number }>();
  lookups = 0;

  constructor(private readonly opts: AppViewOptions = {}) {
    this.base = (opts.apiUrl ?? DEFAULT_BLUESKY_API_URL).replace(/\/+$/, '');
  }

  async resolveHandle(handle: string): Promise<string> {
    const body = await this.get('com.atproto.identity.resolveHandle', { handle: handle.replace(/^@/, '') });
    const parsed = Resolved.safeParse(body);
    if (!parsed.success) throw new AppViewError(`resolving the handle ${handle}: the answer has no DID`);
    return parsed.data.did;
  }

  /** The author's profile, from the cache when fresh. */
  async profile(did: string): Promise<Profile> {
    const now = this.opts.now?.() ?? Date.now();
    const hit = this.profiles.get(did);
    if (hit && now - hit.at < (this.opts.profileTtlMs ?? 3_600_000)) return hit.profile;
    this.lookups++;
    const parsed = Profile.safeParse(await this.get('app.bsky.actor.getProfile', { actor: did }));
    if (!parsed.success) throw new AppViewError(`the profile of ${did} could not be read`);
    this.profiles.delete(did);
    this.profiles.set(did, { profile: parsed.data, at: now });
    if (this.profiles.size > (this.opts.maxProfiles ?? 10_000)) this.profiles.delete(this.profiles.keys().next().value as string);
    return parsed.data;
  }

  /** Posts by their at:// uris (app.bsky.feed.getPosts): the views the AppView has, each to be checked by the caller. */
  async posts(uris: readonly string[]): Promise<unknown[]> {
    const body = (await this.get('app.bsky.feed.getPosts', { uris: uris.join(',') })) as { posts?: unknown };
    if (!Array.isArray(body.posts)) throw new AppViewError('app.bsky.feed.getPosts: the answer has no posts');
    return body.posts;
  }

  /** An identity event: the account's handle changed (keep the rest of a cached profile). */
  handleChanged(did: string, handle: string | undefined): void {
    const hit = this.profiles.get(did);
    if (!hit) return;
    if (handle) hit.profile = { ...hit.profile, handle };
    else this.profiles.delete(did);
  }

  private async get(method: string, params: Record<string, string>): Promise<unknown> {
    const url = `${this.base}/xrpc/${method}?${new URLSearchParams(params)}`;
    let res: Response;
    try {
      res = await fetch(url, { signal: AbortSignal.timeout(this.opts.timeoutMs ?? 10_000), headers: { accept: 'application/json' } });
    } catch (err) {
      throw new AppViewError(`${method}: no answer from ${this.base} (${(err as Error).message})`);
    }
    const text = await res.text();
    if (!res.ok) {
      let detail = '';
      try {
        const e = JSON.parse(text) as { error?: unknown; message?: unknown };
        detail = [e.error, e.message].filter((x) => typeof x === 'string').join(': ');
      } catch {
        // not JSON: the status says enough
      }
      throw new AppViewError(`${method} answered ${res.status}${detail ? ` (${detail.slice(0, 200)})` : ''}`, res.status);
    }
    try {
      return JSON.parse(text);
    } catch {
      throw new AppViewError(`${method}: the answer is not JSON`, res.status);
    }
  }
}
