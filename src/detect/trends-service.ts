import type { Config } from '../config';
import type { Post } from '../domain/post';
import { dateFormat } from '../domain/date-format';
import type { Triage } from '../domain/verdict';
import type { Logger } from '../log';
import { recordMoment, type StoredMoment } from '../store/moments';
import type { Store } from '../store/store';
import { activeEventTerms, loadCalendar, watchEntries, type CalendarEvent } from './events';
import { TrendDetector, type TrendOptions } from './trends';

/**
 * The trends detector wired to the rest of Kairos: fed every post with its verdict (Pipeline onVerdict), its
 * watch list kept from the calendar (for the stream's current day) and the team's /watch terms, and each
 * moment stored before anyone is told of it.
 */
export interface Trends {
  detector: TrendDetector;
  /** Pipeline onVerdict (and onDuplicate, with the stored kind: a resumed replay sees the stream again). */
  observe(post: Post, triage?: Pick<Triage, 'kind'>): void;
  /** TriageContext.risingTerms. */
  risingTerms(): readonly string[];
  /** TriageContext.watchTerms: /watch terms and the calendar events active on the stream's day. */
  watchTerms(): readonly string[];
  /** Call after /watch changed (BotContext.onWatchChanged). */
  refreshWatch(): void;
}

export interface TrendsOptions {
  store: Store;
  config: Pick<Config, 'brand' | 'timeZone' | 'eventsFile'>;
  log?: Logger;
  calendar?: CalendarEvent[];
  detector?: TrendOptions;
  /**
   * Called with each stored moment (post its card). isNew is false for a moment an earlier run already found (a
   * resumed replay finds it again): its card may already be out.
   */
  onMoment?: (moment: StoredMoment, isNew: boolean) => void;
}

export function createTrends(opts: TrendsOptions): Trends {
  const { store, config, log } = opts;
  const calendar = opts.calendar ?? loadCalendar(config.eventsFile);
  const detector = new TrendDetector({
    ignore: [config.brand.name, ...config.brand.terms, ...config.brand.handles],
    ...opts.detector,
  });
  let day = '';
  let watch: readonly string[] = [];

  // One formatter for the stream's time zone, not one a post.
  const dayFormat = dateFormat('en-CA', { timeZone: config.timeZone, year: 'numeric', month: '2-digit', day: '2-digit' });
  const localDay = (at: Date) => dayFormat.format(at);

  const refreshWatch = () => {
    const teamTerms = store.listWatch().map((w) => w.term.toLowerCase());
    detector.setWatch(watchEntries(calendar, day, teamTerms));
    watch = Object.freeze([...new Set([...teamTerms, ...activeEventTerms(calendar, day)])]);
  };

  detector.onMoment((m) => {
    try {
      const { moment, isNew } = recordMoment(store.db, m);
      if (isNew) log?.info({ term: m.term, nowPerHour: m.nowPerHour, baselinePerHour: m.baselinePerHour, authors: m.authors }, 'rising moment');
      opts.onMoment?.({ ...m, id: moment.id, messageId: moment.messageId, channelId: moment.channelId }, isNew);
    } catch (err) {
      log?.error({ err, term: m.term }, 'could not store a rising moment');
    }
  });

  refreshWatch(); // /watch terms and undated events, before the first post sets the day

  return {
    detector,
    observe(post, triage) {
      const at = new Date(post.createdAt);
      const d = localDay(at > (detector.streamTime() ?? at) ? at : (detector.streamTime() ?? at));
      if (d !== day) {
        day = d;
        refreshWatch();
      }
      detector.observe({
        id: post.id,
        text: post.text,
        createdAt: post.createdAt,
        lang: post.lang,
        author: post.author.handle,
        url: post.url,
        kind: triage?.kind,
      });
    },
    risingTerms: () => detector.rising(),
    watchTerms: () => watch,
    refreshWatch,
  };
}
