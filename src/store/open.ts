import type { Clock } from '../domain/opportunity';
import type { Store } from '../domain/ports';
import { openSqlite } from './sqlite';

/**
 * The store asked for: PostgreSQL when a database URL is given (DATABASE_URL), else the SQLite file (KAIROS_DB),
 * opened for one brand (KAIROS_BRAND_ID; the default brand when none is given).
 */
export async function openStore(where: { dbPath: string; databaseUrl?: string; brandId?: string }, clock?: Clock): Promise<Store> {
  if (!where.databaseUrl) return openSqlite(where.dbPath, clock, where.brandId);
  // pg is loaded only for PostgreSQL.
  const { openPostgres } = await import('./postgres');
  return openPostgres(where.databaseUrl, clock, { brand: where.brandId });
}
