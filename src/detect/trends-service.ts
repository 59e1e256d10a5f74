import type { StoredMoment } from '../domain/moment';
import type { MomentStore, WatchStore } from '../domain/ports';
import type { Post } from '../domain/post';
import { dateFormat } from '../domain/date-format';
import type { Triage } from '../domain/verdict';
import type { Logger } from '../domain/log';
import { activeEventTerms, loadCalendar, watchEntries, type CalendarEvent } from './events';
import { TrendDetector, type TrendOptions, type TrendText } from './trends';

/**
 * The trends detector wired to the rest of Kairos: fed every post with its verdict (Pipeline onVerdict), its
 * watch list kept from the calendar (for the stream's current day) and the team's /watch terms, and each
 * moment stored before anyone is told of it.
 */
export interface Trends {
  detector: TrendDetector;
  /** Pipeline onVerdict (and onDuplicate, with the stored kind: a resumed replay sees the stream again). */
  observe(post: Post, triage?: Pick<Triage, 'kind'>): void;
  /**
   * Runs `run` (a batch of a replay) with the posts' texts already read for the trends (trendTextOf, by the triage
   * worker): observe() takes a post's from there instead of reading its text again. null: not read.
   */
  readAhead<T>(posts: readonly Post[], texts: readonly (TrendText | null)[], run: () => Promise<T>): Promise<T>;
  /** TriageContext.risingTerms. */
  risingTerms(): readonly string[];
  /** TriageContext.watchTerms: /watch terms and the calendar events active on the stream's day. */
  watchTerms(): readonly string[];
  /** Call after /watch changed (BotContext.onWatchChanged): re-reads the team's terms from the store. */
  refreshWatch(): Promise<void>;
  /** Resolves once every moment announced so far is stored and handed to onMoment. */
  settled(): Promise<void>;
}

/** What the trends read of the configuration: the brand's own words (never a rising term), the stream's day. */
export interface TrendsConfig {
  brand: { name: string; terms: readonly string[]; handles: readonly string[] };
  /** The IANA time zone the stream's days are counted in. */
  timeZone: string;
  /** The calendar of events, when `calendar` is not given (the shipped one by default). */
  eventsFile?: string;
}

export interface TrendsOptions {
  store: Pick<WatchStore, 'listWatch'> & Pick<MomentStore, 'recordMoment'>;
  config: TrendsConfig;
  log?: Logger;
  calendar?: CalendarEvent[];
  detector?: TrendOptions;
  /**
   * Called with each stored moment (post its card). isNew is false for a moment an earlier run already found (a
   * resumed replay finds it again): its card may already be out.
   */
  onMoment?: (moment: StoredMoment, isNew: boolean) => void;
}

export async function createTrends(opts: TrendsOptions): Promise<Trends> {
  const { store, config, log } = opts;
  const calendar = opts.calendar ?? loadCalendar(config.eventsFile);
  const detector = new TrendDetector({
    ignore: [config.brand.name, ...config.brand.terms, ...config.brand.handles],
    ...opts.detector,
  });
  let day = '';
  let watch: readonly string[] = [];
  let teamTerms: string[] = [];
  let pending: Promise<void> = Promise.resolve();

  // One formatter for the stream's time zone, not one a post; and each day formatted once, with the moment it ends.
  const dayFormat = dateFormat('en-CA', { timeZone: config.timeZone, year: 'numeric', month: '2-digit', day: '2-digit' });
  let known = { day: '', from: Infinity, until: -Infinity };
  const localDay = (at: number): string => {
    if (at >= known.from && at < known.until) return known.day;
    known = dayAround(dayFormat, at);
    return known.day;
  };

  // The team's terms are read from the store when they change; the day's events are worked out from them here.
  const applyWatch = () => {
    detector.setWatch(watchEntries(calendar, day, teamTerms));
    watch = Object.freeze([...new Set([...teamTerms, ...activeEventTerms(calendar, day)])]);
  };

  const refreshWatch = async () => {
    teamTerms = (await store.listWatch()).map((w) => w.term.toLowerCase());
    applyWatch();
  };

  // Stored before anyone is told, one after another, in the order announced.
  detector.onMoment((m) => {
    pending = pending.then(async () => {
      try {
        const { moment, isNew } = await store.recordMoment(m);
        if (isNew) log?.info({ term: m.term, nowPerHour: m.nowPerHour, baselinePerHour: m.baselinePerHour, authors: m.authors }, 'rising moment');
        opts.onMoment?.({ ...m, id: moment.id, messageId: moment.messageId, channelId: moment.channelId }, isNew);
      } catch (err) {
        log?.error({ err, term: m.term }, 'could not store a rising moment');
      }
    });
  });

  await refreshWatch(); // /watch terms and undated events, before the first post sets the day

  // The texts read ahead for the batch under way (batches run one at a time), by post.
  let readTexts: Map<Post, TrendText> | null = null;

  return {
    detector,
    observe(post, triage) {
      const at = Date.parse(post.createdAt);
      const d = localDay(Math.max(at, detector.streamMs() ?? at));
      if (d !== day) {
        day = d;
        applyWatch();
      }
      detector.observe(
        { id: post.id, text: post.text, createdAt: at, lang: post.lang, author: post.author.handle, url: post.url, kind: triage?.kind },
        readTexts?.get(post),
      );
    },
    async readAhead(posts, texts, run) {
      // Keyed by the post itself: a text is only ever taken for the post it was read from.
      const byPost = new Map<Post, TrendText>();
      posts.forEach((p, i) => texts[i] && byPost.set(p, texts[i]!));
      readTexts = byPost;
      try {
        return await run();
      } finally {
        if (readTexts === byPost) readTexts = null;
      }
    },
    risingTerms: () => detector.rising(),
    watchTerms: () => watch,
    refreshWatch,
    settled: () => pending,
  };
}

const HOUR = 3600_000;

/**
 * The local day at `at`, and the span around it known to be that day: from `at` to the first millisecond of the
 * next day (found by hour steps, then halving; time zones and their changes are not on whole hours everywhere).
 */
export function dayAround(format: Intl.DateTimeFormat, at: number): { day: string; from: number; until: number } {
  const day = format.format(at);
  let lo = at;
  let hi = at + HOUR;
  while (format.format(hi) === day) {
    lo = hi;
    hi += HOUR;
  }
  while (hi - lo > 1) {
    const mid = Math.floor((lo + hi) / 2);
    if (format.format(mid) === day) lo = mid;
    else hi = mid;
  }
  return { day, from: at, until: hi };
}
