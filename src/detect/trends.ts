import type { Moment } from '../domain/moment';
import type { Kind } from '../domain/verdict';

import type { MomentSample } from '../domain/moment';
import { brandIgnoreSet, fingerprintOf, normaliseText, termsOf, wordsOf } from './terms';
import { CountedKeys } from './trends-counted';

/**
 * Rising moments: terms whose volume now is well above their own rolling baseline ("Elfstedenkoorts").
 *
 * Time comes from the posts (stream time), never from the wall clock, so a replay of old data behaves like the
 * live stream. Each term keeps the times of its mentions within its longest window (volume now) and an
 * exponentially decaying count over about a day (its own baseline), updated lazily when the term is seen. A term
 * rises when, in one of several windows (5, 10 and 30 minutes by default), its mentions are several times what its
 * baseline plus a smoothing prior expects, that many would be very unlikely by chance (Poisson tail, the bar
 * shared among the windows), and enough distinct authors carry it. A post counts once
 * per term per author per window, and copies of one text (retweets, copy-paste spam) count once, so one viral
 * post or one spammer cannot make a moment. A cooldown keeps a moment from being announced twice.
 */

export interface TrendPost {
  id?: string;
  text: string;
  /** An ISO time, a Date, or milliseconds since the epoch. */
  createdAt: string | Date | number;
  lang?: string;
  /** Author handle or id; without one, copies of a text still count once. */
  author?: string;
  url?: string;
  /** Triage's kind for the post, when known: opportunities among the samples carry a brand story. */
  kind?: Kind;
}

/**
 * What observe() reads of a post's text, worked out apart from the detector's state: a replay has the triage worker
 * work it out one batch ahead (triage-ahead.ts), and the detector counts it exactly as its own reading.
 */
export interface TrendText {
  /** fingerprintOf the text's words: copies of one text count once. */
  print: string;
  /** The words of the normalised text, joined by single spaces (for the watched phrases). */
  words: string;
  /** termsOf the words, in order. */
  terms: readonly string[];
}

/** A post's TrendText, with the detector's ignore set (TrendDetector.ignored()): what observe() would read of it. */
export function trendTextOf(text: string, ignore: ReadonlySet<string>): TrendText {
  const words = wordsOf(normaliseText(text));
  return { print: fingerprintOf(words), words: words.join(' '), terms: [...termsOf(words, ignore)] };
}

export interface WatchEntry {
  /** Lower-case term or phrase; posts are matched on whole words. */
  term: string;
  aliases?: readonly string[];
  source: 'watch' | 'event';
  event?: string;
}

export interface Thresholds {
  /** Mentions in the window ÷ what the baseline (plus the prior) expects there must reach this. */
  minRatio: number;
  /** The chance of that many mentions if nothing had changed (Poisson tail) must be below this. */
  maxP: number;
  /** Distinct authors in the window (a post counts once per term per author per window). */
  minAuthors: number;
}

export interface TrendOptions {
  /** Brand names and handles: never a moment (the brand is in every post). */
  ignore?: readonly string[];
  /** The recent window: "volume now" is the distinct-author mentions in it. */
  windowMs?: number;
  /**
   * The windows tested, as multiples of windowMs: a short one catches a busy term's surge within minutes (a long
   * window is diluted by the minutes before the surge), a long one a slow rise. windowMs keeps the chance bar
   * (maxP); the others share half of it in proportion to their length, so they add few false alarms.
   */
  windows?: readonly number[];
  /** Time constant of the rolling baseline (an exponentially decaying count). */
  slowTauMs?: number;
  /** Smoothing prior added to every baseline, in mentions per hour. */
  priorPerHour?: number;
  /** Below exitRatio × baseline a rising term stops rising (hysteresis). */
  exitRatio?: number;
  surge?: Partial<Thresholds>;
  /** Lower bar for /watch terms and calendar events. */
  watched?: Partial<Thresholds>;
  cooldownMs?: number;
  /**
   * How far a busier stream raises every term's bar: 0 ignores the stream's volume, 1 asks a term to rise as
   * many times above the whole stream's rise. In between it damps a general rush without hiding real moments.
   */
  tideWeight?: number;
  /** No moment before the stream has this much history: every term is new at first. */
  warmupMs?: number;
  /** At most this many terms are followed (the rarest are dropped first). */
  maxTerms?: number;
  samplesPerTerm?: number;
  /**
   * At most this many de-duplication keys (author × term, and text fingerprints) are kept; on a stream busier than
   * that within the longest window the oldest are forgotten first, so memory stays bounded whatever the rate.
   */
  maxKeys?: number;
}

