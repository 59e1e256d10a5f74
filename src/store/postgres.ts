import { Kysely, PostgresDialect, sql, type Dialect } from 'kysely';
import pg from 'pg';
import { DEFAULT_BRAND } from '../domain/brand';
import type { Clock } from '../domain/opportunity';
import type { Migration } from './migrations';
import { POSTGRES_MIGRATIONS } from './postgres-migrations';
import type { Schema } from './schema';
import { SqlStore } from './sql-store';

/** Any number the workers agree on: the advisory lock under which one of them migrates. */
const MIGRATION_LOCK = 7_246_001;

/** A shared PostgreSQL (DATABASE_URL=postgres://…): several workers at once. */
export async function openPostgres(url: string, clock?: Clock, opts: { poolSize?: number; brand?: string } = {}): Promise<SqlStore> {
  const pool = new pg.Pool({ connectionString: url, max: opts.poolSize ?? 10 });
  // A connection lost while idle in the pool must not take the process down; the next query reconnects.
  pool.on('error', () => undefined);
  return openPostgresDialect(new PostgresDialect({ pool }), clock, opts.brand);
}

/** The store over any PostgreSQL dialect (pg's pool, PGlite in tests), its schema brought up to date first. */
export async function openPostgresDialect(dialect: Dialect, clock?: Clock, brand: string = DEFAULT_BRAND): Promise<SqlStore> {
  const db = new Kysely<Schema>({ dialect });
  try {
    await migratePostgres(db);
  } catch (err) {
    await db.destroy();
    throw err;
  }
  return new SqlStore(db, 'postgres', brand, clock);
}

/**
 * Applies the migrations not applied yet, in one transaction under an advisory lock: two workers starting at once
 * migrate once (the second waits, then finds nothing left to do).
 */
export async function migratePostgres(db: Kysely<Schema>, migrations: readonly Migration[] = POSTGRES_MIGRATIONS): Promise<number> {
  return db.transaction().execute(async (trx) => {
    await sql`SELECT pg_advisory_xact_lock(${MIGRATION_LOCK})`.execute(trx);
    await sql`CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)`.execute(trx);
    const done = new Set((await trx.selectFrom('schema_migrations').select('version').execute()).map((r) => Number(r.version)));
    let applied = 0;
    for (const m of migrations) {
      if (done.has(m.version)) continue;
      await sql.raw(m.sql).execute(trx);
      await trx.insertInto('schema_migrations').values({ version: m.version, name: m.name, applied_at: new Date().toISOString() }).execute();
      applied++;
    }
    return applied;
  });
}
