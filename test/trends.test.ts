import { mkdtempSync, writeFileSync } from 'node:fs';
import { DEMO_BRAND_DIR } from '../src/analyse/brand-pack';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { activeEventTerms, CalendarError, loadCalendar, watchEntries } from '../src/detect/events';
import { buildMomentCard } from '../src/detect/moment-card';
import { extractTerms } from '../src/detect/terms';
import { dayAround } from '../src/detect/trends-service';
import { dateFormat } from '../src/domain/date-format';
import type { Moment } from '../src/domain/moment';
import { poissonTail, TrendDetector, trendTextOf, type TrendPost } from '../src/detect/trends';
import { syntheticStream } from './support/trend-stream';

const MIN = 60_000;
const HOUR = 60 * MIN;
const T0 = Date.parse('2026-02-01T00:00:00Z');

function run(posts: TrendPost[], d = new TrendDetector()): Moment[] {
  const found: Moment[] = [];
  d.onMoment((m) => found.push(m));
  for (const p of posts) d.observe(p);
  return found;
}

function merge(...streams: TrendPost[][]): TrendPost[] {
  return streams.flat().sort((a, b) => Date.parse(String(a.createdAt)) - Date.parse(String(b.createdAt)));
}

/** The demo brand's calendar (Dutch holidays, the Elfstedentocht); the default calendar is brand-neutral. */
const DEMO_CALENDAR = join(DEMO_BRAND_DIR, 'events.yaml');

describe('terms', () => {
  it('keeps words, hashtags and two-word phrases; drops English and Dutch stop words, mentions, links and the brand', () => {
    const terms = extractTerms(
      '@OranjeAir De #Elfstedentocht gaat door en ik vlieg morgen met Oranje Air! Winter storm https://t.co/x',
      new Set(['oranjeair', 'oranje air']),
    );
    expect(terms).toContain('elfstedentocht');
    expect(terms).toContain('winter storm');
    expect(terms).toContain('vlieg');
    for (const stop of ['de', 'en', 'ik', 'met', 'gaat', 'door', 'oranjeair', 'oranje air', 'https', 't.co']) expect(terms).not.toContain(stop);
  });
});

describe("the stream's local day", () => {
  it('is the day of every millisecond up to the next one, across daylight saving and zones off the hour', () => {
    const zones = ['Europe/Amsterdam', 'America/St_Johns', 'Asia/Kathmandu', 'Australia/Lord_Howe', 'Pacific/Apia', 'UTC'];
    fc.assert(
      fc.property(fc.constantFrom(...zones), fc.integer({ min: Date.parse('2011-01-01'), max: Date.parse('2027-01-01') }), (timeZone, at) => {
        const format = dateFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' });
        const { day, from, until } = dayAround(format, at);
        expect(day).toBe(format.format(at));
        expect(from).toBe(at);
        expect(format.format(until - 1)).toBe(day);
        expect(format.format(until)).not.toBe(day);
        expect(until - at).toBeLessThanOrEqual(26 * HOUR);
      }),
      { numRuns: 300 },
    );
  });
});