const MIN = 60_000;
const HOUR = 60 * MIN;

const DEFAULTS = {
  windowMs: 10 * MIN,
  windows: [0.5, 1, 3] as readonly number[],
  slowTauMs: 24 * HOUR,
  priorPerHour: 1,
  exitRatio: 1.5,
  surge: { minRatio: 3, maxP: 1e-6, minAuthors: 6 } satisfies Thresholds,
  watched: { minRatio: 2, maxP: 1e-3, minAuthors: 3 } satisfies Thresholds,
  cooldownMs: 6 * HOUR,
  tideWeight: 0.35,
  warmupMs: 2 * HOUR,
  // About 0.7 KB a term with its samples: the cap keeps the detector under ~40 MB on any stream (a brand's real
  // stream holds some 10,000).
  maxTerms: 50_000,
  samplesPerTerm: 5,
  maxKeys: 200_000,
};

interface TermState {
  /** Mentions, exponentially decaying with slowTauMs: the baseline. */
  slow: number;
  t: number;
  /** Times of the mentions within the window, oldest first. */
  recent: number[];
  /** The newest posts first; the opportunities among them (kept longer), made on the first one. */
  samples: Seen[];
  opportunities: Seen[] | undefined;
  rising: boolean;
  cooldownUntil: number;
  /** The prune slot (PRUNE_MS of stream time) in which the term is next looked at for forgetting; -1 once forgotten. */
  due: number;
  term: string;
}

/** Stream time between prunes. */
const PRUNE_MS = 10 * MIN;
/** A term whose baseline decays below this many mentions (about one in the last half day) is forgotten. */
const FORGET_BELOW = 0.6;

export type MomentListener = (moment: Moment) => void;

export class TrendDetector {
  private readonly o: typeof DEFAULTS;
  private readonly ignore: Set<string>;
  private readonly terms = new Map<string, TermState>();
  private readonly listeners: MomentListener[] = [];
  /** Author × term → when that author last counted for that term; one spammer counts once per window. */
  private readonly counted: CountedKeys;
  /** The terms of the post being observed (one set for every post). */
  private readonly postTerms = new Set<string>();
  /** Text fingerprint → when first seen; copies of one post (retweets, copy-paste) count once per window. */
  private readonly copies = new Map<string, number>();
  private watch = new Map<string, WatchEntry>();
  /** Multi-word and alias matches: phrase → canonical term. */
  private watchPhrases: [string, string][] = [];
  private risingCache: readonly string[] = [];
  private risingSet = new Set<string>();
  private start = Number.NaN;
  private now = Number.NaN;
  private lastSweep = 0;
  private lastPrune = 0;
  /**
   * Terms by the prune slot in which their baseline may have decayed below FORGET_BELOW: a prune looks at those
   * alone instead of every term (a term seen since is put off to its new slot then).
   */
  private readonly dueSlots = new Map<number, TermState[]>();
  /** The first prune slot not looked at yet. */
  private nextSlot = Number.NaN;
  /** Terms whose mentions all left the window: their samples are let go an hour after the last one. */
  private readonly emptied = new Set<TermState>();
  /** Recently announced terms, to fold "winter storm", "winter" and "storm" into one announcement. */
  private announced: { term: string; at: number; posts: Set<string> }[] = [];
  /** The whole stream's posts: times within the window, and a decaying count (its baseline). */
  private readonly stream = { recent: [] as number[] };
  private streamSlow = 0;
  private streamT = 0;
  /** The tested windows in ms, shortest first, and the longest: mentions are kept (and de-duplicated) that long. */
  private readonly windows: number[];
  private readonly keepMs: number;
  private tideAt = Number.NaN;
  private tideNow = 1;

