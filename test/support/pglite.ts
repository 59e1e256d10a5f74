import { PGlite } from '@electric-sql/pglite';
import { PostgresDialect } from 'kysely';

/**
 * Kysely's PostgreSQL dialect over PGlite (PostgreSQL compiled to WebAssembly, in process): the same SQL and the
 * same store as a real server, with no server. PGlite is one session, so the "pool" hands it to one user at a
 * time (a transaction holds it until it ends).
 */
export function pgliteDialect(db: PGlite): PostgresDialect {
  let queue: Promise<void> = Promise.resolve();
  const client = (release: () => void) => ({
    async query(sql: string, params: readonly unknown[]) {
      // Migrations are several statements in one string: only the simple protocol (exec) takes those.
      const results = params.length ? [await db.query(sql, [...params])] : await db.exec(sql);
      const last = results[results.length - 1];
      return {
        command: sql.trimStart().split(/\s/, 1)[0]!.toUpperCase(),
        rowCount: last?.affectedRows ?? last?.rows.length ?? 0,
        rows: (last?.rows ?? []) as unknown[],
      };
    },
    release,
  });
  return new PostgresDialect({
    pool: {
      connect: () =>
        new Promise((resolve) => {
          queue = queue.then(() => new Promise<void>((release) => resolve(client(release) as never)));
        }),
      end: async () => undefined,
    },
  });
}

export { PGlite };
