/**
 * Kairos as a service, measured: speed and peak memory of a replay of 100,000 and 1,000,000 posts (real airline
 * posts from ../shared/corpora, repeated with new ids and times, 20 s apart, written to a file first) on a fresh
 * SQLite file, run as production runs it (the compiled build with the heap flags of `npm run start:prod`), with
 * wall and CPU time and the load average; and the time from start to the first card and of the whole demo, for the
 * compiled build (`npm run build`, plain node) against tsx.
 *   npm run build && npx tsx scripts/bench-service.ts [--posts 100000,1000000] [--skip-start]   (--posts '' for start-up only)
 * Targets (issue 10): 10,000 posts/s for 100,000 posts; under 300 MB for both sizes. RSS is printed as the replay goes.
 */
import { spawn } from 'node:child_process';
import { createWriteStream, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { Post } from '../src/domain/post';
import { airlineFiles } from './lib/real-airline';

const { values } = parseArgs({ options: { posts: { type: 'string', default: '100000,1000000' }, 'skip-start': { type: 'boolean' } } });
const sizes = values.posts.split(',').map(Number).filter((n) => n > 0);
const ROOT = new URL('..', import.meta.url).pathname;

const files = airlineFiles('all');
const base: Post[] = files.flatMap((f) => f.posts).sort((a, b) => a.createdAt.localeCompare(b.createdAt));
const handles = [...new Set(files.flatMap((f) => f.brand.handles))];
const terms = [...new Set(files.flatMap((f) => f.brand.terms))];
const brandEnv = { BRAND_NAME: 'Airlines', BRAND_HANDLES: handles.join(','), BRAND_TERMS: terms.join(',') };
console.log(`${base.length.toLocaleString('en-US')} real airline posts, ${handles.length} brand handles; repeated with new ids and times`);

const START = Date.parse('2026-01-01T00:00:00Z');
/** The n-th post of the repeated stream: a real post's text and author, a new id, 20 s after the one before. */
function nth(n: number): string {
  const p = base[n % base.length]!;
  const id = String(1_900_000_000_000_000_000n + BigInt(n));
  return JSON.stringify({ ...p, id, url: undefined, createdAt: new Date(START + n * 20_000).toISOString() });
}

const dir = mkdtempSync(join(tmpdir(), 'kairos-bench-service-'));
const mb = (kb: number) => `${Math.round(kb / 1024)} MB`;
/** The V8 flags production runs with: those of `npm run start:prod` (the systemd unit and the image use the same). */
const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
const heapFlags = pkg.scripts['start:prod']!.match(/--max-[\w-]+=\d+/g) ?? [];
if (!existsSync(join(ROOT, 'dist/src/cli.js'))) throw new Error('run npm run build first: the replay is measured on the compiled build');
console.log(`replays: node ${heapFlags.join(' ')} dist/src/cli.js replay --input FILE (console sink, a fresh SQLite file)`);

/** The resident set now and its peak so far of a running process, in kB (Linux), or null once it is gone. */
function rssOf(pid: number): { now: number; peak: number } | null {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    return { now: Number(/VmRSS:\s+(\d+)/.exec(status)?.[1]), peak: Number(/VmHWM:\s+(\d+)/.exec(status)?.[1]) };
  } catch {
    return null;
  }
}

/** Writes the first `count` posts of the repeated stream to a file (a replay reads its file as a user's would). */
async function postsFile(count: number): Promise<string> {
  const file = join(dir, `posts-${count}.jsonl`);
  const out = createWriteStream(file);
  let batch = '';
  for (let n = 0; n < count; n++) {
    batch += `${nth(n)}\n`;
    if (batch.length > 1_000_000 || n === count - 1) {
      if (!out.write(batch)) await new Promise<void>((r) => out.once('drain', () => r()));
      batch = '';
    }
  }
  await new Promise<void>((r, j) => out.end((err?: Error | null) => (err ? j(err) : r())));
  return file;
}

const load = () => readFileSync('/proc/loadavg', 'utf8').split(' ')[0];

/**
 * Replays `count` posts from a file through the whole pipeline (console sink), the process timed by /usr/bin/time:
 * wall and CPU time (user + system, start-up and the closing digest included) and peak RSS; RSS printed at each
 * tenth of the posts (from the replay's own progress lines).
 */
