import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../src/config';
import { staticContext } from '../src/detect/context';
import { brandModelPath, saveBrandModel } from '../src/detect/brand-model';
import { shippedModel } from '../src/detect/triage';
import { LEARN_CURSOR, LearnScheduler } from '../src/learn-scheduler';
import { BrandTriage, type LearnOutcome } from '../src/learning';
import { createLogger } from '../src/log';
import { openSqlite } from '../src/store/sqlite';
import type { SqlStore } from '../src/store/sql-store';

/** The nightly learn (KAIROS_LEARN_AT), on a fake clock: once a night in the brand's time zone, whatever the workers. */
const BRAND = { name: 'Lumen', handles: ['LumenAir'], terms: ['Lumen Air'], languages: ['en'] } as never;
const stores: SqlStore[] = [];
afterEach(async () => {
  for (const s of stores.splice(0)) await s.close();
});

function setup() {
  const dbPath = join(mkdtempSync(join(tmpdir(), 'kairos-nightly-')), 'kairos.db');
  const open = () => {
    const s = openSqlite(dbPath);
    stores.push(s);
    return s;
  };
  return { dbPath, open, config: { dbPath, brand: BRAND, timeZone: 'Europe/Amsterdam', learnAt: '03:30' } };
}

const TOO_FEW: LearnOutcome = { status: 'too-few', labels: 3 };

function lines(): { log: ReturnType<typeof createLogger>; records: () => Record<string, any>[] } {
  let text = '';
  const out = new Writable({ write: (c, _e, cb) => ((text += String(c)), cb()) });
  return { log: createLogger('info', out, 'json', []), records: () => text.split('\n').filter(Boolean).map((l) => JSON.parse(l)) };
}