describe('TrendDetector', () => {
  const background = (seed: number, terms: Parameters<typeof syntheticStream>[0]['terms'] = []) =>
    syntheticStream({ startMs: T0, durationMs: 8 * HOUR, postsPerMinute: 20, seed, terms });

  it('detects a term surging to 5× its baseline within minutes of stream time, and lists it as rising', () => {
    const surgeAt = T0 + 7 * HOUR;
    const d = new TrendDetector();
    const moments = run(background(3, [{ word: 'elfstedentocht', perHour: 60, surgeAtMs: surgeAt, surgePerHour: 300 }]), d);
    const hit = moments.find((m) => m.term === 'elfstedentocht');
    expect(hit).toBeDefined();
    const latency = Date.parse(hit!.at) - surgeAt;
    expect(latency).toBeGreaterThan(0);
    expect(latency).toBeLessThan(10 * MIN);
    expect(hit!.ratio).toBeGreaterThanOrEqual(3);
    expect(hit!.nowPerHour).toBeGreaterThan(hit!.baselinePerHour * 3);
    expect(hit!.samples.length).toBeGreaterThan(0);
    expect(moments.filter((m) => m !== hit)).toEqual([]);
    expect(d.rising()).toContain('elfstedentocht');
  });

  it('catches a busy term\'s surge within minutes in a short window, under the term\'s own name', () => {
    // At 120/h the 10-minute window is diluted by the minutes before the surge; the 5-minute one is not.
    const surgeAt = T0 + 7 * HOUR;
    const latencies: number[] = [];
    for (const seed of [4, 8]) {
      const moments = run(background(seed, [{ word: 'elfstedentocht', perHour: 120, surgeAtMs: surgeAt, surgePerHour: 600 }]));
      expect(moments.map((m) => m.term)).toEqual(['elfstedentocht']);
      expect(moments[0]!.windowMinutes).toBeLessThan(10);
      latencies.push(Date.parse(moments[0]!.at) - surgeAt);
    }
    for (const l of latencies) expect(l).toBeGreaterThan(0);
    expect(Math.max(...latencies)).toBeLessThan(5 * MIN);
  });

  it('raises nothing for a steady high-volume term', () => {
    const moments = run(background(4, [{ word: 'weather', perHour: 300 }]));
    expect(moments).toEqual([]);
  });

  it('raises nothing for one viral post copied by many accounts, nor for one spammer', () => {
    const start = T0 + 6 * HOUR;
    const viral: TrendPost[] = Array.from({ length: 200 }, (_, i) => ({
      id: `v${i}`,
      text: `RT @someone: my honeymoon plans ruined by the blizzard https://t.co/${i}`,
      createdAt: new Date(start + i * 3000).toISOString(),
      author: `fan${i}`,
    }));
    const spam: TrendPost[] = Array.from({ length: 200 }, (_, i) => ({
      id: `s${i}`,
      text: `cheap giveaway number ${i} click now`,
      createdAt: new Date(start + i * 3000 + 1500).toISOString(),
      author: 'spammer',
    }));
    const moments = run(merge(background(5), viral, spam));
    expect(moments.map((m) => m.term)).toEqual([]);
  });

  it('falls quiet again when the surge stops, and announces a moment once within its cooldown', () => {
    const surgeAt = T0 + 6 * HOUR;
    const posts = merge(
      background(6, [{ word: 'stormchaos', perHour: 30, surgeAtMs: surgeAt, surgePerHour: 400 }]).filter(
        (p) => !(String(p.text).includes('stormchaos') && Date.parse(String(p.createdAt)) > surgeAt + 30 * MIN),
      ),
    );
    const d = new TrendDetector();
    const moments = run(posts, d);
    expect(moments.filter((m) => m.term.includes('stormchaos'))).toHaveLength(1);
    expect(d.rising()).not.toContain('stormchaos');
  });

  it('gives watched terms and calendar events a lower bar', () => {
    const posts = (word: string): TrendPost[] =>
      Array.from({ length: 5 }, (_, i) => ({
        id: `${word}${i}`,
        text: `wow ${word} update number ${i}`,
        createdAt: new Date(T0 + 3 * HOUR + i * MIN).toISOString(),
        author: `${word}-person${i}`,
      }));
    const stream = merge(
      syntheticStream({ startMs: T0, durationMs: 4 * HOUR, postsPerMinute: 5, seed: 9 }),
      posts('schaatskoorts'),
      posts('elfstedenkoorts'),
    );
    const d = new TrendDetector();
    d.setWatch(watchEntries(loadCalendar(DEMO_CALENDAR), '2026-02-01', ['schaatskoorts']));
    const moments = run(stream, d);
    const byTerm = Object.fromEntries(moments.map((m) => [m.term, m]));
    expect(byTerm.schaatskoorts?.source).toBe('watch');
    // "elfstedenkoorts" is an alias of the Elfstedentocht event, counted under the event's term.
    expect(byTerm.elfstedentocht?.source).toBe('event');
    expect(byTerm.elfstedentocht?.event).toBe('Elfstedentocht');
    // Five people are not enough for an unwatched term.
    const unwatched = run(stream, new TrendDetector()).map((m) => m.term);
    expect(unwatched.filter((t) => /schaatskoorts|elfsteden/.test(t))).toEqual([]);
  });

  it('counts a text read ahead (trendTextOf, as the replay worker reads it) exactly as its own reading', () => {
    // A surge, watched terms and an event's alias (phrases matched on the words), the brand in the posts, copies.
    const watched = (word: string): TrendPost[] =>
      Array.from({ length: 5 }, (_, i) => ({ id: `${word}${i}`, text: `wow ${word} update for Oranje Air number ${i}`, createdAt: new Date(T0 + 3 * HOUR + i * MIN).toISOString(), author: `${word}-person${i}` }));
    const copies: TrendPost[] = Array.from({ length: 30 }, (_, i) => ({ id: `c${i}`, text: 'RT @x: de winter storm hits the runway https://t.co/a', createdAt: new Date(T0 + 3 * HOUR + i * 20_000).toISOString(), author: `c${i % 3}` }));
    const stream = merge(
      syntheticStream({ startMs: T0, durationMs: 4 * HOUR, postsPerMinute: 5, seed: 9, terms: [{ word: 'ijspret', perHour: 6, surgeAtMs: T0 + 3 * HOUR, surgePerHour: 200 }] }),
      watched('schaatskoorts'),
      watched('elfstedenkoorts'),
      copies,
    );
    const detector = () => {
      const d = new TrendDetector({ ignore: ['Oranje Air', '@OranjeAir'] });
      d.setWatch(watchEntries(loadCalendar(DEMO_CALENDAR), '2026-02-01', ['schaatskoorts', 'winter storm']));
      const moments: Moment[] = [];
      d.onMoment((m) => moments.push(m));
      return { d, moments, rising: [] as (readonly string[])[] };
    };
    const own = detector();
    const ahead = detector();
    const ignore = new Set(ahead.d.ignored());
    for (const p of stream) {
      own.d.observe(p);
      own.rising.push(own.d.rising());
      ahead.d.observe(p, trendTextOf(p.text, ignore));
      ahead.rising.push(ahead.d.rising());
    }
    expect(own.moments.map((m) => m.term)).toEqual(expect.arrayContaining(['elfstedentocht', 'ijspret', 'schaatskoorts']));
    expect(ahead.moments).toEqual(own.moments);
    expect(ahead.rising).toEqual(own.rising);
    expect([ahead.d.size(), ahead.d.keys()]).toEqual([own.d.size(), own.d.keys()]);
    // What is counted is the text read ahead, not the post's text again.
    const d = new TrendDetector();
    d.observe({ text: 'ijspret', createdAt: T0 }, { print: 'x', words: 'other', terms: ['other'] });
    expect(d.size()).toBe(1);
    expect(d.keys()).toBe(2);
  });

  it('keeps memory bounded on a busy stream', () => {
    const d = new TrendDetector({ maxTerms: 5000, maxKeys: 3000 });
    run(syntheticStream({ startMs: T0, durationMs: 6 * HOUR, postsPerMinute: 40, seed: 11 }), d);
    expect(d.size()).toBeLessThanOrEqual(5000);
    // 40 posts a minute over a 30-minute window hold more author × term keys than that: the oldest are forgotten.
    expect(d.keys()).toBeLessThanOrEqual(2 * 3000);
    expect(d.keys()).toBeGreaterThan(2000);
  });

  it('forgets a term seen once after about half a day, but not one seen again since', () => {
    const d = new TrendDetector();
    const at = (ms: number) => new Date(T0 + ms).toISOString();
    // A term mentioned every ten minutes keeps the stream going (each text and author new: no copies).
    const tick = (i: number) => d.observe({ text: `keepalive ${i}`, author: `a${i}`, createdAt: at(i * 10 * MIN) });
    d.observe({ text: 'zeppelin', author: 'z', createdAt: at(0) });
    d.observe({ text: 'blimp', author: 'b', createdAt: at(0) });
    let i = 0;
    for (; i * 10 * MIN <= 6 * HOUR; i++) tick(i);
    // Seen again at six hours: its baseline (1.78) lasts until about 32 hours.
    d.observe({ text: 'blimp', author: 'b2', createdAt: at(6 * HOUR + 1) });
    // A single mention decays below 0.6 after 24 h × ln(1/0.6) ≈ 12.26 h.
    for (; i * 10 * MIN <= 12 * HOUR; i++) tick(i);
    expect(d.size()).toBe(3);
    for (; i * 10 * MIN <= 12.6 * HOUR; i++) tick(i);
    expect(d.size()).toBe(2);
    for (; i * 10 * MIN <= 31.5 * HOUR; i++) tick(i);
    expect(d.size()).toBe(2);
    for (; i * 10 * MIN <= 32.5 * HOUR; i++) tick(i);
    expect(d.size()).toBe(1);
  });

  it('finds the same moment with its de-duplication keys capped', () => {
    const stream = background(3, [{ word: 'elfstedentocht', perHour: 60, surgeAtMs: T0 + 7 * HOUR, surgePerHour: 300 }]);
    const capped = new TrendDetector({ maxKeys: 3000 });
    expect(run(stream, capped).map((m) => m.term)).toEqual(['elfstedentocht']);
    expect(capped.keys()).toBeLessThanOrEqual(2 * 3000);
  });

  it('computes small Poisson tails accurately', () => {
    expect(poissonTail(0, 3)).toBe(1);
    expect(poissonTail(1, 2)).toBeCloseTo(1 - Math.exp(-2), 10);
    expect(poissonTail(20, 2)).toBeGreaterThan(0);
    expect(poissonTail(20, 2)).toBeLessThan(1e-10);
  });
});

