import type { TwitterApi, TweetV2 } from 'twitter-api-v2';
import { X_MAX_CHARS } from '../../domain/analysis';
import type { Actor } from '../../domain/opportunity';
import { ReplyFailed, ReplyRefused } from '../../domain/reply';
import type { Logger } from '../../log';
import { ClaimedReplySender, ReplyNotSent, type ReplyPlatform, type ReplySenderStore, type ReplyTarget, type SentReply } from '../claimed-reply';
import { describeXError } from './client';

/** Sends a card's approved reply to the fan on its platform. The Discord bot's "Send reply on …" button calls it. */
export interface ReplySender {
  readonly platforms?: readonly string[];
  /**
   * Resolves with the link of the reply (the same link again when it was already sent). With an actor, the send is
   * audited here ('<platform>-reply-sent'); without one the caller audits it.
   */
  send(opportunityId: number, actor?: Actor): Promise<{ url: string; alreadySent: boolean }>;
}

export { ReplyFailed, ReplyRefused };

export interface XReplySenderOptions {
  /** A user-context client (OAuth 1.0a: X_APP_KEY, X_APP_SECRET, X_ACCESS_TOKEN, X_ACCESS_SECRET). */
  client: TwitterApi;
  store: ReplySenderStore;
  log: Logger;
  now?: () => Date;
  /** See ClaimedReplyOptions.claimStaleMs. */
  claimStaleMs?: number;
}

/** How a reply is posted on X (POST /2/tweets as a reply) and found again (the brand's tweets since the claim). */
class XReplies implements ReplyPlatform {
  readonly platforms = ['x'] as const;
  private me?: Promise<{ id: string; username: string }>;

  constructor(private readonly client: TwitterApi) {}

  check(_post: unknown, text: string): void {
    if ([...text].length > X_MAX_CHARS) throw new ReplyRefused(`the reply is longer than ${X_MAX_CHARS} characters; edit it first`);
  }

  async post(t: ReplyTarget): Promise<SentReply> {
    let tweet: { id: string };
    try {
      tweet = (await this.client.v2.reply(t.text, t.post.id)).data;
    } catch (err) {
      const f = describeXError(err);
      if (f.kind === 'network') throw new ReplyNotSent(`no answer from X (${f.message})`, true);
      if (f.status === 403 && /duplicate/i.test(f.message)) {
        const found = await this.find(t);
        if (found) return found;
      }
      const hint = f.status === 401 || f.status === 403 ? " (check the X_APP_KEY/X_APP_SECRET/X_ACCESS_TOKEN/X_ACCESS_SECRET and the app's write permission)" : '';
      throw new ReplyNotSent(f.message, false, hint, f.status);
    }
    return this.sent(tweet.id);
  }

  /** The brand's reply to the post since the claim, if X has one: how an interrupted send is told from an unsent one. */
  async find(t: ReplyTarget): Promise<SentReply | null> {
    const me = await this.account();
    const start = new Date(Date.parse(t.claimedAt) - 60_000).toISOString().replace(/\.\d{3}Z$/, 'Z');
    const res = await this.client.v2.get<{ data?: TweetV2[] }>(`users/${me.id}/tweets`, {
      start_time: start,
      max_results: 100,
      'tweet.fields': 'referenced_tweets,created_at',
    });
    const tweet = res.data?.find((tw) => tw.referenced_tweets?.some((r) => r.type === 'replied_to' && r.id === t.post.id));
    return tweet ? this.sent(tweet.id) : null;
  }

  private async sent(id: string): Promise<SentReply> {
    const me = await this.account().catch(() => null);
    return { id, url: me ? `https://x.com/${me.username}/status/${id}` : `https://x.com/i/web/status/${id}` };
  }

  private account(): Promise<{ id: string; username: string }> {
    this.me ??= this.client.v2.me().then((r) => ({ id: r.data.id, username: r.data.username }));
    this.me.catch(() => (this.me = undefined));
    return this.me;
  }
}

/** Posts exactly the approved reply text of a card as a reply to the fan's post on X, once (see ClaimedReplySender). */
export class XReplySender extends ClaimedReplySender implements ReplySender {
  constructor(opts: XReplySenderOptions) {
    super(new XReplies(opts.client), opts);
  }
}
