/**
 * Speed and memory of triage and `classify` on real posts (the 14,640 US airline tweets in ../shared/corpora).
 *   npm run bench
 * Prints posts/s for triage alone and for the whole `classify` command (start-up measured apart and taken out),
 * and peak memory. Target: >= 5,000 posts/s on one core.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { staticContext } from '../src/detect/context';
import { createTriager } from '../src/detect/triage';
import { US_AIRLINE_HANDLES, usAirlineTweets } from './lib/corpora';

const posts = usAirlineTweets();
const triage = createTriager(staticContext({ name: 'US airlines', handles: US_AIRLINE_HANDLES, terms: [] }));

// Warm up the JIT, then measure three passes and keep the best (least disturbed by the machine).
for (const p of posts.slice(0, 2000)) triage(p);
let best = Infinity;
for (let pass = 0; pass < 3; pass++) {
  const t0 = process.hrtime.bigint();
  for (const p of posts) triage(p);
  best = Math.min(best, Number(process.hrtime.bigint() - t0) / 1e9);
}
console.log(`triage, in process: ${posts.length} posts in ${best.toFixed(3)} s = ${Math.round(posts.length / best).toLocaleString('en-US')} posts/s (${((best / posts.length) * 1e6).toFixed(1)} µs a post)`);

const dir = mkdtempSync(join(tmpdir(), 'kairos-bench-'));
const input = join(dir, 'tweets.jsonl');
const empty = join(dir, 'empty.jsonl');
writeFileSync(input, `${posts.map((p) => JSON.stringify(p)).join('\n')}\n`);
writeFileSync(empty, '');

function classify(file: string): { seconds: number; lines: number; maxRssMb: number } {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli.ts', 'classify', '--input', file], {
    encoding: 'utf8',
    maxBuffer: 1 << 30,
    env: { ...process.env, LOG_LEVEL: 'silent' },
  });
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  if (r.status !== 0) throw new Error(`classify failed: ${r.stderr}`);
  return { seconds, lines: r.stdout.split('\n').filter(Boolean).length, maxRssMb: 0 };
}

const startup = Math.min(...[0, 1].map(() => classify(empty).seconds));
const full = classify(input);
const work = full.seconds - startup;
console.log(
  `classify command: ${full.lines} verdict lines in ${full.seconds.toFixed(2)} s (start-up ${startup.toFixed(2)} s) = ` +
    `${Math.round(posts.length / work).toLocaleString('en-US')} posts/s, start-up aside`,
);

// Peak memory of a classify run: /usr/bin/time is not everywhere, so ask the child to report its own maxRSS.
const mem = spawnSync(
  process.execPath,
  ['--import', 'tsx', '-e', `process.on('exit',()=>process.stderr.write('MAXRSS '+process.resourceUsage().maxRSS+'\\n')); process.argv.splice(1,0,'classify'); await import('./src/cli.ts').then(m=>m.cli(['classify','--input',${JSON.stringify(input)}]))`],
  { encoding: 'utf8', maxBuffer: 1 << 30, env: { ...process.env, LOG_LEVEL: 'silent' } },
);
const kb = Number(/MAXRSS (\d+)/.exec(mem.stderr)?.[1] ?? NaN);
console.log(`classify peak memory (max RSS): ${(kb / 1024).toFixed(0)} MB`);
