import { PostgresDialect, sql } from 'kysely';
import pg from 'pg';
import type { Clock } from '../../src/domain/opportunity';
import { openPostgresDialect } from '../../src/store/postgres';
import { openSqlite } from '../../src/store/sqlite';
import type { SqlStore } from '../../src/store/sql-store';
import { PGlite, pgliteDialect } from './pglite';

/**
 * The adapters the store contract runs against: SQLite in memory, PostgreSQL in process (PGlite) in every run, and
 * a real PostgreSQL server when KAIROS_TEST_PG_URL is set (.ci/run starts one). Each open() gives an empty store.
 */
export interface StoreHarness {
  name: string;
  open(clock?: Clock): Promise<SqlStore>;
  /** Makes every outbox insert fail, as a full disk would; fixOutbox undoes it. */
  breakOutbox(store: SqlStore): Promise<void>;
  fixOutbox(store: SqlStore): Promise<void>;
  /** Ends what the harness started (the in-process server). */
  close(): Promise<void>;
}

export const TABLES = ['posts', 'verdicts', 'opportunities', 'outbox', 'actions', 'watch_terms', 'cursors', 'digests', 'llm_usage', 'x_replies', 'moments', 'leases', 'labels', 'inbox', 'x_reads'] as const;

export async function count(store: SqlStore, table: (typeof TABLES)[number]): Promise<number> {
  const r = await store.db.selectFrom(table).select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow();
  return Number(r.n);
}

const sqlite: StoreHarness = {
  name: 'sqlite',
  open: async (clock) => openSqlite(':memory:', clock),
  async breakOutbox(store) {
    await sql`CREATE TRIGGER outbox_fails BEFORE INSERT ON outbox BEGIN SELECT RAISE(ABORT, 'disk full'); END`.execute(store.db);
  },
  async fixOutbox(store) {
    await sql`DROP TRIGGER outbox_fails`.execute(store.db);
  },
  close: async () => undefined,
};

function postgresHarness(name: string, dialect: () => PostgresDialect | Promise<PostgresDialect>, end: () => Promise<void>): StoreHarness {
  return {
    name,
    async open(clock) {
      const store = await openPostgresDialect(await dialect(), clock);
      // One schema for the whole run, emptied for each test.
      await sql.raw(`TRUNCATE ${TABLES.join(', ')} RESTART IDENTITY CASCADE`).execute(store.db);
      return store;
    },
    async breakOutbox(store) {
      await sql.raw(`CREATE OR REPLACE FUNCTION outbox_fails() RETURNS trigger AS $$ BEGIN RAISE EXCEPTION 'disk full'; END $$ LANGUAGE plpgsql;
        CREATE TRIGGER outbox_fails BEFORE INSERT ON outbox FOR EACH ROW EXECUTE FUNCTION outbox_fails();`).execute(store.db);
    },
    async fixOutbox(store) {
      await sql.raw('DROP TRIGGER outbox_fails ON outbox').execute(store.db);
    },
    close: end,
  };
}

/** PGlite, started on first use (about 3 s), one per test file. */
function pglite(): StoreHarness {
  let db: PGlite | undefined;
  return postgresHarness(
    'pglite',
    () => pgliteDialect((db ??= new PGlite())),
    async () => {
      await db?.close();
    },
  );
}

/**
 * A real server: a schema of its own per test file (so runs and files never see each other's rows), dropped at
 * the end.
 */
function server(url: string): StoreHarness {
  const schema = `kairos_test_${process.pid}_${Math.random().toString(36).slice(2, 8)}`;
  let ready: Promise<void> | undefined;
  const admin = async (statement: string) => {
    const c = new pg.Client({ connectionString: url });
    await c.connect();
    try {
      await c.query(statement);
    } finally {
      await c.end();
    }
  };
  return postgresHarness(
    'postgres',
    async () => {
      await (ready ??= admin(`CREATE SCHEMA IF NOT EXISTS ${schema}`));
      const pool = new pg.Pool({ connectionString: url, max: 4, options: `-c search_path=${schema}` });
      pool.on('error', () => undefined);
      return new PostgresDialect({ pool });
    },
    async () => {
      if (ready) await admin(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    },
  );
}

/** Every harness for this run. */
export function storeHarnesses(): StoreHarness[] {
  const url = process.env.KAIROS_TEST_PG_URL;
  return [sqlite, pglite(), ...(url ? [server(url)] : [])];
}
