import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { loadCatalogue } from '../src/analyse/catalogue';
import { LlmAnalyst, type AnalysisAnswer } from '../src/analyse/llm';
import { OfflineAnalyst } from '../src/analyse/offline';
import type { Config } from '../src/config';
import type { Post } from '../src/domain/post';
import type { Triage } from '../src/domain/verdict';
import { createLogger } from '../src/log';
import { Pipeline } from '../src/pipeline';
import { openSqlite } from '../src/store/sqlite';
import type { SqlStore as Store } from '../src/store/sql-store';
import { FakeOpenAI } from './fakes/openai';
import { detectionReading } from '../src/detect/reading';

// The model cascade with the real SDK against a fake OpenAI-compatible server on 127.0.0.1: the uncertain band
// goes to the model, which may answer that no card is needed; policy keeps severe risks whatever it says.
const catalogue = loadCatalogue();
const fake = new FakeOpenAI();
const BRAND = { name: 'Oranje Air', handles: ['OranjeAir'], terms: ['Oranje Air'] };
let store: Store;

beforeAll(async () => {
  await fake.start();
});
afterAll(async () => {
  await fake.close();
});
beforeEach(async () => {
  store = openSqlite(':memory:');
});
afterEach(async () => {
  fake.reset();
  await store.close();
});

function config(over: Partial<NonNullable<Config['llm']>> = {}): NonNullable<Config['llm']> {
  return {
    apiKey: 'sk-test',
    baseUrl: fake.baseURL,
    model: 'gpt-4o-mini',
    timeoutMs: 2_000,
    maxRetries: 0,
    minScore: 0.5,
    maxCallsPerHour: 100,
    maxCallsPerDay: 1_000,
    redact: true,
    ...over,
  };
}

function analyst(over: Partial<NonNullable<Config['llm']>> = {}): LlmAnalyst {
  const offline = new OfflineAnalyst({ reading: detectionReading, catalogue, brand: BRAND, usage: () => () => 0 });
  return new LlmAnalyst({ reading: detectionReading, config: config(over), brand: { ...BRAND, languages: ['en'] }, fallback: offline, catalogue, usage: () => () => 0 });
}

let seq = 0;
function post(text: string): Post {
  seq++;
  return { id: `c${seq}`, platform: 'x', author: { handle: `fan${seq}`, followers: 0 }, text, createdAt: '2026-05-01T10:00:00Z' };
}

const HONEYMOON = post('@OranjeAir flying to bali tmrw for our honeymoon, any chance of seats together? 🙏');
const UNSURE: Triage = { kind: 'service', score: 0.2, signals: ['life-event', 'question'], lang: 'en', uncertain: 'opportunity' };
const SEVERE: Triage = { kind: 'risk', score: 0.6, signals: ['health-emergency'], lang: 'en' };

const NONE: AnalysisAnswer = {
  kind: 'none',
  summary: '',
  why: 'An ordinary seating question; nothing to celebrate or fix beyond service.',
  signals: [],
  gesture: null,
  reply: '',
  publicPost: null,
  verifyFirst: [],
  risks: [],
};
const CARD: AnalysisAnswer = {
  ...NONE,
  kind: 'opportunity',
  summary: 'A couple flies to Bali for their honeymoon tomorrow and asks to sit together.',
  why: 'A honeymoon on board, told to us the day before.',
  signals: ['life-event'],
  gesture: { id: 'crew-card', fairness: 'Any couple on their honeymoon can get the same card.' },
  reply: 'Congratulations! Send us a DM with your booking and we will see what we can do about your seats.',
};