describe('moment card', () => {
  it('puts the posts that carry a brand story apart from the other samples', () => {
    const card = buildMomentCard({
      term: 'elfstedentocht',
      source: 'event',
      event: 'Elfstedentocht',
      at: '2026-02-01T10:00:00.000Z',
      nowPerHour: 42,
      baselinePerHour: 2.5,
      ratio: 12.4,
      authors: 9,
      windowMinutes: 10,
      samples: [
        { id: '1', text: 'It giet oan!', createdAt: '2026-02-01T09:59:00Z', kind: 'noise' },
        { id: '2', text: 'Honeymoon flight or the Elfstedentocht start?', createdAt: '2026-02-01T09:58:00Z', kind: 'opportunity' },
      ],
    });
    expect(card.title).toBe('Rising: elfstedentocht');
    expect(card.volume).toContain('42/h now against 2.5/h');
    expect(card.source).toContain('Elfstedentocht');
    expect(card.stories.map((s) => s.text)).toEqual(['Honeymoon flight or the Elfstedentocht start?']);
    expect(card.samples.map((s) => s.text)).toEqual(['It giet oan!']);
  });
});

describe('event calendar', () => {
  it('loads the shipped calendar and knows which events are on', () => {
    const events = loadCalendar(DEMO_CALENDAR);
    expect(activeEventTerms(events, '2026-04-27')).toContain('koningsdag');
    expect(activeEventTerms(events, '2026-03-10')).not.toContain('koningsdag');
    // The Elfstedentocht has no date: watched all year.
    expect(activeEventTerms(events, '2026-03-10')).toContain('elfstedentocht');
  });

  it('rejects a calendar entry with its place and problem', () => {
    const dir = mkdtempSync(join(tmpdir(), 'kairos-events-'));
    const file = join(dir, 'events.yaml');
    writeFileSync(file, 'events:\n  - name: Bad\n    kind: holiday\n    from: 2026-05-05\n    to: 2026-05-01\n    terms: [x]\n');
    expect(() => loadCalendar(file)).toThrow(CalendarError);
    expect(() => loadCalendar(file)).toThrow(/events\.0/);
  });
});
