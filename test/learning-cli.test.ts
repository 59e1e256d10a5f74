import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable, Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { brandModelPath, loadBrandModel } from '../src/detect/brand-model';
import type { Post } from '../src/domain/post';
import { brandTriageModel, leastSure, runLabel, runLearn } from '../src/learning';
import { openSqlite } from '../src/store/sqlite';

// Posts written for these tests, to a fictional brand.
const BRAND = { name: 'Lumen', handles: ['LumenAir'], terms: ['Lumen Air'], languages: ['en'] } as never;
const TEXTS = [
  '@LumenAir our honeymoon flight to crete is friday!! anything special? 😍',
  '@LumenAir my bag is still missing, day 3',
  'good morning all ☀️',
  '@LumenAir how do i add a bag to my booking',
  '@LumenAir the gate agent shoved my mum and laughed. police report filed',
];

function sink(): { out: Writable; text: () => string } {
  let text = '';
  return { out: new Writable({ write: (c, _e, cb) => ((text += String(c)), cb()) }), text: () => text };
}

async function storeWith(n: number) {
  const dir = mkdtempSync(join(tmpdir(), 'kairos-learning-'));
  const dbPath = join(dir, 'kairos.db');
  const store = await openSqlite(dbPath);
  for (let i = 0; i < n; i++) {
    const post: Post = { id: String(1000 + i), platform: 'x', author: { handle: `fan${i}`, followers: 5 }, text: `${TEXTS[i % TEXTS.length]} (${i})`, createdAt: new Date(Date.UTC(2026, 4, 1, 8, i)).toISOString() };
    await store.recordPost(post, { kind: 'noise', score: 0.05, signals: [], lang: 'en' });
  }
  return { store, config: { dbPath, brand: BRAND } };
}

describe('kairos label', () => {
  it('asks about the least-sure posts one at a time and stores each answer, with skip, undo and quit', async () => {
    const { store, config } = await storeWith(5);
    const queue = await leastSure(store, config.brand, brandTriageModel(config).model, 5);
    expect(queue).toHaveLength(5);
    const o = sink();
    // o, skip, s, undo (takes back the s), n, then quit.
    expect(await runLabel(store, config, Readable.from(['o\n', 'k\n', 's\n', 'u\n', 'n\n', 'x\n', 'q\n']), o.out)).toBe(0);
    const labels = await store.activeLabels();
    expect(labels.map((l) => [l.post.id, l.label.kind, l.label.source])).toEqual([
      [queue[0]!.id, 'opportunity', 'cli'],
      [queue[2]!.id, 'noise', 'cli'],
    ]);
    expect(o.text()).toMatch(/undone\./);
    expect(o.text()).toMatch(/answer o, r, s, n, k, u or q/);
    expect(o.text()).toMatch(/2 labels given/);
    await store.close();
  });
});

describe('kairos learn', () => {
  it('with too few labels says how many it has and keeps the shipped model', async () => {
    const { store, config } = await storeWith(3);
    await store.addLabel({ platform: 'x', id: '1000' }, 'opportunity', 'cli', { id: 'u', name: 'u' });
    const o = sink();
    expect(await runLearn(store, config, o.out)).toBe(0);
    expect(o.text()).toMatch(/1 label so far; at least 20 are needed\. The shipped model stays\./);
    expect(existsSync(brandModelPath(config.dbPath, 'Lumen'))).toBe(false);
    expect(brandTriageModel(config).source).toBe('the shipped model');
    await store.close();
  });

  it('trains on the labels, prints shipped and brand figures, and keeps the brand model only when better', async () => {
    const { store, config } = await storeWith(40);
    const kinds = ['opportunity', 'service', 'noise', 'service', 'risk'] as const;
    for (let i = 0; i < 40; i++) await store.addLabel({ platform: 'x', id: String(1000 + i) }, kinds[i % 5]!, 'label', { id: 'u', name: 'u' });
    const o = sink();
    expect(await runLearn(store, config, o.out, { epochs: 3 })).toBe(0);
    expect(o.text()).toMatch(/measured on \d+ held-back labels:\n {2}opportunity F1 {2}shipped \d\.\d{3} {2}brand \d\.\d{3}\n {2}risk F1 {9}shipped \d\.\d{3} {2}brand \d\.\d{3}/);
    const path = brandModelPath(config.dbPath, 'Lumen');
    if (/Kept:/.test(o.text())) {
      const loaded = loadBrandModel(path, 'Lumen');
      expect(loaded.model).not.toBeNull();
      expect(brandTriageModel(config).source).toMatch(/the brand's own model \(trained .* on 40 labels\)/);
    } else {
      expect(o.text()).toMatch(/not better on the held-back labels: triage keeps the shipped model/);
      expect(existsSync(path)).toBe(false);
    }
    await store.close();
  }, 120_000);
});
