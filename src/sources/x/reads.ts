import type { XReadStore } from '../../domain/ports';
import { utcDay, type XReadDay } from '../../domain/x-reads';
import type { Logger } from '../../log';
import type { TweetPage } from './normalise';

const MAX_REMEMBERED = 500_000;

/**
 * Counts what the X source reads, as X bills it: every post a response carries (the posts and the posts they quote
 * or answer) and every user, each once per UTC day (X deduplicates a resource fetched again the same day; after a
 * restart the day's ids are forgotten, so the count can only run over, never under). Stored per day, so /stats, the
 * digest and a restart see it. With a daily cap, `spent` turns true once the day's post reads reach it.
 */
export class XReadMeter {
  private day = '';
  private posts = new Set<string>();
  private users = new Set<string>();
  private today: XReadDay = { day: '', posts: 0, users: 0 };
  private writes: Promise<unknown> = Promise.resolve();
  /** Called once a day, when the day's post reads reach the cap. */
  onSpent?: (day: string) => void;

  constructor(
    private readonly store: XReadStore,
    private readonly log: Logger,
    readonly maxPerDay: number | undefined,
    private readonly now: () => Date = () => new Date(),
  ) {}

  /** Reads today's count from the store (a restart goes on from it). */
  async load(): Promise<void> {
    const day = utcDay(this.now());
    const stored = (await this.store.xReads({ fromDay: day, toDay: day }))[0];
    if (this.day !== day) this.rollTo(day);
    this.today = { day, posts: Math.max(this.today.posts, stored?.posts ?? 0), users: Math.max(this.today.users, stored?.users ?? 0) };
  }

  /** True while the cap (if any) leaves room for more reads today. */
  get spent(): boolean {
    this.rollTo(utcDay(this.now()));
    return this.maxPerDay !== undefined && this.today.posts >= this.maxPerDay;
  }

  /** The day's count so far. */
  get reads(): XReadDay {
    this.rollTo(utcDay(this.now()));
    return { ...this.today };
  }

  /** Counts one response of X (a page, a stream event). */
  count(page: TweetPage): void {
    const was = this.spent;
    const tweets = [...(Array.isArray(page.data) ? page.data : page.data ? [page.data] : []), ...(page.includes?.tweets ?? [])];
    let posts = 0;
    let users = 0;
    for (const t of tweets) if (remember(this.posts, t.id)) posts++;
    for (const u of page.includes?.users ?? []) if (remember(this.users, u.id)) users++;
    if (!posts && !users) return;
    this.today.posts += posts;
    this.today.users += users;
    const day = this.day;
    this.writes = this.writes
      .then(() => this.store.addXReads(day, posts, users))
      .catch((err: unknown) => this.log.warn({ err }, 'could not store the X read count'));
    if (!was && this.spent) this.onSpent?.(day);
  }

  /** Resolves once every count so far is stored. */
  settled(): Promise<unknown> {
    return this.writes;
  }

  private rollTo(day: string): void {
    if (day === this.day) return;
    this.day = day;
    this.posts = new Set();
    this.users = new Set();
    this.today = { day, posts: 0, users: 0 };
  }
}

function remember(seen: Set<string>, id: string | undefined): boolean {
  if (!id) return true;
  if (seen.has(id)) return false;
  if (seen.size < MAX_REMEMBERED) seen.add(id);
  return true;
}
