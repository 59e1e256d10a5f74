/**
 * Speed of triage and of `classify` as users run them, on the real airline posts of ../shared/corpora as they come
 * (no `lang`: sources rarely give one, so language detection runs), each airline triaged as its own brand; the
 * demo and the labelled sets (their `lang` dropped) when the corpora are absent.
 *   npm run bench [-- --quick]
 * Prints, in one run (each figure by wall time and by CPU time: on a machine shared with other work, CPU time is
 * the steadier measure of what the code costs):
 *   - triage in process, one core: posts/s and µs a post (best of three passes after a warm-up);
 *   - `classify` as a whole process, its start-up taken out, beside the floor for the same contract (a process
 *     that reads a line, JSON.parse-s it and writes a verdict-shaped line, on one thread), measured the same way,
 *     with the threads classify used (it triages a backlog on worker threads too: its CPU time is all of theirs,
 *     so its ratio to the floor by CPU time does not drop with them);
 *   - each as users run it: `npm run cli -- classify` (node with package.json's flags on scripts/cli.mjs, which runs
 *     the compiled build when `npm run build` has written dist/ since the sources last changed, else tsx), and the
 *     compiled build as `node dist/src/cli.js` without flags when there is one;
 *   - start-up: one line in, one verdict out, the whole process;
 *   - latency from a line written to an open pipe to its verdict coming out (p50, p99), the first second (while
 *     classify still readies itself) apart from the steady state after it;
 *   - peak memory (max RSS) of each process.
 * Targets: triage >= 50,000 posts/s; classify >= 30,000 posts/s and within 10x the floor; start-up < 0.8 s;
 * pipe p99 < 20 ms. The machine's load is printed too: figures on a busy machine are lower.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { staticContext } from '../src/detect/context';
import { createTriager } from '../src/detect/triage';
import { parsePostLine, type Post } from '../src/domain/post';
import { CORPORA_DIR } from './lib/corpora';
import { freshBuild } from './lib/fresh-build.mjs';
import { airlineFiles, type Brand } from './lib/real-airline';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const quick = process.argv.includes('--quick');
/** The pipe latency is measured from a fresh process of its own (this one's heap holds every post). */
const probe = process.argv.includes('--pipe-probe');
const fmt = (n: number) => Math.round(n).toLocaleString('en-US');

// ── the posts ─────────────────────────────────────────────────────────────────────────────────────────────────
function readPosts(path: string): Post[] {
  return readFileSync(path, 'utf8')
    .split('\n')
    .flatMap((line) => {
      const p = line.trim() ? parsePostLine(line) : null;
      return p?.ok ? [{ ...p.post, lang: undefined }] : [];
    });
}

const ORANJE: Brand = { name: 'Oranje Air', handles: ['OranjeAir'], terms: ['Oranje Air', 'OranjeAir'] };
let groups: { brand: Brand; posts: Post[] }[];
let what: string;
if (!probe && existsSync(join(CORPORA_DIR, 'airline-posts-labelled'))) {
  groups = airlineFiles('all').map((f) => ({ brand: f.brand, posts: f.posts.map((p) => ({ ...p, lang: undefined })) }));
  what = 'real airline posts (../shared/corpora), without lang, each airline as its brand';
} else {
  groups = [{ brand: ORANJE, posts: readPosts(`${ROOT}src/sources/demo-stream.jsonl`) }];
  for (const set of readdirSync(`${ROOT}test/fixtures`)) {
    const path = `${ROOT}test/fixtures/${set}/posts.jsonl`;
    const brandFile = `${ROOT}test/fixtures/${set}/brand.json`;
    if (existsSync(path)) groups.push({ brand: existsSync(brandFile) ? (JSON.parse(readFileSync(brandFile, 'utf8')) as Brand) : ORANJE, posts: readPosts(path) });
  }
  what = probe ? 'the demo and the labelled sets, without lang' : 'the demo and the labelled sets (no corpora found), without lang';
}
const total = groups.reduce((n, g) => n + g.posts.length, 0);
if (!probe) console.log(`${fmt(total)} posts: ${what}`);
if (!probe) console.log(`machine: load average ${loadavg().map((l) => l.toFixed(1)).join(' ')} on ${spawnSync('nproc', { encoding: 'utf8' }).stdout.trim() || '?'} cores, Node ${process.version}`);

