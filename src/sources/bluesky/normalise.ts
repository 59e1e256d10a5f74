import { describeIssues, PostSchema, type Post } from '../../domain/post';
import type { Profile } from './appview';
import type { BrandPost } from './filter';

export type Normalised = { ok: true; post: Post } | { ok: false; error: string };

/** The at:// uri of a post: its id in Kairos, and what a reply points at. */
export function postUri(did: string, rkey: string): string {
  return `at://${did}/app.bsky.feed.post/${rkey}`;
}

/** A post's page on bsky.app (by handle when known: the link people read; a DID link works too). */
export function postUrl(handleOrDid: string, rkey: string): string {
  return `https://bsky.app/profile/${encodeURIComponent(handleOrDid)}/post/${encodeURIComponent(rkey)}`;
}

/**
 * A post about the brand and its author's profile (null when the AppView could not be asked) → a Post. The
 * record's own time when it is a valid one, else the time Jetstream saw it. Pure; validated with PostSchema.
 */
export function normaliseBlueskyPost(p: BrandPost, profile: Profile | null): Normalised {
  const handle = profile && profile.handle.length <= 64 && profile.handle !== 'handle.invalid' ? profile.handle : p.did;
  const created = p.record.createdAt && !Number.isNaN(Date.parse(p.record.createdAt)) ? new Date(p.record.createdAt) : new Date(p.timeUs / 1000);
  const candidate = {
    id: postUri(p.did, p.rkey),
    platform: 'bluesky',
    url: postUrl(handle, p.rkey),
    author: {
      id: p.did,
      handle,
      name: profile?.displayName?.trim().slice(0, 128) || undefined,
      followers: profile?.followersCount ?? 0,
    },
    text: p.record.text,
    lang: p.record.langs?.[0],
    createdAt: created.toISOString(),
    inReplyTo: p.record.reply?.parent.uri ?? null,
  };
  const parsed = PostSchema.safeParse(candidate);
  if (!parsed.success) return { ok: false, error: describeIssues(parsed.error) };
  // Bluesky's text is plain (no HTML entities to decode): what the fan typed.
  return { ok: true, post: parsed.data };
}
