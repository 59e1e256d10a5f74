import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { loadBrandPack } from '../src/analyse/brand-pack';
import { draftProblem } from '../src/analyse/guard';
import { LlmAnalyst, type AnalysisAnswer } from '../src/analyse/llm';
import { offlineAnalystFor } from '../src/app';
import { loadConfig } from '../src/config';
import { staticContext } from '../src/detect/context';
import { detectLanguage } from '../src/detect/lang';
import { createTriager } from '../src/detect/triage';
import type { Post } from '../src/domain/post';
import { FakeOpenAI } from './fakes/openai';
import { packPosts } from './support/brand-posts';
import { detectionReading } from '../src/detect/reading';
import { loadCalendar } from '../src/detect/events';

/**
 * The rules the offline drafts keep hold for the model's too (a fake OpenAI-compatible server on loopback, the real
 * SDK): the fan's language, no congratulation in a complaint, no booking asked of a journalist, no public post for a
 * risk or before a surprise. A draft that breaks one is replaced by the brand's offline draft, and the card says so.
 */

const PACK = fileURLToPath(new URL('./brand-packs/railnoord/', import.meta.url));
const config = loadConfig({ KAIROS_BRAND_DIR: PACK });
const pack = loadBrandPack(config.brand.dir);
const triage = createTriager(staticContext(config.brand));
const offline = offlineAnalystFor(config, pack, {
  usage: () => () => 0,
  triage,
  events: loadCalendar(config.eventsFile),
  reading: detectionReading,
});
const posts = packPosts(PACK);

const fake = new FakeOpenAI();
beforeAll(() => fake.start());
afterAll(() => fake.close());
afterEach(() => fake.reset());

function analyst() {
  return new LlmAnalyst({
    reading: detectionReading,
    config: {
      apiKey: 'sk-test',
      baseUrl: fake.baseURL,
      model: 'm',
      timeoutMs: 2_000,
      maxRetries: 0,
      minScore: 0,
      maxCallsPerHour: 100,
      maxCallsPerDay: 100,
      redact: true,
    },
    brand: { ...config.brand, voice: pack.voice },
    fallback: offline,
    catalogue: pack.catalogue,
    usage: () => () => 0,
  });
}

function answer(over: Partial<AnalysisAnswer>): AnalysisAnswer {
  return {
    kind: 'opportunity',
    summary: 'A summary for the team.',
    why: 'Why it matters.',
    signals: [],
    gesture: null,
    reply: 'Hi, thanks for your message, we will look into it.',
    publicPost: null,
    verifyFirst: [],
    risks: [],
    ...over,
  };
}

async function cardFor(id: string, over: Partial<AnalysisAnswer>) {
  const post = posts.get(id) as Post;
  const t = triage(post);
  if (t.kind !== 'opportunity' && t.kind !== 'risk') throw new Error(`post ${id} is no card`);
  fake.script({ type: 'json', value: answer({ kind: t.kind, ...over }) });
  const s = await analyst().screen({ post, triage: { ...t, kind: t.kind } }, { mayDismiss: false });
  if (!s.card) throw new Error('no card');
  return s.card;
}

describe("the model's drafts keep the card's rules", () => {
  it("replaces a reply in the wrong language by the brand's offline reply in the fan's", async () => {
    const card = await cardFor('01', {
      reply: 'Marieke, how wonderful for your grandad! Please send us a DM with the details and we will make it special.',
    });
    expect(detectLanguage(card.reply)).toBe('nl');
    expect(card.reply).toContain('opa Henk');
    expect(card.notes.join(' ')).toMatch(/reply written in en, not nl; replaced by the offline draft/);
    expect(card.lang).toBe('nl');
    expect(card.facts).toContain('person: grandad Henk (92)');
  });

  it('never lets the model congratulate a complaint', async () => {
    const card = await cardFor('10', { reply: 'Congratulations on the wedding, Amelia! DM us your ticket number and we will look at options.' });
    expect(card.reply).not.toMatch(/congrat/i);
    expect(card.reply).toContain("your sister's wedding");
    expect(card.notes.join(' ')).toMatch(/congratulates a complaint/);
  });

  it('asks no journalist for a booking, and drops a public post the model wrote for a risk', async () => {
    const card = await cardFor('06', {
      reply: 'Hoi Lotte, stuur ons een DM met je ticketnummer, dan zoeken we het uit.',
      publicPost: 'We zoeken uit wat er gisteravond bij Zwolle gebeurde.',
    });
    expect(card.reply).not.toMatch(/ticketnummer|boeking/);
    expect(card.reply).toContain('pers@railnoord.example');
    expect(card.publicPost).toBeNull();
    expect(card.routes?.[0]).toMatch(/^press office/);
    expect(card.notes.join(' ')).toMatch(/not a customer/);
  });

  it('drops a public post before a surprise happened', async () => {
    const card = await cardFor('03', {
      reply: 'Sanne, wat een mooie verrassing! We houden het stil. Stuur je ons een DM met de details?',
      publicPost: 'Morgen rijdt een machinist zijn laatste rit na 41 jaar!',
    });
    expect(card.publicPost).toBeNull();
    expect(card.reply).toMatch(/verrassing/);
  });

  it('keeps a good draft as the model wrote it', async () => {
    const reply = 'Hoi Marieke, wat mooi voor je opa Henk! Stuur je ons een DM met de details? Dan maken we het extra bijzonder.';
    const card = await cardFor('01', { reply });
    expect(card.reply).toBe(reply);
    expect(card.notes).toEqual([]);
  });
});

describe('draftProblem', () => {
  const rules = { lang: 'nl', grievance: true, customer: false };
  it('names the rule a draft breaks, and passes one that keeps them', () => {
    expect(draftProblem('Hi there, we are so sorry to hear about the delay, please DM us.', rules, detectLanguage)).toMatch(/written in en/);
    expect(draftProblem('Gefeliciteerd met je eerste rit, wat een feest!', rules, detectLanguage)).toBe('congratulates a complaint');
    expect(draftProblem('Stuur je ons je boekingscode? Dan kijken we het na.', rules, detectLanguage)).toMatch(/not a customer/);
    expect(draftProblem('Dank je, we nemen contact op met de persoon zelf.', rules, detectLanguage)).toBeNull();
  });
});