  constructor(options: TrendOptions = {}) {
    this.o = {
      ...DEFAULTS,
      ...stripUndefined(options),
      surge: { ...DEFAULTS.surge, ...stripUndefined(options.surge ?? {}) },
      watched: { ...DEFAULTS.watched, ...stripUndefined(options.watched ?? {}) },
    } as typeof DEFAULTS;
    this.ignore = brandIgnoreSet(options.ignore ?? []);
    const scales = this.o.windows.length ? this.o.windows : [1];
    this.windows = [...new Set(scales.map((k) => Math.round(k * this.o.windowMs)))].filter((w) => w > 0).sort((a, b) => a - b);
    this.keepMs = Math.max(this.o.windowMs, ...this.windows);
    this.counted = new CountedKeys(this.o.maxKeys);
  }

  onMoment(listener: MomentListener): () => void {
    this.listeners.push(listener);
    return () => {
      const i = this.listeners.indexOf(listener);
      if (i >= 0) this.listeners.splice(i, 1);
    };
  }

  /** Watch terms (/watch) and the calendar events active now; they feed the same logic with a lower bar. */
  setWatch(entries: readonly WatchEntry[]): void {
    this.watch = new Map();
    this.watchPhrases = [];
    for (const e of entries) {
      const term = wordsOfText(e.term).join(' ');
      if (!term) continue;
      this.watch.set(term, { ...e, term });
      for (const phrase of [term, ...(e.aliases ?? []).map((a) => wordsOfText(a).join(' '))]) {
        if (phrase && (phrase.includes(' ') || phrase !== term)) this.watchPhrases.push([phrase, term]);
      }
    }
  }

  /** Terms rising right now, lower case. Cheap: triage calls it for every post. */
  rising(): readonly string[] {
    return this.risingCache;
  }

  /** The stream's current time (the newest post seen), or null before the first post. */
  streamTime(): Date | null {
    return Number.isNaN(this.now) ? null : new Date(this.now);
  }

  /** streamTime() in milliseconds. */
  streamMs(): number | null {
    return Number.isNaN(this.now) ? null : this.now;
  }

  /** How many terms are held in memory (for the benchmark). */
  size(): number {
    return this.terms.size;
  }

  /** How many de-duplication keys are held (author × term, text fingerprints). */
  keys(): number {
    return this.counted.size + this.copies.size;
  }

  /** The words never counted (the brand's names and handles), for trendTextOf elsewhere. */
  ignored(): string[] {
    return [...this.ignore];
  }

