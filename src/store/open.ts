import { maskUrl, type Config } from '../config';
import type { Clock } from '../domain/opportunity';
import type { Store } from '../domain/ports';
import { openPostgres } from './postgres';
import { openSqlite } from './sqlite';

/** The store the configuration asks for: PostgreSQL when DATABASE_URL is set, else the SQLite file. */
export async function openStore(config: Pick<Config, 'dbPath' | 'databaseUrl'>, clock?: Clock): Promise<Store> {
  if (!config.databaseUrl) return openSqlite(config.dbPath, clock);
  try {
    return await openPostgres(config.databaseUrl, clock);
  } catch (err) {
    // The driver's message may quote the URL: show it masked, never the password.
    const message = (err instanceof Error ? err.message : String(err)).split(config.databaseUrl).join(maskUrl(config.databaseUrl));
    throw new StoreOpenError(`DATABASE_URL: cannot open ${maskUrl(config.databaseUrl)}: ${message}`);
  }
}

export class StoreOpenError extends Error {
  override name = 'StoreOpenError';
}
