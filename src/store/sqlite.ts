import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { Kysely, SqliteDialect, type SqliteDatabase } from 'kysely';
import type { Clock } from '../domain/opportunity';
import { MIGRATIONS } from './migrations';
import type { Schema } from './schema';
import { SqlStore } from './sql-store';

/** The embedded default: one SQLite file (':memory:' for tests), one process. */
export function openSqlite(path: string, clock?: Clock): SqlStore {
  if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
  const db = new Database(path);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.pragma('foreign_keys = ON');
  db.pragma('busy_timeout = 5000');
  migrateSqlite(db);
  // A SQLite file has one worker: claims left by a process that stopped are this process's to take over at once.
  db.exec('UPDATE outbox SET claimed_by = NULL, claimed_until = NULL WHERE claimed_by IS NOT NULL');
  db.exec('UPDATE messages SET claimed_by = NULL, claimed_until = NULL WHERE claimed_by IS NOT NULL');
  return new SqlStore(new Kysely<Schema>({ dialect: new SqliteDialect({ database: reusingStatements(db) }) }), 'sqlite', clock);
}

/** Applies, in order and each in a transaction, the migrations this file has not seen yet. */
export function migrateSqlite(db: Database.Database): number {
  db.exec('CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)');
  const done = new Set((db.prepare('SELECT version FROM schema_migrations').all() as { version: number }[]).map((r) => r.version));
  let applied = 0;
  for (const m of MIGRATIONS) {
    if (done.has(m.version)) continue;
    db.transaction(() => {
      db.exec(m.sql);
      db.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)').run(m.version, m.name, new Date().toISOString());
    })();
    applied++;
  }
  return applied;
}

const MAX_STATEMENTS = 256;

/**
 * better-sqlite3 as Kysely's SQLite driver sees it, with each statement prepared once and reused: the query layer
 * builds the same SQL text for the same query, and preparing costs more than running on the hot path.
 */
function reusingStatements(db: Database.Database): SqliteDatabase {
  const cache = new Map<string, Database.Statement>();
  return {
    close: () => db.close(),
    prepare(sql) {
      let stmt = cache.get(sql);
      if (!stmt) {
        stmt = db.prepare(sql);
        if (cache.size >= MAX_STATEMENTS) cache.delete(cache.keys().next().value as string);
        cache.set(sql, stmt);
      }
      return stmt;
    },
  };
}
