import { z } from 'zod';
import { maskUrl, type Config } from '../../config';
import type { Post } from '../../domain/post';
import type { Logger } from '../../log';
import { ClaimedReplySender, ReplyNotSent, type ReplyPlatform, type ReplySenderStore, type ReplyTarget, type SentReply } from '../claimed-reply';
import { MastodonApi, MastodonError } from './api';
import { fullAcct } from './normalise';

const Me = z.object({ id: z.string(), username: z.string() }).loose();
const Posted = z.object({ id: z.string(), url: z.string().nullable().optional(), in_reply_to_id: z.string().nullable().optional(), created_at: z.string().optional() }).loose();
const Fan = z.object({ account: z.object({ acct: z.string() }).loose() }).loose();

/**
 * What the team should do after a refusal, by status: the token's scope, the token itself, the text, the fan's status.
 * The token is never repeated.
 */
const HINTS: Record<number, string> = {
  401: ' (MASTODON_TOKEN was refused: check it is the brand account\'s token and was not revoked)',
  403: ' (the token may not post: it needs the write:statuses scope; make one under Preferences → Development with read and write:statuses)',
  404: " (the fan's status is gone, or the brand account cannot see it)",
  422: ' (Mastodon did not take the text: edit the reply first, e.g. shorter than the instance\'s limit)',
  429: ' (Mastodon is rate limiting the account: try again in a few minutes)',
};

/** A stable Idempotency-Key for a card's reply: the same on every retry of one claim. */
export function idempotencyKey(t: Pick<ReplyTarget, 'opportunityId' | 'claimedAt'>): string {
  return `kairos-reply-${t.opportunityId}-${Date.parse(t.claimedAt)}`;
}

/**
 * How a reply goes to a fan on Mastodon: POST /api/v1/statuses as the brand account (its token needs
 * write:statuses), in_reply_to_id the fan's status as the brand's instance knows it, starting with `@user@instance `
 * so the fan is notified, with an Idempotency-Key from the claim so the instance itself drops a repeat. After a crash,
 * the brand account's own recent statuses are searched for one in reply to the fan's.
 */
class MastodonReplies implements ReplyPlatform {
  readonly platforms = ['mastodon'] as const;
  private me?: Promise<z.infer<typeof Me>>;

  constructor(private readonly api: MastodonApi) {}

  async post(t: ReplyTarget): Promise<SentReply> {
    try {
      const mention = `@${await this.acct(t.post)}`;
      const status = t.text.toLowerCase().startsWith(mention.toLowerCase()) ? t.text : `${mention} ${t.text}`;
      const posted = Posted.parse(
        await this.api.post('/api/v1/statuses', { status, in_reply_to_id: t.post.id }, { 'Idempotency-Key': idempotencyKey(t) }),
      );
      return await this.sent(posted);
    } catch (err) {
      if (err instanceof z.ZodError) throw new ReplyNotSent(`${this.api.host} answered with a status Kairos did not understand`, true);
      if (!(err instanceof MastodonError)) throw err;
      if (err.status === undefined || err.status >= 500) throw new ReplyNotSent(err.message, true, '', err.status);
      throw new ReplyNotSent(err.message, false, HINTS[err.status] ?? '', err.status);
    }
  }

  async find(t: ReplyTarget): Promise<SentReply | null> {
    const me = await this.account();
    const since = Date.parse(t.claimedAt) - 60_000;
    const mine = z.array(Posted).parse(await this.api.get(`/api/v1/accounts/${encodeURIComponent(me.id)}/statuses`, { limit: '40', exclude_reblogs: 'true' }));
    const found = mine.find((s) => s.in_reply_to_id === t.post.id && (!s.created_at || Date.parse(s.created_at) >= since));
    return found ? this.sent(found) : null;
  }

  /** The fan as the brand's instance mentions them: the post's user@instance, or the status's account when the handle was cut. */
  private async acct(post: Post): Promise<string> {
    if (post.author.handle.includes('@')) return post.author.handle;
    const fan = Fan.parse(await this.api.get(`/api/v1/statuses/${encodeURIComponent(post.id)}`));
    return fullAcct(fan.account.acct, this.api.host);
  }

  private async sent(s: z.infer<typeof Posted>): Promise<SentReply> {
    if (s.url) return { id: s.id, url: s.url };
    const me = await this.account().catch(() => null);
    return { id: s.id, url: me ? `${this.api.base}/@${me.username}/${s.id}` : `${this.api.base}/statuses/${s.id}` };
  }

  private account(): Promise<z.infer<typeof Me>> {
    this.me ??= this.api.get('/api/v1/accounts/verify_credentials').then((b) => Me.parse(b));
    this.me.catch(() => (this.me = undefined));
    return this.me;
  }
}

export interface MastodonReplySenderOptions {
  url: string;
  token: string;
  store: ReplySenderStore;
  log: Logger;
  now?: () => Date;
  claimStaleMs?: number;
  timeoutMs?: number;
}

/** Posts a card's approved reply to the fan's Mastodon status as the brand account, once (see ClaimedReplySender). */
export class MastodonReplySender extends ClaimedReplySender {
  constructor(opts: MastodonReplySenderOptions) {
    super(new MastodonReplies(new MastodonApi(opts)), opts);
  }
}

/** The sender when MASTODON_POST_REPLIES is on, else none. */
export function mastodonReplySender(config: Config, deps: Pick<MastodonReplySenderOptions, 'store' | 'log' | 'claimStaleMs'>): MastodonReplySender | undefined {
  const m = config.mastodon;
  if (!m?.postReplies) return undefined;
  deps.log.info({ instance: maskUrl(m.url) }, 'Mastodon replies on: approved cards offer "Send reply on Mastodon" (the token needs write:statuses)');
  return new MastodonReplySender({ url: m.url, token: m.token, store: deps.store, log: deps.log.child({ source: 'mastodon' }), claimStaleMs: deps.claimStaleMs });
}
