import type { Post } from '../../domain/post';
import { ReplyRefused } from '../../domain/reply';
import type { Logger } from '../../log';
import { ClaimedReplySender, ReplyNotSent, type ReplyPlatform, type ReplySenderStore, type ReplyTarget, type SentReply } from '../claimed-reply';
import { GraphError, type GraphClient } from './graph';

/** Facebook takes comments of up to 8,000 characters; Instagram 2,200. */
const MAX_CHARS: Record<string, number> = { facebook: 8000, instagram: 2200 };

export interface MetaReplySenderOptions {
  graph: GraphClient;
  /** The Page (its replies come from it) and the Instagram account (likewise). */
  pageId: string;
  igUserId?: string;
  store: ReplySenderStore;
  log: Logger;
  now?: () => Date;
  /** A 'sending' claim younger than this is a send in progress; an older one was left by a crash and is checked. */
  claimStaleMs?: number;
}

interface Reply {
  id: string;
  message?: string;
  text?: string;
  from?: { id?: string };
}

/**
 * How a reply goes under the fan's Facebook comment (POST /{id}/comments) or Instagram comment (POST /{id}/replies),
 * or answers an Instagram @mention (POST /{ig-user}/mentions with the media and comment), with the Page token; and
 * how a reply an interrupted send left is found again (the brand's reply with that text under the comment).
 */
class MetaReplies implements ReplyPlatform {
  readonly platforms: readonly string[];

  constructor(private readonly opts: Pick<MetaReplySenderOptions, 'graph' | 'pageId' | 'igUserId'>) {
    this.platforms = opts.igUserId ? ['facebook', 'instagram'] : ['facebook'];
  }

  check(post: Post, text: string): void {
    const max = MAX_CHARS[post.platform] ?? 2200;
    if ([...text].length > max) throw new ReplyRefused(`the reply is longer than ${max} characters; edit it first`);
  }

  async post(t: ReplyTarget): Promise<SentReply> {
    let reply: { id?: unknown };
    try {
      const m = mention(t.post);
      reply = m
        ? // An @mention on someone else's media: only the account's mentions edge may answer it.
          await this.opts.graph.post<{ id?: unknown }>(`${this.opts.igUserId}/mentions`, { media_id: m.mediaId, ...(m.commentId ? { comment_id: m.commentId } : {}), message: t.text })
        : await this.opts.graph.post<{ id?: unknown }>(`${t.post.id}/${edge(t.post)}`, { message: t.text });
    } catch (err) {
      if (!(err instanceof GraphError)) throw err;
      const hint = err.code === 190 || err.status === 401 || err.status === 403 ? ' (check META_PAGE_TOKEN and the pages_manage_engagement / instagram_manage_comments permission)' : '';
      throw new ReplyNotSent(err.message, err.uncertain, hint, err.status);
    }
    if (typeof reply?.id !== 'string') throw new ReplyNotSent('the Graph API answered without the reply id', true);
    return { id: reply.id, url: replyUrl(t.post, reply.id) };
  }

  async find(t: ReplyTarget): Promise<SentReply | null> {
    const { platform } = t.post;
    const own = platform === 'facebook' ? this.opts.pageId : this.opts.igUserId;
    // Under someone else's media (a mention) the Graph API may leave out who wrote a reply: the text tells it then.
    const anyone = mention(t.post) !== null;
    const found = (await this.repliesUnder(t.post)).find((r) => (r.from?.id === own || (anyone && !r.from)) && (r.message ?? r.text) === t.text);
    return found ? { id: found.id, url: replyUrl(t.post, found.id) } : null;
  }

  /** The replies under the fan's comment; for a mention, read through the account (the media is not the brand's). */
  private async repliesUnder(post: Post): Promise<Reply[]> {
    const m = mention(post);
    if (!m) {
      const res = await this.opts.graph.get<{ data?: Reply[] }>(`${post.id}/${edge(post)}`, { fields: post.platform === 'facebook' ? 'id,message,from' : 'id,text,from', limit: '100' });
      return res.data ?? [];
    }
    const fields = m.commentId ? `mentioned_comment.comment_id(${m.commentId}){replies{id,text,from}}` : `mentioned_media.media_id(${m.mediaId}){comments{id,text,from}}`;
    const res = await this.opts.graph.get<{ mentioned_comment?: { replies?: { data?: Reply[] } }; mentioned_media?: { comments?: { data?: Reply[] } } }>(this.opts.igUserId ?? 'me', { fields });
    return (m.commentId ? res.mentioned_comment?.replies?.data : res.mentioned_media?.comments?.data) ?? [];
  }
}

/** An Instagram @mention: the media it is on, and the comment when it was made in one (not in the caption). */
function mention(post: Post): { mediaId: string; commentId?: string } | null {
  if (post.platform !== 'instagram' || post.via !== 'mention') return null;
  return post.inReplyTo ? { mediaId: post.inReplyTo, commentId: post.id } : { mediaId: post.id };
}

/** Replies to a Facebook comment are its comments; to an Instagram comment, its replies. */
function edge(post: Post): string {
  return post.platform === 'facebook' ? 'comments' : 'replies';
}

/** Where the team finds the reply: under the fan's comment on Facebook; the post itself on Instagram. */
function replyUrl(post: Post, replyId: string): string {
  if (post.platform === 'facebook' && post.url) {
    const u = new URL(post.url);
    u.searchParams.set('reply_comment_id', replyId.split('_').pop() ?? replyId);
    return u.href;
  }
  return post.url ?? `https://www.facebook.com/${replyId}`;
}

/** Posts a card's approved reply under the fan's Facebook or Instagram comment, once (see ClaimedReplySender). */
export class MetaReplySender extends ClaimedReplySender {
  constructor(opts: MetaReplySenderOptions) {
    super(new MetaReplies(opts), opts);
  }
}
