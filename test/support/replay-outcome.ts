import { buildKairos, type Kairos } from '../../src/app';
import type { Config } from '../../src/config';
import { createLogger } from '../../src/log';
import { openSqlite } from '../../src/store/sqlite';

/** A Kairos on a SQLite store (in memory unless a file is given), no sinks, cards queued for Discord: for replays. */
export function replayKairos(config: Config, file = ':memory:'): Promise<Kairos> {
  return buildKairos(config, openSqlite(file, () => new Date('2026-02-10T12:00:00Z')), { log: createLogger('silent'), sinks: [], queueFor: ['discord'], worker: 'w' });
}

/** What a replay leaves in the store, without ids and times that differ between two runs. */
export async function replayOutcome(k: Kairos) {
  await k.trends.settled();
  const cards = (await k.store.listCards({ limit: 1000 })).map((c) => ({
    post: c.opportunity.postId,
    kind: c.opportunity.kind,
    score: c.opportunity.score,
    story: c.opportunity.analysis.story?.map((s) => s.postId),
    outbox: c.deliveries.map((d) => d.sink),
  }));
  return {
    cards: cards.sort((a, b) => a.post.localeCompare(b.post)),
    kinds: await k.store.countByKind(),
    moments: (await k.store.listMoments()).map((m) => [m.term, m.at, m.source]),
  };
}
