import { availableParallelism, cpus, loadavg } from 'node:os';

/** Shorter than this, the CPU counters (10 ms ticks) say too little, and the load average decides. */
const MIN_WINDOW_MS = 100;

/** What the meter reads: the machine's counters (tests give their own). */
export interface CoreCounters {
  /** Cores this process may run on. */
  cores(): number;
  /** Idle milliseconds of each core the machine counts, since boot. */
  idleMs(): number[];
  /** CPU milliseconds this process has used, all its threads. */
  ownMs(): number;
  loadavg(): number;
  now(): number;
}

const machine: CoreCounters = {
  cores: availableParallelism,
  idleMs: () => cpus().map((c) => c.times.idle),
  ownMs: () => {
    const u = process.cpuUsage();
    return (u.user + u.system) / 1000;
  },
  loadavg: () => loadavg()[0]!,
  now: () => performance.now(),
};

const sum = (ns: number[]) => ns.reduce((a, b) => a + b, 0);

/**
 * Cores no other work holds, measured since the meter started (the start of the process, for the command line):
 * the cores left idle plus the ones this process kept busy itself. The load average alone lags by a minute, so
 * a second import run right after a first one (or after any busy minute) found the machine "busy" with its own
 * past work and stayed on one thread. Where the counters do not describe the cores this process may use (a CPU
 * affinity mask, a container that lists the host's cores, no counters), or the window is too short to read, the
 * load average decides as before.
 */
export function coreMeter(counters: CoreCounters = machine): () => number {
  const t0 = counters.now();
  const idle0 = counters.idleMs();
  const own0 = counters.ownMs();
  return () => {
    const cores = counters.cores();
    const wall = counters.now() - t0;
    const idle1 = counters.idleMs();
    if (wall < MIN_WINDOW_MS || idle1.length === 0 || idle1.length !== cores || idle0.length !== cores) return cores - counters.loadavg();
    const idle = (sum(idle1) - sum(idle0)) / wall;
    const own = (counters.ownMs() - own0) / wall;
    return Math.max(0, Math.min(cores, idle + own));
  };
}

/** The meter of this process, started when it first imports this module. */
export const freeCores = coreMeter();