describe('the cascade with a model (fake server, real SDK)', () => {
  it('a post from the uncertain band is a card only when the model says so', async () => {
    fake.script({ type: 'json', value: CARD });
    const a = analyst();
    const screened = await a.screen({ post: HONEYMOON, triage: { ...UNSURE, kind: 'opportunity' } }, { mayDismiss: true });
    expect(screened.card?.analyst).toBe('llm');
    expect(screened.card?.gesture?.id).toBe('crew-card');
    expect(fake.calls).toBe(1);
  });

  it('the model may answer "no card", and says why', async () => {
    fake.script({ type: 'json', value: NONE });
    const screened = await analyst().screen({ post: HONEYMOON, triage: { ...UNSURE, kind: 'opportunity' } }, { mayDismiss: true });
    expect(screened.card).toBeNull();
    expect(screened.card === null && screened.why).toContain('ordinary seating question');
  });

  it('when the model cannot be asked, an uncertain post stays what triage said: no card', async () => {
    fake.otherwise({ type: 'status', status: 500 });
    const screened = await analyst().screen({ post: HONEYMOON, triage: { ...UNSURE, kind: 'opportunity' } }, { mayDismiss: true });
    expect(screened.card).toBeNull();
    expect(screened.card === null && screened.why).toMatch(/^Not asked: /);
  });

  it('policy keeps a severe risk whatever the model says, and the card says the model disagreed', async () => {
    fake.script({ type: 'json', value: NONE });
    const p = post('@OranjeAir my son had an allergic reaction on OA612 and there was no epi pen on board');
    const screened = await analyst().screen({ post: p, triage: { ...SEVERE, kind: 'risk' } }, { mayDismiss: false });
    expect(screened.card).not.toBeNull();
    expect(screened.card?.notes.join(' ')).toMatch(/policy keeps it/);
  });

  it('a severe risk reaches the model whatever its score: reach only ranks it', async () => {
    fake.script({ type: 'json', value: { ...CARD, kind: 'risk' } });
    const p = post('@OranjeAir my son had an allergic reaction on OA612 and there was no epi pen on board');
    const screened = await analyst({ minScore: 0.9 }).screen({ post: p, triage: { ...SEVERE, kind: 'risk', score: 0.4 } }, { mayDismiss: false });
    expect(screened.card?.analyst).toBe('llm');
    expect(fake.calls).toBe(1);
  });

  it('a candidate under LLM_MIN_SCORE is written offline, with no call', async () => {
    const screened = await analyst({ minScore: 0.9 }).screen(
      { post: HONEYMOON, triage: { kind: 'opportunity', score: 0.6, signals: ['life-event'], lang: 'en' } },
      { mayDismiss: true },
    );
    expect(screened.card?.analyst).toBe('offline');
    expect(fake.calls).toBe(0);
  });
});

describe('the pipeline sends the uncertain band to a model that screens', () => {
  const log = createLogger('silent');
  const unsure = () => ({ ...UNSURE });

  it('a "no card" answer reaches nobody, and the stored verdict keeps why', async () => {
    fake.script({ type: 'json', value: NONE });
    const cards: number[] = [];
    const pipeline = new Pipeline({ store, triage: unsure, analyst: analyst(), sinks: ['console'], log, onCard: (id) => cards.push(id) });
    const r = await pipeline.ingest(HONEYMOON);
    expect(r.status === 'processed' && r.opportunityId).toBeNull();
    expect(cards).toEqual([]);
    const row = (await store.db.selectFrom('verdicts').select(['kind', 'review']).executeTakeFirstOrThrow()) as { kind: string; review: string };
    expect(row.kind).toBe('service');
    expect(JSON.parse(row.review)).toEqual({ card: false, why: NONE.why });
  });

  it('a card answer makes the uncertain post a card of that kind', async () => {
    fake.script({ type: 'json', value: CARD });
    const cards: number[] = [];
    const pipeline = new Pipeline({ store, triage: unsure, analyst: analyst(), sinks: ['console'], log, onCard: (id) => cards.push(id) });
    const r = await pipeline.ingest(post('@OranjeAir our honeymoon starts tomorrow on OA88!'));
    expect(r.status === 'processed' && r.triage.kind).toBe('opportunity');
    expect(cards).toHaveLength(1);
  });

  it('offline, the uncertain band never becomes a card', async () => {
    const offline = new OfflineAnalyst({ reading: detectionReading, catalogue, brand: BRAND, usage: () => () => 0 });
    const pipeline = new Pipeline({ store, triage: unsure, analyst: offline, sinks: ['console'], log });
    const r = await pipeline.ingest(post('@OranjeAir honeymoon tomorrow, seats together?'));
    expect(r.status === 'processed' && r.opportunityId).toBeNull();
    expect(fake.calls).toBe(0);
  });
});
