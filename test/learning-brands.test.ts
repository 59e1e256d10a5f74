import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadBrandModel, saveBrandModel } from '../src/detect/brand-model';
import { shippedModel } from '../src/detect/triage';
import type { Post } from '../src/domain/post';
import { LEARN_CURSOR, LearnScheduler } from '../src/learn-scheduler';
import { brandModelFile, brandTriageModel, learnBrand, leastSure } from '../src/learning';
import { openSqlite } from '../src/store/sqlite';

/**
 * Brands sharing one store (KAIROS_BRAND_ID): what one brand's team taught stays that brand's. Learning for one
 * reads its labels only, writes its model only, and leaves the other's model, labels and queue as they were.
 */
const A = { name: 'Lumen Air', handles: ['LumenAir'], terms: ['Lumen Air'], languages: ['en'] } as never;
const B = { name: 'Nordwind', handles: ['NordwindAir'], terms: ['Nordwind'], languages: ['en'] } as never;
const TEXTS = ['our honeymoon flight is friday!! anything special? 😍', 'my bag is still missing, day 3', 'how do i add a bag to my booking', 'the gate agent shoved my mum. police report filed', 'good morning all'];
const KINDS = ['opportunity', 'service', 'service', 'risk', 'noise'] as const;

describe('two brands on one store', () => {
  it('learning for brand A uses A’s labels only and leaves brand B’s model, labels and queue untouched', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kairos-brands-'));
    const dbPath = join(dir, 'kairos.db');
    const root = openSqlite(dbPath);
    const a = root.forBrand('lumen');
    const b = root.forBrand('nordwind');
    const configA = { dbPath, brand: A, brandId: 'lumen' };
    const configB = { dbPath, brand: B, brandId: 'nordwind' };
    const actor = { id: 'u', name: 'u' };
    for (let i = 0; i < 30; i++) {
      const post = (handle: string, tag: string): Post => ({ id: String(5000 + i), platform: 'x', author: { handle: `fan${i}`, followers: 5 }, text: `@${handle} ${TEXTS[i % 5]} (${tag} ${i})`, createdAt: new Date(Date.UTC(2026, 4, 1, 8, i)).toISOString() });
      // The same post ids on both brands: only the brand column tells them apart.
      await a.recordPost(post('LumenAir', 'a'), { kind: 'noise', score: 0.05, signals: [], lang: 'en' });
      await b.recordPost(post('NordwindAir', 'b'), { kind: 'noise', score: 0.05, signals: [], lang: 'en' });
      await a.addLabel({ platform: 'x', id: String(5000 + i) }, KINDS[i % 5]!, 'label', actor);
      // B's team labels a third of its posts, each differently from A's.
      if (i % 3 === 0) await b.addLabel({ platform: 'x', id: String(5000 + i) }, KINDS[(i + 2) % 5]!, 'label', actor);
    }
    // B has a model of its own already.
    const shipped = shippedModel()!;
    const figures = { shipped: { opportunity: 0.4, risk: 0.5, posts: 2 }, brand: { opportunity: 0.6, risk: 0.55, posts: 2 } };
    saveBrandModel(brandModelFile(configB), shipped, { brand: 'Nordwind', trainedAt: '2026-05-01T03:30:00.000Z', labels: 10, figures });
    const modelB = readFileSync(brandModelFile(configB), 'utf8');
    const labelsB = JSON.stringify(await b.activeLabels());
    const queueB = (await leastSure(b, B, brandTriageModel(configB).model, 50)).map((p) => p.id);
    expect(brandModelFile(configA)).not.toBe(brandModelFile(configB));

    const lines: string[] = [];
    const o = await learnBrand(a, configA, { epochs: 3, progress: (l) => lines.push(l) });
    expect(o.status).toBe('measured');
    if (o.status !== 'measured') return;
    // A's 30 labels, none of B's 10: counted, and what the model was trained on says so.
    expect(o.labels).toBe(30);
    expect(lines[0]).toBe('30 labels of Lumen Air; reading the shipped training sets…');
    if (o.kept) expect(loadBrandModel(brandModelFile(configA), 'Lumen Air')).toMatchObject({ meta: { brand: 'Lumen Air', labels: 30 } });
    else expect(existsSync(brandModelFile(configA))).toBe(false);

    expect(readFileSync(brandModelFile(configB), 'utf8')).toBe(modelB);
    expect(JSON.stringify(await b.activeLabels())).toBe(labelsB);
    expect((await b.activeLabels())).toHaveLength(10);
    expect((await leastSure(b, B, brandTriageModel(configB).model, 50)).map((p) => p.id)).toEqual(queueB);
    // A model file of B's is never taken for A's, nor the other way round.
    expect(loadBrandModel(brandModelFile(configB), 'Lumen Air')).toMatchObject({ model: null, problem: expect.stringMatching(/a model of Nordwind, not of Lumen Air/) });

    // Each brand learns its own night: A's learn does not mark B's night done.
    const night = (store: typeof a, config: typeof configA, runs: string[]) =>
      new LearnScheduler({ store, config: { ...config, timeZone: 'UTC', learnAt: '03:30' }, triage: { reload: () => false }, worker: 'w1', clock: () => new Date('2026-05-02T03:31:00Z'), timers: false, learn: async () => (runs.push(config.brandId), { status: 'too-few', labels: 0 }) });
    const runs: string[] = [];
    expect(await night(a, configA, runs).tick()).toBe('too-few');
    expect(await b.getCursor(LEARN_CURSOR)).toBeNull();
    expect(await night(b, configB, runs).tick()).toBe('too-few');
    expect(runs).toEqual(['lumen', 'nordwind']);
    await root.close();
  }, 120_000);
});
