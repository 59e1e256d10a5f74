import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { Kysely, sql } from 'kysely';
import { afterAll, describe, expect, it } from 'vitest';
import type { Post } from '../src/domain/post';
import { MIGRATIONS } from '../src/store/migrations';
import { migratePostgres, openPostgresDialect } from '../src/store/postgres';
import { POSTGRES_MIGRATIONS } from '../src/store/postgres-migrations';
import type { Schema } from '../src/store/schema';
import type { SqlStore } from '../src/store/sql-store';
import { migrateSqlite, openSqlite } from '../src/store/sqlite';
import { PGlite, pgliteDialect } from './support/pglite';

/**
 * A database made before brands existed (SQLite up to version 9, PostgreSQL up to 3), with a row in every table,
 * brought up to date: every row is the default brand's, the store opened as before sees all of them, another
 * brand sees none and can store the same post.
 */
const post: Post = { id: '1', platform: 'x', url: 'https://x.com/fan/status/1', author: { handle: 'fan', followers: 3 }, text: 'Help, my flight', createdAt: '2026-02-10T11:00:00Z' };
const analysis = { summary: 'A dilemma', why: 'w', gesture: null, reply: 'Hi', publicPost: null, verifyFirst: [], risks: [], analyst: 'offline', notes: [] };
const at = '2026-02-10T12:00:00.000Z';
const card = '(SELECT id FROM opportunities LIMIT 1)';
const LEGACY_ROWS = [
  `INSERT INTO posts (id, platform, author_handle, created_at, received_at, json, url) VALUES ('x:1', 'x', 'fan', '${post.createdAt}', '${at}', '${JSON.stringify(post)}', '${post.url}')`,
  `INSERT INTO verdicts (post_id, kind, score, signals, lang, at) VALUES ('x:1', 'opportunity', 0.8, '["dilemma"]', 'en', '${at}')`,
  `INSERT INTO opportunities (post_id, kind, score, signals, status, analysis, created_at, updated_at) VALUES ('x:1', 'opportunity', 0.8, '["dilemma"]', 'new', '${JSON.stringify(analysis)}', '${at}', '${at}')`,
  `INSERT INTO outbox (opportunity_id, sink, status, next_attempt_at, created_at) VALUES (${card}, 'discord', 'pending', '${at}', '${at}')`,
  `INSERT INTO actions (opportunity_id, actor_id, actor_name, action, at) VALUES (${card}, 'u1', 'anna', 'claimed', '${at}')`,
  `INSERT INTO x_replies (opportunity_id, status, in_reply_to, text, actor_id, at) VALUES (${card}, 'sending', '1', 'Hi', 'u1', '${at}')`,
  `INSERT INTO watch_terms (term, kind, added_by, added_at) VALUES ('Elfstedentocht', 'event', 'anna', '${at}')`,
  `INSERT INTO cursors (source, value, updated_at) VALUES ('x-mentions', '100', '${at}')`,
  `INSERT INTO digests (day, sent_at, late, message_id) VALUES ('2026-02-09', '${at}', 0, 'm9')`,
  `INSERT INTO llm_usage (at, model, purpose, prompt_tokens, completion_tokens, cost_usd, outcome) VALUES ('${at}', 'm', 'analyse', 10, 5, 0.01, 'ok')`,
  `INSERT INTO moments (term, source, detected_at, now_per_hour, baseline_per_hour, ratio, authors, samples, created_at) VALUES ('storm', 'surge', '${at}', 9, 1, 9, 5, '[]', '${at}')`,
  `INSERT INTO messages (key, sink, body, status, next_attempt_at, created_at) VALUES ('digest:2026-02-09', 'discord', '{}', 'pending', '${at}', '${at}')`,
  `INSERT INTO leases (name, holder, until) VALUES ('source:x', 'worker-1', '2099-01-01T00:00:00.000Z')`,
  `INSERT INTO labels (post_id, kind, source, actor_id, actor_name, at) VALUES ('x:1', 'opportunity', 'label', 'u1', 'anna', '${at}')`,
];