describe('KAIROS_LEARN_AT', () => {
  it('is off by default, a time of day when set, and refused with its name otherwise', () => {
    expect(loadConfig({}).learnAt).toBeUndefined();
    expect(loadConfig({ KAIROS_LEARN_AT: '03:30' }).learnAt).toBe('03:30');
    for (const bad of ['3:30', '24:00', 'nightly']) {
      let err: unknown;
      try {
        loadConfig({ KAIROS_LEARN_AT: bad });
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(ConfigError);
      expect((err as Error).message).toMatch(/KAIROS_LEARN_AT: expected a time of day as HH:MM \(24 h, in TZ\)/);
    }
  });
});

describe('the nightly learn', () => {
  it('learns once a night at the time in the brand’s time zone, and not for a night before the store existed', async () => {
    const { open, config } = setup();
    const store = open();
    let now = new Date('2026-01-15T02:00:00Z'); // 03:00 in Amsterdam (winter, UTC+1)
    let runs = 0;
    const s = new LearnScheduler({
      store, config, triage: { reload: () => false }, worker: 'w1', clock: () => now, timers: false,
      since: new Date('2026-01-15T00:00:00Z'),
      learn: async () => (runs++, TOO_FEW),
    });
    expect(await s.tick()).toBe('not-due'); // the night before was before this store's first run
    now = new Date('2026-01-15T02:31:00Z'); // 03:31 local
    expect(await s.tick()).toBe('too-few');
    expect(await store.getCursor(LEARN_CURSOR)).toBe('2026-01-15');
    expect(await s.tick()).toBe('already-done');
    now = new Date('2026-01-16T02:29:00Z');
    expect(await s.tick()).toBe('already-done');
    now = new Date('2026-01-16T02:30:00Z');
    expect(await s.tick()).toBe('too-few');
    // Summer time (UTC+2): 03:30 local is 01:30 UTC.
    now = new Date('2026-07-01T01:29:00Z');
    expect(await s.tick()).toBe('too-few'); // the night of 30 June, owed since then: learnt once on coming back
    expect(await s.tick()).toBe('already-done');
    now = new Date('2026-07-01T01:30:00Z');
    expect(await s.tick()).toBe('too-few');
    expect(runs).toBe(4);
    s.stop();
  });

  it('with several workers on one store, one of them learns a night', async () => {
    const { open, config } = setup();
    const [a, b, c] = [open(), open(), open()];
    const now = new Date('2026-01-15T02:31:00Z');
    let runs = 0;
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const worker = (store: SqlStore, name: string) =>
      new LearnScheduler({ store, config, triage: { reload: () => false }, worker: name, clock: () => now, timers: false, learn: async () => (runs++, await gate, TOO_FEW) });
    const [wa, wb, wc] = [worker(a, 'a'), worker(b, 'b'), worker(c, 'c')];
    const first = wa.tick();
    await new Promise((r) => setTimeout(r, 20));
    expect(await wb.tick()).toBe('busy');
    release();
    expect(await first).toBe('too-few');
    expect(await wb.tick()).toBe('already-done');
    expect(await wc.tick()).toBe('already-done');
    expect(runs).toBe(1);
  });

  it('a failed learn records nothing and gives the night back, so the next try learns', async () => {
    const { open, config } = setup();
    const store = open();
    const { log, records } = lines();
    let fail = true;
    const s = new LearnScheduler({
      store, config, triage: { reload: () => false }, worker: 'w1', clock: () => new Date('2026-01-15T02:31:00Z'), timers: false, log,
      learn: async () => {
        if (fail) throw new Error('disk full');
        return TOO_FEW;
      },
    });
    expect(await s.tick()).toBe('failed');
    expect(await store.getCursor(LEARN_CURSOR)).toBeNull();
    expect(records().some((r) => r.level === 40 && /nightly learn failed/.test(r.msg))).toBe(true);
    fail = false;
    // Another worker may take the night now that the lease is given back.
    const other = new LearnScheduler({ store, config, triage: { reload: () => false }, worker: 'w2', clock: () => new Date('2026-01-15T02:40:00Z'), timers: false, learn: async () => TOO_FEW });
    expect(await other.tick()).toBe('too-few');
  });

  it('runs the learn `kairos learn` runs: with too few labels it says so and the shipped model stays', async () => {
    const { open, config } = setup();
    const store = open();
    const { log, records } = lines();
    const triage = new BrandTriage(config, staticContext(BRAND), store);
    const s = new LearnScheduler({ store, config, triage, worker: 'w1', clock: () => new Date('2026-01-15T02:31:00Z'), timers: false, log });
    expect(await s.tick()).toBe('too-few');
    expect(records().find((r) => /too few to learn from/.test(r.msg))).toMatchObject({ labels: 0, night: '2026-01-15' });
    expect(triage.teaching.model.source).toBe('the shipped model');
  });

  it('when the learn keeps a brand model, triage switches to it without a restart, and the log has before and after', async () => {
    const { open, config } = setup();
    const store = open();
    const { log, records } = lines();
    const triage = new BrandTriage(config, staticContext(BRAND), store);
    const before = triage.triage;
    const post = { id: '1', platform: 'x', author: { handle: 'fan', followers: 5 }, text: '@LumenAir our honeymoon flight is friday!!', createdAt: '2026-01-14T10:00:00Z' };
    const shippedCall = triage.triage(post);
    // A "learnt" model that sees everything as noise: kept, so triage must now say noise.
    const shipped = shippedModel()!;
    const noisy = { ...shipped, bias: shipped.bias.map((_, i) => (shipped.classes[i] === 'noise' ? 50 : -50)), weights: new Float64Array(shipped.weights.length) };
    const figures = { shipped: { opportunity: 0.4, risk: 0.5, posts: 8 }, brand: { opportunity: 0.6, risk: 0.55, posts: 8 } };
    const learn = async (): Promise<LearnOutcome> => {
      const meta = { brand: 'Lumen', trainedAt: '2026-01-15T02:31:00.000Z', labels: 40, figures };
      const path = brandModelPath(config.dbPath, 'Lumen');
      saveBrandModel(path, noisy, meta);
      return { status: 'measured', labels: 40, figures, kept: { path, model: noisy, meta }, keptBefore: false };
    };
    const s = new LearnScheduler({ store, config, triage, worker: 'w1', clock: () => new Date('2026-01-15T02:31:00Z'), timers: false, log, learn });
    expect(shippedCall.kind).not.toBe('noise');
    expect(await s.tick()).toBe('kept');
    expect(triage.triage(post).kind).toBe('noise');
    // The function handed to the pipeline at start is the same one: it runs on the new model too.
    expect(before(post).kind).toBe('noise');
    expect(triage.teaching.model).toMatchObject({ source: "the brand's own model (trained 2026-01-15T02:31:00.000Z on 40 labels)", labels: 40, figures });
    const kept = records().find((r) => /kept the brand's new model/.test(r.msg))!;
    expect(kept).toMatchObject({ kept: true, swapped: true, before: figures.shipped, after: figures.brand, labels: 40 });
    expect(kept.msg).toMatch(/opportunity F1 {2}shipped 0\.400 {2}brand 0\.600/);
  });

  it('another worker’s (or the command line’s) new brand model is picked up; a broken file is not', async () => {
    const { open, config } = setup();
    const store = open();
    const triage = new BrandTriage(config, staticContext(BRAND), store);
    expect(triage.reload()).toBe(false);
    const shipped = shippedModel()!;
    const figures = { shipped: { opportunity: 0.4, risk: 0.5, posts: 8 }, brand: { opportunity: 0.6, risk: 0.55, posts: 8 } };
    saveBrandModel(brandModelPath(config.dbPath, 'Lumen'), shipped, { brand: 'Lumen', trainedAt: '2026-01-15T02:31:00.000Z', labels: 25, figures });
    expect(triage.reload()).toBe(true);
    expect(triage.teaching.model.labels).toBe(25);
    const { writeFileSync } = await import('node:fs');
    writeFileSync(brandModelPath(config.dbPath, 'Lumen'), '{"brand":"Lumen", broken');
    expect(triage.reload()).toBe(false);
    expect(triage.teaching.model.labels).toBe(25);
  });
});
