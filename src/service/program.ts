import { constants as osConstants } from 'node:os';
import { createLogger } from '../log';
import { installProcessBoundary, isDatabaseLost } from './boundary';

/** What a running command does when the database is lost: stop cleanly (main registers its stop). */
const stops = new Set<() => void>();

export function registerStop(stop: () => void): () => void {
  stops.add(stop);
  return () => stops.delete(stop);
}

/** The exit code a shell reports for a process ended by a signal. */
export function signalExitCode(signal: NodeJS.Signals): number {
  return 128 + (osConstants.signals[signal] ?? 0);
}

/**
 * Runs a long command (npm start, replay) as the process: the process boundary around it (an error that escaped
 * its handler is logged and the command goes on; a lost database stops it with exit 1), and a second Ctrl-C, or
 * one before the command could stop cleanly, ends the process at once.
 */
export function runAsProgram(run: () => Promise<number>): void {
  const log = createLogger();
  installProcessBoundary({
    log,
    onFatal: () => {
      process.exitCode = 1;
      for (const stop of stops) stop();
    },
  });
  let first = 0;
  const force = (signal: NodeJS.Signals) => {
    // The command stops cleanly on its own listener. The same Ctrl-C can arrive twice within moments (the whole
    // process group gets it, and tsx relays it to its child again when the child is slow to say it got it):
    // only a signal a second or more after the first one forces the stop.
    if (stops.size > 0 && (first === 0 || Date.now() - first < 1000)) {
      first ||= Date.now();
      return;
    }
    process.stderr.write(`\nKairos: ${signal}; stopping now, without finishing what is in flight.\n`);
    process.exit(signalExitCode(signal));
  };
  process.on('SIGINT', force);
  process.on('SIGTERM', force);
  run().then(
    (code) => {
      if (!process.exitCode) process.exitCode = code;
    },
    (err: unknown) => {
      if (isDatabaseLost(err)) log.fatal({ err }, `the database was lost (${(err as Error).message}); Kairos stops`);
      else log.fatal({ err }, 'Kairos stopped');
      process.exitCode = 1;
    },
  );
}