async function expectMigrated(store: SqlStore): Promise<void> {
  const [view] = await store.listCards();
  expect(view?.opportunity).toMatchObject({ postId: 'x:1', status: 'new' });
  expect(view?.history.map((h) => h.action)).toEqual(['claimed']);
  expect(view?.deliveries.map((d) => d.sink)).toEqual(['discord']);
  const id = view!.opportunity.id;
  expect(await store.seenKind(post)).toBe('opportunity');
  expect((await store.findPostByUrl(post.url!))?.text).toBe(post.text);
  expect((await store.getReply(id))?.status).toBe('sending');
  expect((await store.listWatch()).map((w) => w.term)).toEqual(['Elfstedentocht']);
  expect(await store.getCursor('x-mentions')).toBe('100');
  expect(await store.digestSent('2026-02-09')).toBe(true);
  expect((await store.llmUsageTotals()).calls).toBe(1);
  expect((await store.listMoments()).map((m) => m.term)).toEqual(['storm']);
  expect((await store.messageByKey('digest:2026-02-09'))?.status).toBe('pending');
  expect(await store.acquireLease('source:x', 'worker-2', 1000)).toBe(false);
  expect((await store.activeLabels()).map((l) => l.label.kind)).toEqual(['opportunity']);
  expect((await store.claimNext('discord', 'w', 60_000))?.opportunityId).toBe(id);
  // The database goes on as before: a new card gets a new id, and the old one's post is still one post.
  expect(await store.recordPost(post, { kind: 'noise', score: 0, signals: [], lang: 'en' })).toBeNull();
  const next = await store.recordPost({ ...post, id: '2' }, { kind: 'risk', score: 0.7, signals: [], lang: 'en' }, { analysis: { ...analysis, analyst: 'offline' } as never, sinks: ['discord'] });
  expect(next?.opportunityId).toBeGreaterThan(id);

  const other = store.forBrand('klm');
  expect(await other.listCards()).toEqual([]);
  expect(await other.seenKind(post)).toBeNull();
  expect(await other.listWatch()).toEqual([]);
  expect(await other.getCursor('x-mentions')).toBeNull();
  expect(await other.digestSent('2026-02-09')).toBe(false);
  expect(await other.acquireLease('source:x', 'worker-2', 1000)).toBe(true);
  expect(await other.recordPost(post, { kind: 'noise', score: 0, signals: [], lang: 'en' })).toEqual({ opportunityId: null });
}

describe('a database made before brands', () => {
  const dir = mkdtempSync(join(tmpdir(), 'kairos-migrate-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('SQLite: keeps every row as the default brand\'s', async () => {
    const file = join(dir, 'old.db');
    const old = new Database(file);
    migrateSqlite(old, MIGRATIONS.filter((m) => m.version <= 9));
    for (const q of LEGACY_ROWS) old.exec(q);
    old.close();
    const store = openSqlite(file);
    try {
      await expectMigrated(store);
      expect((await sql<{ n: number }>`SELECT count(*) AS n FROM pragma_foreign_key_check`.execute(store.db)).rows[0]?.n).toBe(0);
    } finally {
      await store.close();
    }
    // Opened again, nothing is left to migrate.
    const again = new Database(file);
    expect(migrateSqlite(again)).toBe(0);
    again.close();
  });

  it('PostgreSQL: keeps every row as the default brand\'s', async () => {
    const pg = new PGlite();
    const old = new Kysely<Schema>({ dialect: pgliteDialect(pg) });
    await migratePostgres(old, POSTGRES_MIGRATIONS.filter((m) => m.version <= 3));
    for (const q of LEGACY_ROWS) await sql.raw(q).execute(old);
    const store = await openPostgresDialect(pgliteDialect(pg));
    try {
      await expectMigrated(store);
      expect(await migratePostgres(store.db)).toBe(0);
    } finally {
      await store.close();
      await pg.close();
    }
  });
});