async function replay(count: number): Promise<{ peakKb: number; seconds: number; cpu: number; summary: string; loads: string }> {
  const file = await postsFile(count);
  const loads = [load()];
  const t0 = performance.now();
  const child = spawn('/usr/bin/time', ['-f', 'PEAK %M CPU %U %S', process.execPath, ...heapFlags, 'dist/src/cli.js', 'replay', '--input', file], {
    cwd: ROOT,
    env: { PATH: process.env.PATH, HOME: process.env.HOME, LOG_LEVEL: 'info', LOG_FORMAT: 'json', KAIROS_DB: join(dir, `replay-${count}.db`), ...brandEnv },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let tail = '';
  let stderr = '';
  const tenth = Math.max(5_000, Math.floor(count / 10 / 5_000) * 5_000);
  // The node process under /usr/bin/time, for the progress lines.
  const nodePid = () => Number(readFileSync(`/proc/${child.pid}/task/${child.pid}/children`, 'utf8').trim().split(/\s+/)[0]) || 0;
  child.stdout.setEncoding('utf8').on('data', (d: string) => (tail = (tail + d).slice(-30_000)));
  child.stderr.setEncoding('utf8').on('data', (d: string) => {
    stderr = (stderr + d).slice(-4000);
    for (const m of d.matchAll(/"read":(\d+)/g)) {
      const n = Number(m[1]);
      if (n % tenth) continue;
      const rss = rssOf(nodePid());
      const s = (performance.now() - t0) / 1000;
      if (n === 5 * tenth) loads.push(load());
      process.stdout.write(`  … ${n.toLocaleString('en-US')} posts read, ${s.toFixed(0)} s${rss ? `: RSS ${mb(rss.now)}, peak so far ${mb(rss.peak)}` : ''}\n`);
    }
  });
  const code = await new Promise<number | null>((r) => child.on('close', r));
  loads.push(load());
  const peak = /PEAK (\d+) CPU ([\d.]+) ([\d.]+)/.exec(stderr);
  if (code !== 0 || !peak) throw new Error(`replay of ${count} posts failed (${code}): ${stderr.slice(-1500)}`);
  rmSync(file, { force: true });
  const summary = /Posts read: .*\nCards: .*/.exec(tail)?.[0].replace('\n', '; ') ?? '';
  return { peakKb: Number(peak[1]), seconds: (performance.now() - t0) / 1000, cpu: Number(peak[2]) + Number(peak[3]), summary, loads: loads.join(' → ') };
}

for (const n of sizes) {
  const r = await replay(n);
  const rate = (s: number) => Math.round(n / s).toLocaleString('en-US');
  console.log(
    `replay of ${n.toLocaleString('en-US')} posts: ${rate(r.seconds)} posts/s (${r.seconds.toFixed(1)} s wall), ${rate(r.cpu)} posts/s of CPU time (${r.cpu.toFixed(1)} s), ` +
      `peak ${mb(r.peakKb)} (targets: 10,000 posts/s for 100,000; under 300 MB) · load average ${r.loads} · ${r.summary}`,
  );
}

/** Start to the first card and to the end of the demo, for a command line. */
async function demo(label: string, args: string[]): Promise<void> {
  const times: { first: number; all: number }[] = [];
  for (let i = 0; i < 3; i++) {
    const t0 = performance.now();
    const child = spawn(args[0]!, args.slice(1), {
      cwd: ROOT,
      env: { PATH: process.env.PATH, HOME: process.env.HOME, LOG_LEVEL: 'silent', KAIROS_DB: join(dir, `demo-${label.replace(/\W+/g, '-')}-${i}.db`) },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let first = 0;
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      out += d;
      if (!first && /^ (OPPORTUNITY|RISK) /m.test(out)) first = performance.now() - t0;
    });
    await new Promise((r) => child.on('close', r));
    times.push({ first, all: performance.now() - t0 });
  }
  const best = (k: 'first' | 'all') => Math.min(...times.map((t) => t[k]));
  console.log(`${label}: first card ${Math.round(best('first'))} ms, whole demo ${Math.round(best('all'))} ms (best of 3)`);
}

if (!values['skip-start']) {
  if (existsSync(join(ROOT, 'dist/src/main.js'))) await demo('compiled (node dist/src/main.js)', [process.execPath, 'dist/src/main.js']);
  else console.log('compiled build: not built (run npm run build first)');
  await demo('tsx (npm start)', ['node_modules/.bin/tsx', 'src/main.ts']);
}
rmSync(dir, { recursive: true, force: true });