  /** `read`: the post's trendTextOf, when worked out ahead (it must be of this post's text and ignored()). */
  observe(post: TrendPost, read?: TrendText): void {
    const c = post.createdAt;
    const at = typeof c === 'number' ? c : typeof c === 'string' ? Date.parse(c) : c.getTime();
    if (!Number.isFinite(at)) return;
    if (Number.isNaN(this.start)) {
      this.start = at;
      this.now = at;
      this.lastSweep = at;
      this.lastPrune = at;
      this.nextSlot = Math.floor(at / PRUNE_MS);
    }
    // Slightly late posts count at the stream's current time; the stream's clock never goes back.
    if (at > this.now) this.now = at;
    const now = this.now;
    // An author counts once per term, and a text once, over the longest window, so no window counts them twice.
    const since = now - this.keepMs;

    if (now - this.lastSweep >= MIN) this.sweep(now);
    if (now - this.lastPrune >= PRUNE_MS) this.prune(now);

    // The text normalised once for its fingerprint, its terms and the watched phrases.
    const words = read ? null : wordsOf(normaliseText(post.text));
    const print = read ? read.print : fingerprintOf(words!);
    if (print) {
      const seen = this.copies.get(print);
      if (seen !== undefined && seen > since) return;
      remember(this.copies, print, now, this.o.maxKeys, seen !== undefined);
    }

    this.streamSlow = this.streamSlow * Math.exp(-(now - this.streamT) / this.o.slowTauMs) + 1;
    this.streamT = now;
    this.stream.recent.push(now);

    let terms: Iterable<string> = read ? read.terms : termsOf(words!, this.ignore, this.postTerms);
    if (this.watchPhrases.length) {
      const padded = ` ${read ? read.words : words!.join(' ')} `;
      for (const [phrase, term] of this.watchPhrases) {
        if (!padded.includes(` ${phrase} `)) continue;
        // Added once, after the post's own terms (a list read ahead becomes the set termsOf would have made).
        if (!(terms instanceof Set)) terms = refill(this.postTerms, terms);
        (terms as Set<string>).add(term);
      }
    }
    const who = post.author?.toLowerCase() ?? `post:${post.id ?? print}`;
    let authorTerms = this.counted.of(who);
    // Made once the post counts for a term; a moment's samples are written out when it is announced.
    let sample: Seen | undefined;

    for (const term of terms) {
      const counted = authorTerms?.get(term);
      if (counted !== undefined && counted > since) continue;
      authorTerms = this.counted.set(who, term, now, authorTerms);
      sample ??= { id: post.id, text: post.text, author: post.author, url: post.url, at, kind: post.kind };
      const opportunity = post.kind === 'opportunity';
      let st = this.terms.get(term);
      if (!st) {
        if (this.terms.size >= this.o.maxTerms) this.evict(now);
        // Arrays of one rather than empty ones that grow on the first push: most terms are seen once, and kept
        // for half a day of stream time.
        st = { slow: 1, t: now, recent: [now], samples: [sample], opportunities: opportunity ? [sample] : undefined, rising: false, cooldownUntil: 0, due: 0, term };
        this.terms.set(term, st);
        this.schedule(st);
      } else {
        this.decay(st, now);
        st.slow += 1;
        st.recent.push(now);
        st.samples.unshift(sample);
        if (opportunity) {
          (st.opportunities ??= []).unshift(sample);
          if (st.opportunities.length > 3) st.opportunities.length = 3;
        }
      }
      if (st.samples.length > this.o.samplesPerTerm) st.samples.length = this.o.samplesPerTerm;
      this.evaluate(term, st, now);
    }
  }

  // ── internals ─────────────────────────────────────────────────────────────────────────────────────────────

  private decay(st: TermState, now: number): void {
    const dt = now - st.t;
    if (dt <= 0) return;
    st.slow *= Math.exp(-dt / this.o.slowTauMs);
    st.t = now;
  }

  /** The term's baseline per hour, corrected for a stream younger than the time constant. */
  private baselinePerHour(st: TermState, now: number): number {
    const age = Math.max(now - this.start, this.o.windowMs);
    const span = this.o.slowTauMs * (1 - Math.exp(-age / this.o.slowTauMs));
    return (st.slow / span) * HOUR;
  }