/** The best of three passes (one with --quick), by wall time and by CPU time (each its own best). */
function passes(pass: () => void): { wall: number; cpu: number } {
  let wall = Infinity;
  let cpu = Infinity;
  for (let n = 0; n < (quick ? 1 : 3); n++) {
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    pass();
    wall = Math.min(wall, (performance.now() - t0) / 1000);
    const used = process.cpuUsage(cpu0);
    cpu = Math.min(cpu, (used.user + used.system) / 1e6);
  }
  return { wall, cpu };
}

// ── 1. triage in process ──────────────────────────────────────────────────────────────────────────────────────
if (!probe) {
  const jobs = groups.map((g) => ({ triage: createTriager(staticContext(g.brand)), posts: g.posts }));
  for (const j of jobs) for (const p of j.posts.slice(0, 500)) j.triage(p);
  const { wall, cpu } = passes(() => {
    for (const j of jobs) for (const p of j.posts) j.triage(p);
  });
  console.log(
    `\ntriage, in process, one core: ${fmt(total / wall)} posts/s (${wall.toFixed(2)} s wall, ${((wall / total) * 1e6).toFixed(1)} µs a post); ` +
      `by CPU time ${fmt(total / cpu)} posts/s (${cpu.toFixed(2)} s CPU, ${((cpu / total) * 1e6).toFixed(1)} µs a post). Target 50,000`,
  );
}

// ── 2. classify as a process, beside the floor ────────────────────────────────────────────────────────────────
const dir = mkdtempSync(join(tmpdir(), 'kairos-bench-'));
process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
// One brand for the whole file (classify reads one): every airline's handles and names. More posts are then
// on-brand than with each airline as its own brand (the model runs only on those), so triage in process with
// that one brand is printed too, for comparison.
const union: Brand = {
  name: groups.length === 1 ? groups[0]!.brand.name : 'the airlines',
  handles: [...new Set(groups.flatMap((g) => g.brand.handles))],
  terms: [...new Set(groups.flatMap((g) => g.brand.terms))],
};
const brandEnv = { BRAND_NAME: union.name, BRAND_HANDLES: union.handles.join(','), BRAND_TERMS: union.terms.join(',') };
if (!probe) {
  const triage = createTriager(staticContext(union));
  const posts = groups.flatMap((g) => g.posts);
  for (const p of posts.slice(0, 500)) triage(p);
  const { wall, cpu } = passes(() => {
    for (const p of posts) triage(p);
  });
  console.log(`triage, in process, all posts with classify's one brand: ${fmt(total / wall)} posts/s; by CPU time ${fmt(total / cpu)} posts/s`);
}
const input = join(dir, 'posts.jsonl');
const one = join(dir, 'one.jsonl');
const empty = join(dir, 'empty.jsonl');
const lines = groups.flatMap((g) => g.posts.map((p) => JSON.stringify(p)));
writeFileSync(input, `${lines.join('\n')}\n`);
writeFileSync(one, `${lines[0]}\n`);
writeFileSync(empty, '');
const floor = join(dir, 'floor.mjs');
// The floor of the contract: a line in, parsed, a verdict-shaped line out, in 64 KB writes.
writeFileSync(
  floor,
  `import { createInterface } from 'node:readline';
let out = '';
for await (const line of createInterface({ input: process.stdin, crlfDelay: Infinity })) {
  const p = JSON.parse(line);
  out += JSON.stringify({ id: p.id, kind: 'noise', score: 0.05, signals: [], lang: 'en' }) + '\\n';
  if (out.length > 65536) { process.stdout.write(out); out = ''; }
}
process.stdout.write(out);
`,
);
// Each child reports its own peak memory, CPU time (all its threads') and the worker threads it started on exit (on
// stderr, after a marker).
const REPORT_RSS = `data:text/javascript,let w=0;process.on('worker',()=>w++);process.on('exit',()=>{const u=process.resourceUsage();process.stderr.write('\\nMAXRSS '+u.maxRSS+' CPU '+(u.userCPUTime+u.systemCPUTime)+' WORKERS '+w+'\\n')})`;
/**
 * What users run: `npm run cli -- classify` is node with package.json's flags on scripts/cli.mjs, which runs the
 * compiled build when it is as new as the sources, else the sources through tsx (npm's own start-up left out). And
 * `node dist/src/cli.js classify` (kairos once built) as it comes, without flags, when there is a fresh build.
 */
