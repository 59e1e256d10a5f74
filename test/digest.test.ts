import { afterEach, describe, expect, it } from 'vitest';
import { decode } from 'fast-png';
import type { Analysis } from '../src/domain/analysis';
import type { Post } from '../src/domain/post';
import type { Kind } from '../src/domain/verdict';
import { buildDigest, type DigestPayload } from '../src/discord/digest';
import { CHART_HEIGHT, CHART_WIDTH, renderChartPng } from '../src/digest/chart';
import { readDigestData } from '../src/digest/data';
import { DigestScheduler } from '../src/digest/scheduler';
import { digestWindow, zonedTime } from '../src/digest/time';
import { openSqlite } from '../src/store/sqlite';
import type { SqlStore as Store } from '../src/store/sql-store';

const TZ = 'Europe/Amsterdam';
const stores: Store[] = [];
afterEach(async () => {
  while (stores.length) stores.pop()!.close();
});

function analysis(summary: string): Analysis {
  return { summary, why: 'why', gesture: null, reply: 'r', publicPost: null, verifyFirst: [], risks: [], analyst: 'offline', notes: [] };
}

let n = 0;
function post(at: string, text = 'a post', handle = 'fan'): Post {
  n++;
  return { id: String(n), platform: 'x', author: { handle, followers: 10 }, text, createdAt: at };
}

/** A fixed store: a day of posts with cards, decisions, a delivered card, a moment and model usage. */
async function fixture(now: Date) {
  const store = openSqlite(':memory:', () => now);
  stores.push(store);
  const add = async (at: string, kind: Kind, score = 0.5, summary?: string) =>
    (await store.recordPost(post(at, summary ?? 'text'), { kind, score, signals: [], lang: 'en' }, summary ? { analysis: analysis(summary), sinks: ['discord'] } : undefined))!
      .opportunityId;
  for (let h = 0; h < 24; h++) for (let i = 0; i < (h % 3) + 1; i++) await add(`2026-03-02T${String(h).padStart(2, '0')}:10:00Z`, 'noise');
  await add('2026-03-02T10:00:00Z', 'service');
  const low = await add('2026-03-02T09:00:00Z', 'opportunity', 0.61, 'Milestone: a first flight');
  const high = await add('2026-03-02T12:00:00Z', 'opportunity', 0.93, 'Dilemma: honeymoon or the @everyone Elfstedentocht');
  const done = await add('2026-03-02T13:00:00Z', 'opportunity', 0.8, 'Fan creation: a drawing');
  const risk = await add('2026-03-02T14:00:00Z', 'risk', 0.9, 'Accusation with reach');
  const dismissed = await add('2026-03-02T15:00:00Z', 'opportunity', 0.7, 'Not special after all');
  const item = (await store.outboxFor(high!, 'discord'))!;
  await store.markSent(item, { messageId: '1400000000000000001', channelId: '1300000000000000001' });
  await store.transition(done!, 'approved', { id: 'u1', name: 'Anouk' });
  await store.transition(dismissed!, 'dismissed', { id: 'u2', name: 'Bram' }, 'not-special', 'seen this before');
  await store.transition(risk!, 'claimed', { id: 'u3', name: 'Chris' });
  await store.recordMoment({
    term: 'elfstedentocht', source: 'event', event: 'Elfstedentocht', at: '2026-03-02T11:30:00.000Z', nowPerHour: 42,
    baselinePerHour: 2.5, ratio: 12, authors: 9, windowMinutes: 10, samples: [],
  });
  await store.recordLlmUsage({ at: now, model: 'gpt-4o-mini', purpose: 'analyse', promptTokens: 1000, completionTokens: 200, costUsd: 0.0042, outcome: 'ok' });
  return { store, ids: { low, high, done, risk, dismissed } };
}