  /** Mentions in the last windowMs (each a distinct author), dropping the ones older than the longest window. */
  private windowCount(st: { recent: number[] }, now: number, windowMs = this.o.windowMs): number {
    const keep = now - this.keepMs;
    let drop = 0;
    while (drop < st.recent.length && st.recent[drop]! <= keep) drop++;
    if (drop) {
      st.recent.splice(0, drop);
      if (!st.recent.length && st !== this.stream) this.emptied.add(st as TermState);
    }
    if (windowMs >= this.keepMs) return st.recent.length;
    // Times are sorted: binary search for the first one inside the window.
    const since = now - windowMs;
    let lo = 0;
    let hi = st.recent.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (st.recent[mid]! <= since) lo = mid + 1;
      else hi = mid;
    }
    return st.recent.length - lo;
  }

  /**
   * How much busier the whole stream is now than usual (at least 1). When everyone is posting three times as
   * much (an outage, the brand in the news), every common word triples; a moment must rise above that tide.
   */
  private tide(now: number): number {
    if (now === this.tideAt) return this.tideNow;
    const count = this.windowCount(this.stream, now);
    const age = Math.max(now - this.start, this.o.windowMs);
    const span = this.o.slowTauMs * (1 - Math.exp(-age / this.o.slowTauMs));
    const usual = (this.streamSlow * Math.exp(-(now - this.streamT) / this.o.slowTauMs) * this.o.windowMs) / span;
    this.tideAt = now;
    this.tideNow = usual > 0 ? Math.max(1, count / usual) ** this.o.tideWeight : 1;
    return this.tideNow;
  }

  /** What a window would hold if the term were at its baseline, scaled by the stream's tide. */
  private expected(st: TermState, now: number, windowMs = this.o.windowMs): number {
    return (((this.baselinePerHour(st, now) + this.o.priorPerHour) * windowMs) / HOUR) * this.tide(now);
  }

  /** The highest ratio of mentions to expectation over the tested windows: below exitRatio a term stops rising. */
  private peakRatio(st: TermState, now: number): number {
    let best = 0;
    for (const w of this.windows) best = Math.max(best, this.windowCount(st, now, w) / this.expected(st, now, w));
    return best;
  }

  /** The window in which the term crosses the bar, with its figures; null when none does. */
  private crossing(st: TermState, now: number, bar: Thresholds): Crossing | null {
    for (const windowMs of this.windows) {
      // windowMs keeps the whole bar. The other windows share half of it in proportion to their length (a short
      // window is tested afresh more often), so together they add at most half the false alarms of windowMs.
      const others = Math.max(1, this.windows.length - 1);
      const maxP = windowMs === this.o.windowMs ? bar.maxP : (bar.maxP * windowMs) / this.o.windowMs / (2 * others);
      const count = this.windowCount(st, now, windowMs);
      if (count < bar.minAuthors) continue;
      const expected = this.expected(st, now, windowMs);
      // A short window's count is noisier on a bursty real stream (a generic word such as "flight" on a storm
      // day), so it must rise one step further above its baseline.
      if (count < (windowMs < this.o.windowMs ? bar.minRatio + 1 : bar.minRatio) * expected) continue;
      if (poissonTail(count, expected) > maxP) continue;
      return { windowMs, count, expected };
    }
    return null;
  }

  private evaluate(term: string, st: TermState, now: number): void {
    if (st.rising) {
      if (this.peakRatio(st, now) < this.o.exitRatio) this.setRising(term, st, false);
      return;
    }
    if (now - this.start < this.o.warmupMs) return;
    const watched = this.watch.get(term);
    const hit = this.crossing(st, now, watched ? this.o.watched : this.o.surge);
    if (!hit) return;
    this.setRising(term, st, true);
    if (!watched && this.isFragment(term, hit, now)) return;
    if (now < st.cooldownUntil) return;
    st.cooldownUntil = now + this.o.cooldownMs;
    if (watched) {
      // A watched term or event is always announced under its own name: the team asked for it.
      this.announce(term, st, hit, now, watched);
      return;
    }
    if (!this.overlapsAnnounced(term, st, now)) this.announce(this.bestName(term, hit, now), st, hit, now);
  }

  private announce(term: string, st: TermState, hit: Crossing, now: number, watched?: WatchEntry): void {
    this.announced.push({ term, at: now, posts: new Set(st.samples.map(postRef)) });
    const seen = [...st.samples];
    for (const s of st.opportunities ?? []) if (!seen.includes(s)) seen.push(s);
    const samples = seen.map(momentSample);
    const moment: Moment = {
      term,
      source: watched?.source ?? 'surge',
      event: watched?.event,
      at: new Date(now).toISOString(),
      nowPerHour: round((hit.count * HOUR) / hit.windowMs),
      baselinePerHour: round(this.baselinePerHour(st, now)),
      ratio: round(hit.count / hit.expected),
      authors: hit.count,
      windowMinutes: Math.round((hit.windowMs / MIN) * 10) / 10,
      samples,
    };
    for (const l of this.listeners) l(moment);
  }

  /**
   * A phrase that is a small part of each of its words' mentions ("pelnihap elfstedentocht" while
   * "elfstedentocht" surges) names nothing of its own: the surging word will be announced under its own name.
   */
  private isFragment(term: string, hit: Crossing, now: number): boolean {
    if (!term.includes(' ')) return false;
    return term.split(' ').every((word) => {
      const st = this.terms.get(word);
      return st !== undefined && hit.count * 3 < this.windowCount(st, now, hit.windowMs);
    });
  }

  /**
   * A word is often half of a phrase that names the moment better ("flightled" → "cancelled flightled"): use
   * the phrase when it carries most of the word's mentions now.
   */
  private bestName(term: string, hit: Crossing, now: number): string {
    if (term.includes(' ')) return term;
    let best = term;
    let bestCount = Math.ceil(hit.count * 0.6);
    for (const [other, st] of this.terms) {
      if (!other.includes(' ') || !other.split(' ').includes(term)) continue;
      const n = this.windowCount(st, now, hit.windowMs);
      if (n >= bestCount) {
        best = other;
        bestCount = n;
      }
    }
    return best;
  }

  /**
   * "winter storm" announced a moment ago makes "storm" rising now the same moment, not a new one; so does a
   * term carried by the same posts ("fleek" and "fleets" from one quoted tweet).
   */
  private overlapsAnnounced(term: string, st: TermState, now: number): boolean {
    const span = Math.max(2 * this.o.windowMs, HOUR);
    this.announced = this.announced.filter((r) => now - r.at < span);
    const words = new Set(term.split(' '));
    const posts = st.samples.map(postRef);
    return this.announced.some(
      (r) =>
        r.term.split(' ').some((w) => words.has(w)) ||
        posts.filter((p) => r.posts.has(p)).length >= Math.max(2, Math.ceil(posts.length / 2)),
    );
  }

  private setRising(term: string, st: TermState, on: boolean): void {
    if (st.rising === on) return;
    st.rising = on;
    if (on) this.risingSet.add(term);
    else this.risingSet.delete(term);
    this.risingCache = Object.freeze([...this.risingSet]);
  }

  /** Rising terms that stopped being mentioned fall back as their mentions leave the window. */
  private sweep(now: number): void {
    this.lastSweep = now;
    for (const term of [...this.risingSet]) {
      const st = this.terms.get(term);
      if (!st) continue;
      this.decay(st, now);
      if (this.peakRatio(st, now) < this.o.exitRatio) this.setRising(term, st, false);
    }
  }

  /** Forgets rare terms and expired de-duplication keys so memory stays bounded on a busy stream. */
  private prune(now: number): void {
    this.lastPrune = now;
    const since = now - this.keepMs;
    // The keys are kept in time order (remember() re-inserts, CountedKeys queues): the expired ones are at the front.
    this.counted.expire(since);
    for (const [k, t] of this.copies) {
      if (t > since) break;
      this.copies.delete(k);
    }
    // A term seen about once in the last half day is not worth its memory; if it comes back it starts anew.
    const last = Math.floor(now / PRUNE_MS);
    const first = this.nextSlot;
    this.nextSlot = last + 1;
    // Slot by slot, or (after a long gap in the stream) the slots there are.
    const slots = last - first < this.dueSlots.size ? Array.from({ length: last - first + 1 }, (_, i) => first + i) : [...this.dueSlots.keys()].filter((k) => k <= last);
    for (const slot of slots) {
      const due = this.dueSlots.get(slot);
      if (!due) continue;
      this.dueSlots.delete(slot);
      for (const st of due) {
        if (st.due !== slot) continue; // forgotten since, or due in another slot
        this.decay(st, now);
        if (!st.rising && now >= st.cooldownUntil && st.slow < FORGET_BELOW) this.forget(st);
        else this.schedule(st);
      }
    }
    for (const st of this.emptied) {
      if (st.recent.length || !st.samples.length) this.emptied.delete(st);
      else if (st.samples[0]!.at <= now - HOUR) {
        st.samples = [];
        st.opportunities = undefined;
        this.emptied.delete(st);
      }
    }
  }

  /**
   * Files a term under the prune slot in which its baseline, if it is not seen again, falls below FORGET_BELOW (a
   * second early, against rounding; the prune checks), and never under a slot already looked at.
   */
  private schedule(st: TermState): void {
    const forgetAt = st.t + this.o.slowTauMs * Math.log(st.slow / FORGET_BELOW) - 1000;
    const slot = Math.max(Math.floor(forgetAt / PRUNE_MS), this.nextSlot);
    st.due = slot;
    // The state itself, not its term: a prune needs no lookup by name (a term seen again has a new state).
    const due = this.dueSlots.get(slot);
    if (due) due.push(st);
    else this.dueSlots.set(slot, [st]);
  }

  /**
   * Drops a term; its state, still filed under a prune slot (an evicted one), is marked so that slot passes it over,
   * and lets its posts go meanwhile.
   */
  private forget(st: TermState): void {
    this.terms.delete(st.term);
    st.due = -1;
    st.recent = [];
    st.samples = [];
    st.opportunities = undefined;
  }

  /** At the cap, drop the fifth of terms with the smallest baseline now (never a rising one). */
  private evict(now: number): void {
    const victims = [...this.terms.entries()]
      .filter(([, st]) => !st.rising)
      .map(([, st]) => ({ st, slow: st.slow * Math.exp(-(now - st.t) / this.o.slowTauMs) }))
      .sort((a, b) => a.slow - b.slow)
      .slice(0, Math.ceil(this.o.maxTerms / 5));
    for (const { st } of victims) this.forget(st);
  }
}

