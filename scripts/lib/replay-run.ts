/**
 * Runs one replay (src/main.ts with KAIROS_REPLAY_FILE) for scripts/bench-store.ts, cards to the terminal sink
 * (stdout, which the benchmark discards), and reports on stderr as one JSON line: elapsed ms and peak memory.
 */
import { main } from '../../src/main';

const started = performance.now();
const code = await main({ ...process.env, LOG_LEVEL: 'warn' });
const usage = process.resourceUsage();
// CPU time beside the wall time: on a loaded machine the wall time says more about the neighbours than about Kairos.
process.stderr.write(`${JSON.stringify({ code, ms: performance.now() - started, cpuMs: (usage.userCPUTime + usage.systemCPUTime) / 1000, maxRssMb: usage.maxRSS / 1024 })}\n`);
process.exitCode = code;
