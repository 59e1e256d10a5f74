import type { Post } from './post';

/**
 * One story, one card: the posts a post builds on. A reply, a quote, or a link to another post (an X status, a
 * Bluesky post, any address a stored post has) ties it to that post's story, whatever the source. Pure.
 */
export interface StoryRefs {
  /** Ids of the posts it replies to, quotes or links (X status ids). */
  ids: string[];
  /** Post addresses it links, for sources whose ids are not in their URLs. */
  urls: string[];
}

const STATUS = /^https?:\/\/(?:www\.|mobile\.)?(?:x|twitter)\.com\/(?:[A-Za-z0-9_]{1,30}|i\/web)\/status(?:es)?\/(\d{1,20})/i;
const URL_IN_TEXT = /https?:\/\/[^\s<>"')\]]+/g;

/** The posts `post` replies to, quotes or links, never itself. */
export function storyRefs(post: Pick<Post, 'id' | 'url' | 'text' | 'inReplyTo' | 'quoteOf' | 'links'>): StoryRefs {
  const ids = new Set<string>();
  const urls = new Set<string>();
  if (post.inReplyTo) ids.add(post.inReplyTo);
  if (post.quoteOf) ids.add(post.quoteOf);
  for (const link of [...(post.links ?? []), ...(post.text.match(URL_IN_TEXT) ?? [])]) {
    const status = STATUS.exec(link);
    if (status) ids.add(status[1] as string);
    else if (!/^https?:\/\/t\.co\//i.test(link)) urls.add(link.replace(/[.,!?;:]+$/, ''));
  }
  ids.delete(post.id);
  if (post.url) urls.delete(post.url);
  return { ids: [...ids], urls: [...urls] };
}