describe('digest builder', () => {
  const now = new Date('2026-03-02T20:00:00Z');
  const read = (store: Store) =>
    readDigestData(store, {
      day: '2026-03-02',
      from: new Date('2026-03-02T00:00:00Z'),
      to: new Date('2026-03-03T00:00:00Z'),
      timeZone: 'UTC',
      guildId: '1200000000000000001',
    });

  it('counts volume by hour and kind, ranks open opportunities, and links the posted card', async () => {
    const { store, ids } = await fixture(now);
    const data = (await read(store));
    expect(data.hours).toHaveLength(24);
    expect(data.hours[12]!.counts).toEqual({ opportunity: 1, risk: 0, service: 0, noise: 1 });
    expect(data.hours[2]!.counts.noise).toBe(3);
    expect(data.totals).toEqual({ opportunity: 4, risk: 1, service: 1, noise: 48 });
    expect(data.opportunities.map((o) => o.id)).toEqual([ids.high, ids.low]);
    expect(data.opportunities[0]!.link).toBe('https://discord.com/channels/1200000000000000001/1300000000000000001/1400000000000000001');
    expect(data.opportunities[1]!.link).toBeNull();
    expect(data.risks.map((r) => [r.id, r.status, r.claimedBy])).toEqual([[ids.risk, 'claimed', 'Chris']]);
    expect(data.decisions.map((d) => [d.opportunityId, d.action, d.actor, d.reason])).toEqual([
      [ids.done, 'approved', 'Anouk', null],
      [ids.dismissed, 'dismissed', 'Bram', 'not-special'],
    ]);
    expect(data.moments.map((m) => m.term)).toEqual(['elfstedentocht']);
    expect(data.llm?.calls).toBe(1);
  });

  it('builds a message within Discord limits that pings nobody, and a plain-text twin', async () => {
    const { store, ids } = await fixture(now);
    const { payload, text } = buildDigest((await read(store)), { brandName: 'Oranje Air' });
    expect(payload.allowed_mentions).toEqual({ parse: [] });
    const embed = payload.embeds[0]!;
    expect(embed.title).toBe('Oranje Air · Daily digest · 2026-03-02');
    expect(embed.image?.url).toBe(`attachment://${payload.chartName}`);
    const fields = Object.fromEntries((embed.fields ?? []).map((f) => [f.name.split(/[(:]/)[0]!.trim(), f.value]));
    const open = fields['Open opportunities']!.split('\n');
    expect(open[0]).toContain(`[#${ids.high}](https://discord.com/channels/`);
    expect(open[0]).toMatch(/^\*\*0\.93\*\*/);
    expect(open[1]).toMatch(/^\*\*0\.61\*\*/);
    // Fan text can never mention everyone, even visually.
    expect(JSON.stringify(payload)).not.toMatch(/@everyone/);
    expect(fields.Decisions).toContain('approved by Anouk');
    expect(fields.Decisions).toContain('dismissed by Bram — not-special');
    expect(fields.Decisions).toContain('seen this before');
    expect(fields['Rising moments']).toContain('elfstedentocht');
    expect(fields['Model usage']).toContain('1 calls');
    expect(fields['Model usage']).toContain('$0.0042');
    expect(size(payload)).toBeLessThanOrEqual(6000);
    expect(text).toContain('Open opportunities (2)');
    expect(text).toContain('Dilemma: honeymoon');
    expect(text).not.toContain('**');
  });

  it('stays within limits and says what did not fit when a day is overfull', async () => {
    const store = openSqlite(':memory:', () => now);
    stores.push(store);
    for (let i = 0; i < 60; i++) {
      await store.recordPost(post(`2026-03-02T10:${String(i).padStart(2, '0')}:00Z`), { kind: 'opportunity', score: 0.5, signals: [], lang: 'en' }, {
        analysis: analysis(`Story ${i} ${'x'.repeat(300)}`),
        sinks: [],
      });
    }
    const data = await readDigestData(store, { day: '2026-03-02', from: new Date('2026-03-02T00:00:00Z'), to: new Date('2026-03-03T00:00:00Z'), timeZone: 'UTC', limit: 60 });
    const { payload } = buildDigest(data, { maxLines: 60 });
    for (const f of payload.embeds[0]!.fields!) expect(f.value.length).toBeLessThanOrEqual(1024);
    expect(payload.embeds[0]!.fields![0]!.value).toMatch(/…and \d+ more$/);
    expect(size(payload)).toBeLessThanOrEqual(6000);
  });
});

describe('digest: posts that came close, and what the team taught', () => {
  const now = new Date('2026-03-02T20:00:00Z');
  // How close each post came, as the brand's model would say: by its text, so the test controls the order.
  const closeness = (p: Post) => {
    const m = /close (0\.\d+) (opportunity|risk)/.exec(p.text);
    return m ? { kind: m[2] as 'opportunity' | 'risk', p: Number(m[1]) } : null;
  };
  const teaching = {
    closeness,
    model: { source: "the brand's own model (trained 2026-03-01T03:30:00.000Z on 40 labels)", trainedAt: '2026-03-01T03:30:00.000Z', labels: 40, figures: { shipped: { opportunity: 0.5, risk: 0.6 }, brand: { opportunity: 0.7, risk: 0.65 } } },
  };

  it('lists the closest posts that were no card, a button each, and leaves out cards, labelled posts and other days', async () => {
    const store = openSqlite(':memory:', () => now);
    stores.push(store);
    const add = (at: string, text: string, kind: Kind = 'service', handle = 'fan') => store.recordPost(post(at, text, handle), { kind, score: 0.2, signals: [], lang: 'en' }, kind === 'opportunity' ? { analysis: analysis('a card'), sinks: [] } : undefined);
    for (let i = 0; i < 7; i++) await add(`2026-03-02T1${i}:00:00Z`, `close 0.${i + 2} opportunity, post ${i}`, 'noise', `fan${i}`);
    await add('2026-03-02T09:00:00Z', 'close 0.95 risk @everyone [login](http://evil.example)', 'service', 'angry');
    await add('2026-03-02T09:30:00Z', 'close 0.99 opportunity but it is a card', 'opportunity');
    await add('2026-03-01T09:30:00Z', 'close 0.99 opportunity, but the day before');
    await add('2026-03-02T08:00:00Z', 'nowhere near a card');
    await add('2026-03-02T08:30:00Z', 'close 0.98 opportunity, labelled already');
    await store.addLabel({ platform: 'x', id: String(n) }, 'noise', 'label', { id: 'u1', name: 'Anouk' });
    const data = await readDigestData(store, { day: '2026-03-02', from: new Date('2026-03-02T00:00:00Z'), to: new Date('2026-03-03T00:00:00Z'), timeZone: 'UTC', teaching });
    expect(data.closeCalls.map((c) => [c.author, c.kind, c.p])).toEqual([
      ['angry', 'risk', 0.95],
      ['fan6', 'opportunity', 0.8],
      ['fan5', 'opportunity', 0.7],
      ['fan4', 'opportunity', 0.6],
      ['fan3', 'opportunity', 0.5],
    ]);
    expect(data.learning).toEqual({ given: 1, total: 1, last: '2026-03-02T20:00:00.000Z', model: teaching.model });

    const { payload, text } = buildDigest(data);
    const field = payload.embeds[0]!.fields!.find((f) => f.name.startsWith('Came close'))!;
    expect(field.name).toBe('Came close (5): no card, but nearly');
    const lines = field.value.split('\n');
    expect(lines[0]).toMatch(/^1\. \*\*0\.95\*\* risk\? \*\*@angry\*\*/);
    expect(lines[4]).toMatch(/^5\. \*\*0\.50\*\* opportunity\? \*\*@fan3\*\*/);
    // Fan text pings nobody and smuggles in no link.
    expect(field.value).not.toContain('@everyone');
    expect(field.value).not.toMatch(/(?<!\\)\[login(?<!\\)\]\(/);
    expect(field.value).toContain('\\[login\\]');
    expect(payload.components.map((r) => r.components.map((b) => [b.label, b.custom_id]))).toEqual(
      data.closeCalls.map((c, i) => [[`${i + 1}. Should have been a card`, `missed:close:${c.kind}:x:${c.postId}`]]),
    );
    const taught = payload.embeds[0]!.fields!.find((f) => f.name === 'Team labels · triage')!.value;
    expect(taught).toBe(
      "1 label in this window, 1 in all (last 2026-03-02) · triage uses the brand's own model (trained 2026-03-01T03:30:00.000Z on 40 labels) · on held-back labels: opportunity F1 0.50 → 0.70, risk F1 0.60 → 0.65 (shipped → brand)",
    );
    expect(text).toContain('Came close (5)');
    expect(size(payload)).toBeLessThanOrEqual(6000);
  });

  it('has no list and no buttons without a model to say how close, or when nothing came close', async () => {
    const store = openSqlite(':memory:', () => now);
    stores.push(store);
    await store.recordPost(post('2026-03-02T10:00:00Z', 'close 0.5 opportunity'), { kind: 'service', score: 0.2, signals: [], lang: 'en' });
    const window = { day: '2026-03-02', from: new Date('2026-03-02T00:00:00Z'), to: new Date('2026-03-03T00:00:00Z'), timeZone: 'UTC' };
    const without = buildDigest(await readDigestData(store, window)).payload;
    expect(without.components).toEqual([]);
    expect(without.embeds[0]!.fields!.some((f) => f.name.startsWith('Came close') || f.name === 'Team labels · triage')).toBe(false);
    const none = buildDigest(await readDigestData(store, { ...window, teaching: { ...teaching, closeness: () => null } })).payload;
    expect(none.components).toEqual([]);
    expect(none.embeds[0]!.fields!.some((f) => f.name.startsWith('Came close'))).toBe(false);
  });
});

function size(p: DigestPayload): number {
  const e = p.embeds[0]!;
  return (e.title?.length ?? 0) + (e.description?.length ?? 0) + (e.footer?.text.length ?? 0) + (e.fields ?? []).reduce((n, f) => n + f.name.length + f.value.length, 0);
}

describe('digest chart', () => {
  it('renders a PNG of the expected size with real content', async () => {
    const { store } = await fixture(new Date('2026-03-02T20:00:00Z'));
    const data = await readDigestData(store, { day: '2026-03-02', from: new Date('2026-03-02T00:00:00Z'), to: new Date('2026-03-03T00:00:00Z'), timeZone: 'UTC' });
    const png = renderChartPng(data);
    expect(png.subarray(0, 8)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
    expect(png.readUInt32BE(16)).toBe(CHART_WIDTH);
    expect(png.readUInt32BE(20)).toBe(CHART_HEIGHT);
    const img = decode(png);
    const colours = new Set<string>();
    let noisePixels = 0;
    for (let i = 0; i < img.data.length; i += img.channels) {
      const rgb = `${img.data[i]},${img.data[i + 1]},${img.data[i + 2]}`;
      colours.add(rgb);
      if (rgb === '189,195,199') noisePixels++; // the noise bars' grey
    }
    expect(colours.size).toBeGreaterThan(20); // bars, text (anti-aliased), gridlines
    expect(noisePixels).toBeGreaterThan(5000);
  });
});

describe('digest scheduler', () => {
  function harness(start: string, opts: { digestTime?: string; store?: Store; since?: Date } = {}) {
    let now = new Date(start);
    const store = opts.store ?? openSqlite(':memory:', () => now);
    if (!opts.store) stores.push(store);
    const sent: { payload: DigestPayload; png: Buffer }[] = [];
    let fail = false;
    const scheduler = new DigestScheduler({
      store,
      sender: {
        async sendDigest(digest, png) {
          if (fail) throw new Error('Discord is down');
          sent.push({ payload: buildDigest(digest.data, { late: digest.late }).payload, png });
          return { messageId: String(1000 + sent.length) };
        },
      },
      digestTime: opts.digestTime ?? '09:00',
      timeZone: TZ,
      clock: () => now,
      timers: false,
      since: opts.since,
    });
    return {
      store,
      sent,
      scheduler,
      set: (iso: string) => (now = new Date(iso)),
      failing: (f: boolean) => (fail = f),
      rows: async () => (await store.listDigests()).map((d) => ({ day: d.day, late: d.late ? 1 : 0, message_id: d.messageId })),
    };
  }

  it('keeps 09:00 local across the March and October DST changes', async () => {
    const h = harness('2026-03-27T12:00:00Z');
    expect(h.scheduler.nextRun(new Date('2026-03-28T12:00:00Z'))!.toISOString()).toBe('2026-03-29T07:00:00.000Z'); // CEST
    expect(h.scheduler.nextRun(new Date('2026-03-27T12:00:00Z'))!.toISOString()).toBe('2026-03-28T08:00:00.000Z'); // CET
    expect(h.scheduler.nextRun(new Date('2026-10-24T12:00:00Z'))!.toISOString()).toBe('2026-10-25T08:00:00.000Z'); // CET again
    expect(h.scheduler.nextRun(new Date('2026-10-23T12:00:00Z'))!.toISOString()).toBe('2026-10-24T07:00:00.000Z');
    // The window of the digest on the short day is 23 hours, on the long day 25.
    const short = digestWindow('2026-03-29', '09:00', TZ);
    expect((short.to.getTime() - short.from.getTime()) / 3_600_000).toBe(23);
    const long = digestWindow('2026-10-25', '09:00', TZ);
    expect((long.to.getTime() - long.from.getTime()) / 3_600_000).toBe(25);
  });

  it('sends exactly one digest a day across the spring change, even at a time that does not exist that night', async () => {
    const h = harness('2026-03-28T00:00:00Z', { digestTime: '02:30' });
    const days: string[] = [];
    // Tick every 15 minutes of a controlled clock from Saturday to Tuesday.
    for (let t = Date.parse('2026-03-28T00:00:00Z'); t < Date.parse('2026-03-31T00:00:00Z'); t += 15 * 60_000) {
      h.set(new Date(t).toISOString());
      if ((await h.scheduler.tick()) === 'sent') days.push(new Date(t).toISOString());
    }
    expect((await h.rows()).map((r) => r.day)).toEqual(['2026-03-27', '2026-03-28', '2026-03-29', '2026-03-30']);
    // 02:30 does not exist on 29 March in Amsterdam: that digest goes at 03:00 CEST (01:00Z), once.
    expect(days).toContain('2026-03-29T01:00:00.000Z');
    expect((await h.rows()).filter((r) => r.day !== '2026-03-27').every((r) => r.late === 0)).toBe(true);
  });

  it('sends exactly one digest on the autumn night when 02:30 happens twice', async () => {
    const h = harness('2026-10-24T22:00:00Z', { digestTime: '02:30' });
    let sends = 0;
    for (let t = Date.parse('2026-10-24T22:00:00Z'); t < Date.parse('2026-10-25T04:00:00Z'); t += 5 * 60_000) {
      h.set(new Date(t).toISOString());
      if ((await h.scheduler.tick()) === 'sent') sends++;
    }
    expect((await h.rows()).map((r) => r.day)).toEqual(['2026-10-24', '2026-10-25']);
    expect(sends).toBe(2);
  });

  it('sends a missed digest once, marked late, when the bot comes back', async () => {
    const h = harness('2026-03-02T11:40:00Z'); // 12:40 in Amsterdam: 09:00 was missed
    expect(await h.scheduler.start()).toBe('sent');
    expect((await h.rows())).toEqual([{ day: '2026-03-02', late: 1, message_id: '1001' }]);
    expect(h.sent[0]!.payload.embeds[0]!.title).toContain('(late)');
    expect(h.sent[0]!.payload.content).toContain('sent late');
    expect(await h.scheduler.tick()).toBe('already-sent');
    h.scheduler.stop();
  });

  it('a new install owes no digest for a time before its first run, and sends the next one on time', async () => {
    const h = harness('2026-03-02T11:40:00Z', { since: new Date('2026-03-02T11:30:00Z') }); // installed at 12:30 local
    expect(await h.scheduler.start()).toBe('not-due');
    expect(h.sent).toHaveLength(0);
    h.set('2026-03-03T08:00:30Z');
    expect(await h.scheduler.tick()).toBe('sent');
    expect((await h.rows())).toEqual([{ day: '2026-03-03', late: 0, message_id: '1001' }]);
    h.scheduler.stop();
  });

  it('does not send a second digest after a restart, and sends the next day on time', async () => {
    const first = harness('2026-03-02T08:00:30Z'); // 09:00:30 local
    expect(await first.scheduler.start()).toBe('sent');
    first.scheduler.stop();
    expect((await first.rows())[0]!.late).toBe(0);
    // A restart an hour later on the same database.
    const again = harness('2026-03-02T09:00:00Z', { store: first.store });
    expect(await again.scheduler.start()).toBe('already-sent');
    expect(again.sent).toHaveLength(0);
    again.set('2026-03-03T08:00:00Z');
    expect(await again.scheduler.tick()).toBe('sent');
    expect((await first.rows()).map((r) => [r.day, r.late])).toEqual([['2026-03-02', 0], ['2026-03-03', 0]]);
    again.scheduler.stop();
  });

  it('tries again after a failed send and records nothing until it went out', async () => {
    const h = harness('2026-03-02T08:01:00Z');
    h.failing(true);
    expect(await h.scheduler.tick()).toBe('failed');
    expect((await h.rows())).toEqual([]);
    h.failing(false);
    h.set('2026-03-02T08:06:00Z');
    expect(await h.scheduler.tick()).toBe('sent');
    expect((await h.rows())).toHaveLength(1);
    expect(h.sent[0]!.png.subarray(1, 4).toString()).toBe('PNG');
  });

  it('puts a local wall-clock time at the right instant', async () => {
    expect(zonedTime('2026-07-01', '09:00', TZ).toISOString()).toBe('2026-07-01T07:00:00.000Z');
    expect(zonedTime('2026-01-01', '09:00', TZ).toISOString()).toBe('2026-01-01T08:00:00.000Z');
  });
});