const cliScript = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { scripts: { cli: string } }).scripts.cli;
const cliFlags = cliScript.split(/\s+/).filter((a) => a.startsWith('--'));
const built = freshBuild(ROOT) ? ['dist/src/cli.js', 'classify'] : null;
const commands: [string, string[]][] = [
  [`npm run cli (node ${cliFlags.join(' ')} scripts/cli.mjs: ${built ? 'the compiled build' : 'tsx, no fresh build'})`, [...cliFlags, 'scripts/cli.mjs', 'classify']],
  ...(built ? [['node dist/src/cli.js, no flags', built] as [string, string[]]] : []),
];

function run(args: string[], file: string): { seconds: number; cpu: number; lines: number; rssMb: number; workers: number } {
  const t0 = performance.now();
  const r = spawnSync(process.execPath, ['--import', REPORT_RSS, ...args], {
    cwd: ROOT,
    input: readFileSync(file),
    encoding: 'utf8',
    maxBuffer: 1 << 30,
    env: { ...process.env, ...brandEnv, LOG_LEVEL: 'silent' },
  });
  const seconds = (performance.now() - t0) / 1000;
  if (r.status !== 0) throw new Error(`${args.join(' ')} failed: ${r.stderr}`);
  const [, kb, cpu, workers] = /MAXRSS (\d+) CPU (\d+) WORKERS (\d+)/.exec(r.stderr) ?? [];
  return { seconds, cpu: Number(cpu) / 1e6, lines: r.stdout.split('\n').filter(Boolean).length, rssMb: Number(kb) / 1024, workers: Number(workers) };
}
/** The threads that did the work: the main one and the worker threads it started (classify's pool). */
const threads = (workers: number) => (workers ? `${workers + 1} threads (${workers} worker${workers > 1 ? 's' : ''} beside the main one)` : 'one thread');
const best = (n: number, f: () => ReturnType<typeof run>) => Array.from({ length: n }, f).sort((a, b) => a.seconds - b.seconds)[0]!;

function throughput(label: string, args: string[]): { rate: number; cpuRate: number } {
  const start = best(quick ? 1 : 3, () => run(args, empty));
  const full = best(quick ? 1 : 2, () => run(args, input));
  const rate = total / (full.seconds - start.seconds);
  const cpuRate = total / (full.cpu - start.cpu);
  console.log(
    `${label}: ${fmt(full.lines)} lines in ${full.seconds.toFixed(2)} s wall (${full.cpu.toFixed(2)} s CPU) on ${threads(full.workers)}, start-up ${start.seconds.toFixed(2)} s ` +
      `(${start.cpu.toFixed(2)} s CPU): ${fmt(rate)} posts/s beyond start-up, by CPU time ${fmt(cpuRate)} posts/s; peak ${full.rssMb.toFixed(0)} MB`,
  );
  return { rate, cpuRate };
}
if (!probe) {
  console.log('');
  const floorRate = throughput('floor (read, JSON.parse, write a verdict line), plain node', [floor]);
  const ratio = (label: string, r: { rate: number; cpuRate: number }) =>
    console.log(`${label} is ${(floorRate.rate / r.rate).toFixed(1)}× the floor (${(floorRate.cpuRate / r.cpuRate).toFixed(1)}× by CPU time). Targets: 30,000 posts/s, within 10×`);
  for (const [label, args] of commands) ratio(`classify, ${label},`, throughput(`classify, ${label}`, args));
}

