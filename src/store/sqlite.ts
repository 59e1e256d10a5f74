import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { Kysely, SqliteDialect, type SqliteDatabase } from 'kysely';
import { DEFAULT_BRAND } from '../domain/brand';
import type { Clock } from '../domain/opportunity';
import { MIGRATIONS, type Migration } from './migrations';
import type { Schema } from './schema';
import { SqlStore } from './sql-store';

/**
 * The embedded default: one SQLite file (':memory:' for tests), one process per brand (several brands may share
 * the file, each process seeing its own rows).
 */
export function openSqlite(path: string, clock?: Clock, brand: string = DEFAULT_BRAND): SqlStore {
  if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
  const db = new Database(path);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.pragma('busy_timeout = 5000');
  migrateSqlite(db);
  db.pragma('foreign_keys = ON');
  // A SQLite file has one worker per brand: claims this brand's last process left are this one's to take over at once.
  db.prepare('UPDATE outbox SET claimed_by = NULL, claimed_until = NULL WHERE claimed_by IS NOT NULL AND brand = ?').run(brand);
  db.prepare('UPDATE messages SET claimed_by = NULL, claimed_until = NULL WHERE claimed_by IS NOT NULL AND brand = ?').run(brand);
  return new SqlStore(new Kysely<Schema>({ dialect: new SqliteDialect({ database: reusingStatements(db) }) }), 'sqlite', brand, clock);
}

/**
 * Applies, in order and each in a transaction, the migrations this file has not seen yet. Foreign keys are off
 * meanwhile (SQLite cannot turn them off inside a transaction), as a table rebuilt under its dependants needs, and
 * checked once all are applied.
 */
export function migrateSqlite(db: Database.Database, migrations: readonly Migration[] = MIGRATIONS): number {
  db.exec('CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)');
  const done = new Set((db.prepare('SELECT version FROM schema_migrations').all() as { version: number }[]).map((r) => r.version));
  const todo = migrations.filter((m) => !done.has(m.version));
  if (!todo.length) return 0;
  const fk = db.pragma('foreign_keys', { simple: true }) as number;
  db.pragma('foreign_keys = OFF');
  try {
    for (const m of todo) {
      db.transaction(() => {
        db.exec(m.sql);
        const broken = db.pragma('foreign_key_check') as unknown[];
        if (broken.length) throw new Error(`migration ${m.version} (${m.name}) left ${broken.length} rows whose reference is missing`);
        db.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)').run(m.version, m.name, new Date().toISOString());
      })();
    }
  } finally {
    db.pragma(`foreign_keys = ${fk ? 'ON' : 'OFF'}`);
  }
  return todo.length;
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