interface Crossing {
  windowMs: number;
  count: number;
  expected: number;
}

function refill(set: Set<string>, items: Iterable<string>): Set<string> {
  set.clear();
  for (const item of items) set.add(item);
  return set;
}

/**
 * Sets key to the time `at`, moved to the end so the map stays in time order; over `max` keys the oldest tenth
 * is forgotten.
 */
function remember(map: Map<string, number>, key: string, at: number, max: number, present = true): void {
  if (present) map.delete(key);
  map.set(key, at);
  if (map.size <= max) return;
  let drop = Math.ceil(max / 10);
  for (const k of map.keys()) {
    if (drop-- <= 0) break;
    map.delete(k);
  }
}

/** A post among a term's samples: its time as a number, written out only in a moment. */
interface Seen {
  id?: string;
  text: string;
  author?: string;
  url?: string;
  at: number;
  kind?: Kind;
}

function momentSample(s: Seen): MomentSample {
  return { id: s.id, text: s.text, author: s.author, url: s.url, createdAt: new Date(s.at).toISOString(), kind: s.kind };
}

function postRef(s: Seen): string {
  return s.id ?? `${s.author ?? ''}@${new Date(s.at).toISOString()}`;
}

function wordsOfText(text: string): string[] {
  return wordsOf(normaliseText(text));
}

const LOG_FACT: number[] = [0];
function logFactorial(n: number): number {
  for (let i = LOG_FACT.length; i <= n; i++) LOG_FACT.push(LOG_FACT[i - 1]! + Math.log(i));
  return LOG_FACT[n]!;
}

/** P(X ≥ k) for X ~ Poisson(λ), summed from k upwards so tiny tails stay accurate. */
export function poissonTail(k: number, lambda: number): number {
  if (k <= 0) return 1;
  if (lambda <= 0) return 0;
  let sum = 0;
  for (let i = k; i < k + 1000; i++) {
    const term = Math.exp(-lambda + i * Math.log(lambda) - logFactorial(i));
    sum += term;
    if (i > lambda && term < sum * 1e-12) break;
  }
  return Math.min(1, sum);
}

function round(n: number): number {
  return Math.round(n * 10) / 10;
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
