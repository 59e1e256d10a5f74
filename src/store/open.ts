import type { Clock } from '../domain/opportunity';
import type { Store } from '../domain/ports';
import { openPostgres } from './postgres';
import { openSqlite } from './sqlite';

/**
 * The store asked for: PostgreSQL when a database URL is given (DATABASE_URL), else the SQLite file (KAIROS_DB),
 * opened for one brand (KAIROS_BRAND_ID; the default brand when none is given).
 */
export async function openStore(where: { dbPath: string; databaseUrl?: string; brandId?: string }, clock?: Clock): Promise<Store> {
  return where.databaseUrl ? openPostgres(where.databaseUrl, clock, { brand: where.brandId }) : openSqlite(where.dbPath, clock, where.brandId);
}
