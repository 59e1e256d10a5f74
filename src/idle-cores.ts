import { availableParallelism, cpus } from 'node:os';

/** The machine's CPU time so far, summed over its cores (ms): what a later reading is compared with. */
export interface CpuMark {
  idle: number;
  total: number;
}

/** Below this much CPU time between two readings (ms, all cores), the kernel's 10 ms ticks say too little. */
const MIN_WINDOW_MS = 100;

export function cpuMark(): CpuMark {
  let idle = 0;
  let total = 0;
  for (const { times } of cpus()) {
    idle += times.idle;
    total += times.user + times.nice + times.sys + times.idle + times.irq;
  }
  return { idle, total };
}

/** The machine's CPU time when this module first loaded: the command line loads it before anything else. */
export const processStart = cpuMark();

/**
 * Cores no work held in the latest window of at least MIN_WINDOW_MS of CPU time, this process's own included: on
 * 2 cores, a process that kept one busy alone leaves 1. The load average looks back a minute, so a run that follows
 * another (a benchmark, a script that calls classify in turn) reads as busy long after the machine is free; what the
 * cores did since this process started, and since the last reading, is what they are doing now. Undefined until the
 * first window is long enough for the kernel's ticks to say something.
 */
export function idleCoresGauge(start: CpuMark = processStart, read: () => CpuMark = cpuMark, cores = availableParallelism()): () => number | undefined {
  let from = start;
  let latest: number | undefined;
  return () => {
    const now = read();
    const span = now.total - from.total;
    if (span >= MIN_WINDOW_MS) {
      latest = (cores * Math.max(0, now.idle - from.idle)) / span;
      from = now;
    }
    return latest;
  };
}
