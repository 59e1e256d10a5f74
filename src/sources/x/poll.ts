import type { TwitterApi, TwitterRateLimit } from 'twitter-api-v2';
import type { Config } from '../../config';
import type { Post } from '../../domain/post';
import type { Logger } from '../../log';
import type { CursorStore, PostStore } from '../../domain/ports';
import type { Emit, Source } from '../source';
import { DEFAULT_BACKOFF, describeXError, retryDelayMs, sleep, TWEET_QUERY_PARAMS, type BackoffOptions, type XFailure } from './client';
import { PostDelivery } from './delivery';
import { normalisePage, type TweetPage } from './normalise';
import type { SourceState } from './stream';

export interface XMentionsOptions {
  client: TwitterApi;
  store: Pick<PostStore, 'hasPost'> & CursorStore;
  log: Logger;
  brand: Config['brand'];
  /** X_BRAND_USER_ID; when absent the first brand handle is looked up. */
  brandUserId?: string;
  intervalMs: number;
  backoff?: BackoffOptions;
  /** Pages of 100 fetched at most per poll. */
  maxPages?: number;
  cursorKey?: string;
  /** Called with every response of X (a stream event, a page), as it is read: X bills each post and user in it. */
  onPage?: (page: TweetPage) => void;
  /** Asked before each page is fetched: false once the day's read budget is spent. */
  mayRead?: () => boolean;
}

/**
 * The wait before the next poll: the configured interval, stretched so the remaining calls last until the window
 * resets (and to the reset itself when none remain). Pure.
 */
export function nextPollDelayMs(intervalMs: number, rateLimit: TwitterRateLimit | undefined, marginMs: number, now = Date.now()): number {
  if (!rateLimit || !Number.isFinite(rateLimit.reset) || !Number.isFinite(rateLimit.remaining)) return intervalMs;
  const untilReset = Math.max(0, rateLimit.reset * 1000 - now);
  if (rateLimit.remaining <= 0) return Math.max(intervalMs, untilReset + marginMs);
  return Math.max(intervalMs, Math.ceil(untilReset / rateLimit.remaining));
}

type MentionsPage = TweetPage & { meta?: { next_token?: string; newest_id?: string; result_count?: number } };

/**
 * Mentions polling (X_MODE=poll, tiers without the filtered stream): the brand account's mentions since the stored
 * cursor, every page, oldest first, at an interval that respects the rate limit X reports.
 */
export class XMentionsSource implements Source {
  readonly name = 'x-mentions';
  private delivery?: PostDelivery;
  private readonly abort = new AbortController();
  private readonly backoff: BackoffOptions;
  private userId?: string;
  private running?: Promise<void>;
  status: SourceState = { state: 'idle' };
  polls = 0;

  constructor(private readonly opts: XMentionsOptions) {
    this.backoff = opts.backoff ?? DEFAULT_BACKOFF;
    this.userId = opts.brandUserId;
  }

  start(emit: Emit): Promise<void> {
    this.delivery = new PostDelivery(this.opts.store, this.opts.cursorKey ?? 'x:mentions', emit, this.opts.log);
    this.status = { state: 'running' };
    this.running = this.loop();
    return this.running;
  }

  async stop(): Promise<void> {
    if (this.status.state === 'running' || this.status.state === 'idle') this.status = { state: 'stopped' };
    this.abort.abort();
    await this.running;
  }

  get emitted(): number {
    return this.delivery?.emitted ?? 0;
  }

  private get stopped(): boolean {
    return this.abort.signal.aborted || this.status.state === 'failed';
  }

  private async loop(): Promise<void> {
    const { log } = this.opts;
    let failures = 0;
    while (!this.stopped) {
      let wait: number;
      // The day's read budget is spent: the poll ends here (BudgetedSource starts a new one the next day).
      if (this.opts.mayRead && !this.opts.mayRead()) return;
      try {
        const rateLimit = await this.pollOnce();
        failures = 0;
        wait = nextPollDelayMs(this.opts.intervalMs, rateLimit, this.backoff.resetMarginMs);
        if (wait > this.opts.intervalMs) log.info({ waitMs: wait, remaining: rateLimit?.remaining }, 'X mentions: interval stretched to the rate limit');
      } catch (err) {
        const f = describeXError(err);
        if (f.kind === 'auth') return this.fail(f);
        failures++;
        wait = retryDelayMs(f, failures, this.backoff);
        log.warn({ status: f.status, error: f.message, retryInMs: wait }, f.kind === 'rate-limit' ? 'X mentions rate limited; waiting for the reset' : 'X mentions poll failed; backing off');
      }
      await sleep(wait, this.abort.signal);
    }
  }

  /** One poll: every new mention since the cursor (only the newest page on a first run), handed over oldest first. */
  async pollOnce(): Promise<TwitterRateLimit | undefined> {
    const { client, log } = this.opts;
    const userId = await this.brandUserId();
    const since = await this.delivery!.cursor();
    const found = new Map<string, Post>();
    let token: string | undefined;
    let rateLimit: TwitterRateLimit | undefined;
    let pages = 0;
    do {
      const res = await client.v2.get<MentionsPage>(
        `users/${userId}/mentions`,
        {
          max_results: 100,
          ...TWEET_QUERY_PARAMS,
          ...(since ? { since_id: since } : {}),
          ...(token ? { pagination_token: token } : {}),
        },
        { fullResponse: true },
      );
      rateLimit = res.rateLimit;
      this.opts.onPage?.(res.data);
      const { posts, rejected } = normalisePage(res.data);
      for (const r of rejected) log.warn({ post: r.id, error: r.error }, 'X post could not be read; skipped');
      for (const p of posts) found.set(p.id, p);
      token = res.data.meta?.next_token;
      pages++;
      // A first run takes the newest page only, not the account's whole history.
    } while (token && since && pages < (this.opts.maxPages ?? 20) && !this.stopped && (this.opts.mayRead?.() ?? true));
    this.polls++;
    const posts = [...found.values()]
      .filter((p) => p.author.id !== userId)
      .sort((a, b) => (a.id.length - b.id.length) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    for (const post of posts) {
      if (this.stopped) break;
      await this.delivery!.deliver(post);
    }
    if (posts.length) log.debug({ found: posts.length, pages }, 'X mentions polled');
    return rateLimit;
  }

  private async brandUserId(): Promise<string> {
    if (this.userId) return this.userId;
    const handle = this.opts.brand.handles[0]?.replace(/^@/, '');
    if (!handle) throw new Error('no brand handle to look up: set X_BRAND_USER_ID or BRAND_HANDLES');
    const res = await this.opts.client.v2.userByUsername(handle);
    if (!res.data?.id) throw new Error(`X has no user @${handle}: set X_BRAND_USER_ID`);
    this.userId = res.data.id;
    this.opts.log.info({ handle, userId: this.userId }, 'X brand account found');
    return this.userId;
  }

  private fail(f: XFailure): void {
    const hint =
      f.status === 401
        ? 'check X_BEARER_TOKEN (revoked or mistyped)'
        : 'the app or its access tier may not allow the mentions timeline (it needs Basic or higher)';
    const reason = `X source stopped while polling mentions: ${f.message}; ${hint}. The rest of Kairos keeps running.`;
    this.status = { state: 'failed', reason };
    this.opts.log.error({ status: f.status }, reason);
    this.abort.abort();
  }
}
