import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { buildKairos, runSource } from '../src/app';
import { loadConfig } from '../src/config';
import { createLogger } from '../src/log';
import { DEMO_STREAM } from '../src/main';
import { JsonlSource } from '../src/sources/jsonl';
import { openStore } from '../src/store/open';

/** Two brands' processes on one SQLite file (as an agency runs them): each replays the same stream as its own. */
describe('two brands on one database file', () => {
  const dir = mkdtempSync(join(tmpdir(), 'kairos-brands-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const log = createLogger('silent');
  const kairosFor = async (brand: string) => {
    const config = loadConfig({ KAIROS_DB: join(dir, 'agency.db'), KAIROS_BRAND_ID: brand });
    return buildKairos(config, await openStore(config), { log, sinks: [], queueFor: ['discord'] });
  };

  it('keeps each brand\'s posts, cards and outbox apart, the same post ids included', async () => {
    const a = await kairosFor('oranje-air');
    const b = await kairosFor('klm');
    expect([a.store.brand, b.store.brand]).toEqual(['oranje-air', 'klm']);
    const first = await runSource(a, new JsonlSource('replay', DEMO_STREAM));
    expect(first.cards).toBeGreaterThan(0);
    expect(await b.store.postsRead()).toBe(0);
    expect(await b.store.listCards()).toEqual([]);
    expect(await b.store.pendingCount()).toBe(0);

    // The same posts are new to the other brand: its own verdicts and cards, none of them a duplicate.
    const second = await runSource(b, new JsonlSource('replay', DEMO_STREAM));
    expect(second).toEqual(first);
    expect(await b.store.countByKind()).toEqual(await a.store.countByKind());
    const cardsA = await a.store.listCards();
    const cardsB = await b.store.listCards();
    expect(cardsB.map((c) => c.opportunity.postId)).toEqual(cardsA.map((c) => c.opportunity.postId));
    expect(cardsB.map((c) => c.opportunity.id).filter((id) => cardsA.some((x) => x.opportunity.id === id))).toEqual([]);
    expect(await a.store.pendingCount()).toBe(first.cards);
    expect(await b.store.pendingCount()).toBe(first.cards);

    // Seen again by the first brand, every post is a duplicate.
    expect((await runSource(a, new JsonlSource('replay', DEMO_STREAM))).duplicates).toBe(first.read);
    await Promise.all([a.close(), b.close()]);
  });
});
