import Database from 'better-sqlite3';
import { createLogger } from '../../src/log';
import { installProcessBoundary } from '../../src/service/boundary';

/** A program under the process boundary, for test/error-boundary.test.ts: argv[2] says what goes wrong. */
const log = createLogger('info', undefined, 'json', []);
installProcessBoundary({ log, onFatal: () => process.exit(1) });

if (process.argv[2] === 'escapes') {
  setTimeout(() => {
    throw new Error('thrown in a timer');
  }, 10);
  setTimeout(() => void Promise.reject(new Error('rejected, never handled')), 30);
} else {
  const db = new Database(':memory:');
  db.close();
  setTimeout(() => db.prepare('SELECT 1').get(), 10);
}
setTimeout(() => process.stdout.write('still up\n'), 200);
