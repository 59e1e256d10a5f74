import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { brandModelPath, loadBrandModel, saveBrandModel } from '../src/detect/brand-model';
import { exampleOf, figuresOf, isBetter, learnBrandModel, notACard, trainModel, trainModelAsync, type Example } from '../src/detect/learn';
import { predictKind } from '../src/detect/model';
import type { Post } from '../src/domain/post';
import type { Kind } from '../src/domain/verdict';

// Posts written for these tests, for a fictional brand; none from a corpus.
const BRAND = { name: 'Lumen', handles: ['LumenAir'], terms: ['Lumen Air'] };
const THRESHOLDS = { named: 0.5, ruled: 0.15, sure: 0.7, review: { opportunity: 0.1, risk: 0.5 } };
let seq = 0;
const post = (text: string): Post => ({ id: `l${++seq}`, platform: 'x', author: { handle: `fan${seq}`, followers: 10 }, text, createdAt: '2026-05-01T10:00:00Z' });
const of = exampleOf(BRAND);
const ex = (text: string, kind: Kind): Example => of(post(text), kind);

const moments = [
  '@LumenAir flying to crete friday for our honeymoon!! anything special? 😍',
  '@LumenAir my grandpa (88) takes his first ever flight with you on sunday, he is so excited',
  '@LumenAir shoutout to FA rosa on LU 221 who found my sons teddy and ran after us to the gate',
  '@LumenAir it is our 40th wedding anniversary trip next week, any chance of a little surprise?',
];
const complaints = [
  '@LumenAir 2 hrs on hold and still no refund for LU 88',
  '@LumenAir my bag is still missing, day 3. nobody answers',
  '@LumenAir why is checkin closed already, the app says open',
  '@LumenAir seat 14c broken again, please fix your planes',
];
const noise = ['lol the lumen air safety video song is stuck in my head', 'good morning everyone ☀️ coffee time', 'who else is watching the match tonight', 'new shoes day 👟'];

function set(): Example[] {
  return [...moments.map((t) => ex(t, 'opportunity')), ...complaints.map((t) => ex(t, 'service')), ...noise.map((t) => ex(t, 'noise'))];
}

describe('learning triage from labels', () => {
  it('a model trained on labelled posts calls them as labelled', () => {
    const data = set();
    const model = trainModel(data, { epochs: 120, thresholds: THRESHOLDS });
    const right = data.filter((d) => predictKind(model, d.x).kind === model.classes[d.y]).length;
    expect(right / data.length).toBeGreaterThanOrEqual(0.9);
  });

  it('trains the same model when it gives the event loop a turn after each epoch (inside a running Kairos)', async () => {
    const data = set();
    let turns = 0;
    const ticker = setInterval(() => turns++, 0);
    const yielding = await trainModelAsync(data, { epochs: 60, thresholds: THRESHOLDS });
    clearInterval(ticker);
    expect(Array.from(yielding.weights)).toEqual(Array.from(trainModel(data, { epochs: 60, thresholds: THRESHOLDS }).weights));
    expect(turns).toBeGreaterThan(5);
  });

  it("a brand's model is kept only when it is better on the labels held back", () => {
    const base = set();
    const shipped = trainModel(base, { epochs: 120, thresholds: THRESHOLDS });
    const heldOut = [ex('@LumenAir our honeymoon flight is tomorrow, can we have seats together? 🥰', 'opportunity'), ex('@LumenAir still no refund, 3 weeks now', 'service')];
    // A team whose labels say moments are noise makes a worse model: it is measured, and not kept.
    const wrong = moments.map((t) => ex(t.replace('@LumenAir ', '@LumenAir hey '), 'noise'));
    const worse = learnBrandModel(base, wrong, shipped, { weight: 10, epochs: 100, heldOut });
    expect(worse.brand.opportunity).toBeLessThanOrEqual(worse.shipped.opportunity);
    expect(worse.keep).toBe(false);
    expect(isBetter({ opportunity: 0.8, risk: 0.8, posts: 10 }, { opportunity: 0.7, risk: 0.8, posts: 10 })).toBe(true);
    expect(isBetter({ opportunity: 0.95, risk: 0.5, posts: 10 }, { opportunity: 0.7, risk: 0.7, posts: 10 })).toBe(false);
  });

  it('"not a card" trains toward service or noise, whichever the model finds likelier', () => {
    const model = trainModel(set(), { epochs: 120, thresholds: THRESHOLDS });
    expect(notACard(model, ex('@LumenAir my bag is still missing, nobody answers', 'service').x)).toBe('service');
    expect(notACard(model, ex('coffee time, good morning everyone', 'noise').x)).toBe('noise');
    expect(figuresOf(model, set()).posts).toBe(12);
  });
});

describe("a brand's model file", () => {
  const dir = mkdtempSync(join(tmpdir(), 'kairos-brand-model-'));
  const model = trainModel(set(), { epochs: 50, thresholds: THRESHOLDS });
  const meta = { brand: 'Lumen', trainedAt: '2026-05-02T03:00:00.000Z', labels: 12, figures: { shipped: { opportunity: 0.7, risk: 0.8, posts: 40 }, brand: { opportunity: 0.8, risk: 0.8, posts: 40 } } };

  it('lives beside the database and loads back as it was saved', () => {
    const path = brandModelPath(join(dir, 'kairos.db'), 'Lumen Air');
    expect(path).toBe(join(dir, 'triage-model.lumen-air.json'));
    saveBrandModel(path, model, meta);
    const loaded = loadBrandModel(path, 'Lumen');
    expect(loaded.model).not.toBeNull();
    if (!loaded.model) return;
    expect(loaded.meta.labels).toBe(12);
    const x = set()[0]!.x;
    expect(predictKind(loaded.model, x).kind).toBe(predictKind(model, x).kind);
  });

  it("is refused, with the reason, when broken, of another version or another brand's; none is no problem", () => {
    const path = join(dir, 'm.json');
    expect(loadBrandModel(path, 'Lumen')).toEqual({ model: null, problem: null });
    saveBrandModel(path, model, meta);
    expect(loadBrandModel(path, 'Other').model).toBeNull();
    expect((loadBrandModel(path, 'Other') as { problem: string }).problem).toMatch(/a model of Lumen, not of Other; using the shipped model/);
    writeFileSync(path, '{"version": 1, "brand": "Lumen"');
    expect((loadBrandModel(path, 'Lumen') as { problem: string }).problem).toMatch(/m\.json: .*using the shipped model/);
    writeFileSync(path, JSON.stringify({ ...meta, version: 1, hashBits: 16, dense: [], classes: [], bias: [], rows: [], trainedOn: [], thresholds: THRESHOLDS }));
    expect((loadBrandModel(path, 'Lumen') as { problem: string }).problem).toMatch(/not a triage model.*using the shipped model/);
  });
});

describe('what a card decision teaches', () => {
  it('Approve: the card was right; "not special" and "wrong call": not a card; the other reasons nothing', async () => {
    const { labelFromDecision } = await import('../src/domain/label');
    expect(labelFromDecision('risk', 'approved')).toBe('risk');
    expect(labelFromDecision('opportunity', 'dismissed', 'not-special')).toBe('not-a-card');
    expect(labelFromDecision('opportunity', 'dismissed', 'wrong-call')).toBe('not-a-card');
    expect(labelFromDecision('opportunity', 'dismissed', 'already-handled')).toBeNull();
    expect(labelFromDecision('risk', 'dismissed', 'too-risky')).toBeNull();
  });
});
