/**
 * Did a change to triage's mechanism change any verdict? Triages every labelled set (the demo, test/fixtures/*)
 * and, when ../shared/corpora is there, all the real airline posts (each airline as its brand), the Dutch MPs'
 * tweets and the complaints corpus, with this checkout and with another commit, and prints how many verdicts
 * differ: in kind, and in score, signals or language.
 *   npx tsx scripts/verdict-diff.ts [--base main]        compare this checkout with a commit (default: main)
 *   npx tsx scripts/verdict-diff.ts --save FILE          write this checkout's verdicts (what --base runs)
 * The other commit's src/ is exported to a temporary folder and run there, so both sides run the same sets.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { staticContext } from '../src/detect/context';
import { createTriager } from '../src/detect/triage';
import { parsePostLine, type Post } from '../src/domain/post';
import { CORPORA_DIR, complaints, dutchPoliticalTweets } from './lib/corpora';
import { airlineFiles } from './lib/real-airline';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const ORANJE = { name: 'Oranje Air', handles: ['OranjeAir'], terms: ['Oranje Air', 'OranjeAir'] };
type Brand = typeof ORANJE;

const { values } = parseArgs({ options: { base: { type: 'string', default: 'main' }, save: { type: 'string' } } });

function readPosts(path: string): Post[] {
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter(Boolean)
    .flatMap((line) => {
      const p = parsePostLine(line);
      return p.ok ? [p.post] : [];
    });
}

/** Every set: its name, its brand and its posts. */
function sets(): { name: string; brand: Brand; posts: Post[] }[] {
  const out = [{ name: 'demo', brand: ORANJE, posts: readPosts(`${ROOT}src/sources/demo-stream.jsonl`) }];
  for (const set of readdirSync(`${ROOT}test/fixtures`).sort()) {
    const posts = `${ROOT}test/fixtures/${set}/posts.jsonl`;
    if (!existsSync(posts)) continue;
    const brandFile = `${ROOT}test/fixtures/${set}/brand.json`;
    const brand = existsSync(brandFile) ? (JSON.parse(readFileSync(brandFile, 'utf8')) as Brand) : ORANJE;
    out.push({ name: set, brand, posts: readPosts(posts) });
  }
  if (existsSync(CORPORA_DIR)) {
    for (const f of airlineFiles('all')) out.push({ name: `real:${f.key}`, brand: f.brand, posts: f.posts });
    out.push({ name: 'real:dutch-mps', brand: { name: 'KLM', handles: ['KLM'], terms: ['KLM'] }, posts: dutchPoliticalTweets() });
    out.push({ name: 'real:complaints', brand: ORANJE, posts: complaints() });
  } else {
    process.stderr.write(`(no corpora at ${CORPORA_DIR}: labelled sets only)\n`);
  }
  return out;
}

/** This checkout's verdicts: set:id → kind, and the rest of the verdict. */
function verdicts(): Record<string, [string, string]> {
  const out: Record<string, [string, string]> = {};
  for (const s of sets()) {
    const triage = createTriager(staticContext(s.brand));
    s.posts.forEach((post, i) => {
      const t = triage(post);
      out[`${s.name}:${i}:${post.id}`] = [t.kind, JSON.stringify([t.score, t.signals, t.lang, t.uncertain ?? null])];
      // The languages the writers declared are labels too: how often is the language found without them?
      if (post.lang && post.lang !== 'und') out[`lang:${s.name}:${i}:${post.id}`] = [post.lang, triage({ ...post, lang: undefined }).lang];
    });
  }
  return out;
}

if (values.save) {
  writeFileSync(values.save, JSON.stringify(verdicts()));
} else {
  const base = values.base as string;
  const commit = execFileSync('git', ['rev-parse', '--short', base], { cwd: ROOT, encoding: 'utf8' }).trim();
  const dir = mkdtempSync(join(tmpdir(), 'kairos-verdicts-'));
  try {
    // The other side: its own src/ and scripts/, this checkout's sets and node_modules.
    execFileSync('sh', ['-c', `git archive ${commit} src scripts package.json | tar -x -C ${dir}`], { cwd: ROOT });
    symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'));
    execFileSync('sh', ['-c', `mkdir -p ${dir}/test && cp -r ${ROOT}test/fixtures ${dir}/test/`]);
    execFileSync('cp', [fileURLToPath(import.meta.url), join(dir, 'scripts/verdict-diff.ts')]);
    const file = join(dir, 'base.json');
    const r = spawnSync(process.execPath, ['--import', 'tsx', 'scripts/verdict-diff.ts', '--save', file], {
      cwd: dir,
      stdio: ['ignore', 'inherit', 'inherit'],
      env: { ...process.env, KAIROS_CORPORA: CORPORA_DIR },
    });
    if (r.status !== 0) throw new Error(`triage at ${commit} failed`);
    const before = JSON.parse(readFileSync(file, 'utf8')) as Record<string, [string, string]>;
    const after = verdicts();
    let kinds = 0;
    let details = 0;
    const bySet = new Map<string, number>();
    const examples: string[] = [];
    const langs = { n: 0, before: 0, after: 0, changed: 0 };
    for (const [key, [kind, rest]] of Object.entries(after)) {
      const was = before[key];
      if (!was) continue;
      if (key.startsWith('lang:')) {
        langs.n++;
        langs.before += Number(was[1] === was[0]);
        langs.after += Number(rest === kind);
        // The same post without its declared language: what detection finds must not change either.
        if (was[1] !== rest) {
          langs.changed++;
          if (examples.length < 20) examples.push(`  ${key} (language detected): ${was[1]} → ${rest}`);
        }
        continue;
      }
      if (was[0] !== kind) {
        kinds++;
        const set = key.slice(0, key.lastIndexOf(':', key.lastIndexOf(':') - 1));
        bySet.set(set, (bySet.get(set) ?? 0) + 1);
        if (examples.length < 20) examples.push(`  ${key}: ${was[0]} → ${kind}`);
      } else if (was[1] !== rest) {
        details++;
        if (examples.length < 20) examples.push(`  ${key}: ${was[1]} → ${rest}`);
      }
    }
    const common = Object.keys(after).filter((k) => k in before && !k.startsWith('lang:')).length;
    console.log(`${common.toLocaleString('en-US')} posts triaged at ${commit} and in this checkout`);
    console.log(`different kind: ${kinds}${bySet.size ? ` (${[...bySet].map(([s, n]) => `${s} ${n}`).join(', ')})` : ''}`);
    console.log(`same kind, different score, signals, language or uncertain band: ${details}`);
    if (examples.length) console.log(examples.join('\n'));
    console.log(
      `language found without the declared one, on the ${langs.n.toLocaleString('en-US')} labelled posts that declare it: ` +
        `${langs.before} right at ${commit}, ${langs.after} in this checkout; detected differently: ${langs.changed}`,
    );
    process.exitCode = kinds + details + langs.changed ? 1 : 0;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
