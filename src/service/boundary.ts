import type { Logger } from '../log';

/**
 * Whether an error means the database is gone (the file deleted, the disk full or failing, the connection
 * closed): then nothing Kairos does can be recorded, and going on would lose or double cards. Every other error
 * belongs to one event (a post, an interaction, a timer) and must not stop the bot.
 */
export function isDatabaseLost(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  const code = (err as { code?: unknown }).code;
  if (typeof code === 'string' && /^SQLITE_(IOERR|CORRUPT|NOTADB|FULL|CANTOPEN|READONLY)/.test(code)) return true;
  // PostgreSQL: the connection failed or the server is shutting down (classes 08 and 57P), or it cannot be reached.
  if (typeof code === 'string' && /^(08\w{3}|57P0[1-3]|ECONNREFUSED|ECONNRESET|ENOTFOUND|EHOSTUNREACH)$/.test(code)) return true;
  if (/Cannot use a pool after calling end on the pool/.test(err.message)) return true;
  // better-sqlite3 on a closed connection.
  return err instanceof TypeError && /database connection is not open/i.test(err.message);
}

export interface BoundaryOptions {
  log: Logger;
  /** Called once when the database is lost: stop cleanly, exit non-zero. */
  onFatal: (err: Error) => void;
}

/**
 * The process-level boundary, the last line behind the per-event ones (interactions, posts, timers, gateway
 * packets): an error nothing else caught is logged with where it came from and the bot goes on; only a lost
 * database stops it. Returns a function that removes the handlers.
 */
export function installProcessBoundary({ log, onFatal }: BoundaryOptions): () => void {
  let fatal = false;
  const handle = (err: unknown, origin: string) => {
    const error = err instanceof Error ? err : new Error(String(err));
    if (isDatabaseLost(error)) {
      if (fatal) return;
      fatal = true;
      log.fatal({ err: error, origin }, `the database was lost (${error.message}); Kairos stops`);
      onFatal(error);
      return;
    }
    log.error({ err: error, origin }, 'an error escaped its handler; Kairos goes on');
  };
  const onException = (err: Error, origin: string) => handle(err, origin);
  const onRejection = (reason: unknown) => handle(reason, 'unhandledRejection');
  process.on('uncaughtException', onException);
  process.on('unhandledRejection', onRejection);
  return () => {
    process.removeListener('uncaughtException', onException);
    process.removeListener('unhandledRejection', onRejection);
  };
}