// ── 3. start-up ───────────────────────────────────────────────────────────────────────────────────────────────
if (!probe) {
  console.log('');
  for (const [label, args] of commands) {
    const r = best(quick ? 2 : 5, () => run(args, one));
    console.log(`start-up, one line in and one verdict out (${label}): ${r.seconds.toFixed(2)} s wall, ${r.cpu.toFixed(2)} s CPU, peak ${r.rssMb.toFixed(0)} MB. Target 0.8 s`);
  }
  if (!built) console.log('(no dist/ as new as the sources: run npm run build to measure the compiled build, which npm run cli then runs)');
}

// ── 4. latency through an open pipe ───────────────────────────────────────────────────────────────────────────
/** Each line's latency in the order sent (line written → its verdict read), in ms. */
async function pipeLatency(args: string[], count: number, everyMs: number): Promise<number[]> {
  const child = spawn(process.execPath, args, { cwd: ROOT, env: { ...process.env, ...brandEnv, LOG_LEVEL: 'silent' }, stdio: ['pipe', 'pipe', 'inherit'] });
  const sentAt = new Map<string, number>();
  const latencies: number[] = [];
  let seen = 0;
  let rest = '';
  let done: () => void = () => {};
  const finished = new Promise<void>((resolve) => (done = resolve));
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    const now = performance.now();
    rest += chunk;
    let end: number;
    while ((end = rest.indexOf('\n')) >= 0) {
      const id = (JSON.parse(rest.slice(0, end)) as { id: string }).id;
      rest = rest.slice(end + 1);
      const at = sentAt.get(id);
      if (at !== undefined) {
        latencies[Number(id.slice(5))] = now - at;
        if (++seen === count) done();
      }
    }
  });
  // Start-up first: a post, and one whose language needs the n-gram detector (classify loads it on first need,
  // once); their verdicts are waited for before measuring the steady state.
  const posts = groups.flatMap((g) => g.posts);
  const spanish = 'Vuelo a Boston con retraso de dos horas, no hay nadie en el mostrador para ayudar';
  const warm = [{ ...posts[0], id: 'warm-up' }, { ...posts[0], id: 'warm-up-2', text: spanish }].map((p) => `${JSON.stringify(p)}\n`).join('');
  await new Promise<void>((resolve) => {
    let seen = '';
    const onData = (chunk: string) => {
      seen += chunk;
      if (seen.split('\n').length > 2) {
        child.stdout.off('data', onData);
        resolve();
      }
    };
    child.stdout.on('data', onData);
    child.stdin.write(warm);
  });
  for (let i = 0; i < count; i++) {
    const post = { ...posts[(i * 7919) % posts.length]!, id: `pipe-${i}` };
    sentAt.set(post.id, performance.now());
    child.stdin.write(`${JSON.stringify(post)}\n`);
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
  await finished;
  child.stdin.end();
  await new Promise((resolve) => child.on('close', resolve));
  return latencies;
}
const pct = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
if (probe) {
  console.log('');
  // The first second is shown on its own: there classify still compiles the lexicon while it waits for lines.
  const first = 200;
  const show = (l: number[]) => {
    const sorted = [...l].sort((a, b) => a - b);
    return `p50 ${pct(sorted, 50).toFixed(1)} ms, p99 ${pct(sorted, 99).toFixed(1)} ms, max ${pct(sorted, 100).toFixed(1)} ms`;
  };
  for (const [label, args] of commands) {
    const l = await pipeLatency(args, first + (quick ? 200 : 1000), 5);
    console.log(
      `open pipe, a line every 5 ms, line written → its verdict read (${label}, lines of ${what}; load average ${loadavg()[0]!.toFixed(1)}): ` +
        `the first ${first} lines ${show(l.slice(0, first))}; the ${l.length - first} after them ${show(l.slice(first))}. Target p99 20 ms`,
    );
  }
} else {
  // The probe runs in a fresh process: this one's heap holds every post, and its collections would be timed too.
  const r = spawnSync(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url), '--pipe-probe', ...(quick ? ['--quick'] : [])], {
    stdio: 'inherit',
  });
  if (r.status !== 0) throw new Error('the pipe latency probe failed');
}
