// npm run build: compiles src/ and commands/ to JavaScript in dist/ (tsc), so production runs plain `node`
// without transpiling at start. tsc keeps import paths as written ('./app'), which Node's ES modules do not
// resolve; this adds the extension (or /index.js) to each relative import, then copies the files the code reads
// at run time next to it, in the same layout (prompts/, the triage model, the demo stream, the eval set).
import { execFileSync } from 'node:child_process';
import { chmodSync, cpSync, existsSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const dist = join(root, 'dist');
rmSync(dist, { recursive: true, force: true });
execFileSync(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-p', join(root, 'tsconfig.build.json')], { stdio: 'inherit' });

const files = (dir) => readdirSync(dir).flatMap((name) => (statSync(join(dir, name)).isDirectory() ? files(join(dir, name)) : [join(dir, name)]));

let rewritten = 0;
for (const file of files(dist).filter((f) => f.endsWith('.js'))) {
  const source = readFileSync(file, 'utf8');
  const out = source.replace(/(\bfrom\s*|\bimport\s*\(\s*|\bimport\s+)(['"])(\.{1,2}\/[^'"]+)\2/g, (all, head, quote, spec) => {
    if (/\.(js|mjs|cjs|json)$/.test(spec)) return all;
    const target = resolve(dirname(file), spec);
    const fixed = existsSync(`${target}.js`) ? `${spec}.js` : existsSync(join(target, 'index.js')) ? `${spec}/index.js` : null;
    if (!fixed) throw new Error(`${file}: cannot resolve the import ${spec}`);
    return `${head}${quote}${fixed}${quote}`;
  });
  if (out !== source) {
    writeFileSync(file, out);
    rewritten++;
  }
}

// The lexicon prefilter's load-time work (the strings read off each pattern, the scanner's table), done once here
// on the compiled lexicon and written beside the compiled prefilter, which reads it at start (see prefilter.ts).
const detect = join(dist, 'src/detect');
execFileSync(
  process.execPath,
  [
    '--input-type=module',
    '-e',
    `import { writeFileSync } from 'node:fs';
    await import(${JSON.stringify(pathToFileURL(`${detect}/triage.js`).href)});
    const { prefilterTables } = await import(${JSON.stringify(pathToFileURL(`${detect}/prefilter.js`).href)});
    const { json, bin } = prefilterTables();
    writeFileSync(${JSON.stringify(`${detect}/prefilter-tables.json`)}, json);
    writeFileSync(${JSON.stringify(`${detect}/prefilter-tables.bin`)}, bin);`,
  ],
  { stdio: 'inherit' },
);

// eld's n-gram database packed into a table that loads in a few ms (see src/detect/eld-table.ts), keyed by the
// installed eld's files: the compiled language module reads it instead of importing eld's 1.6 MB module.
execFileSync(
  process.execPath,
  [
    '--input-type=module',
    '-e',
    `import { writeFileSync } from 'node:fs';
    import { pathToFileURL } from 'node:url';
    const { eldFiles, eldKey, packNgrams, ELD_TABLE } = await import(${JSON.stringify(pathToFileURL(`${detect}/eld-table.js`).href)});
    const files = eldFiles();
    if (!files) throw new Error('build: eld is not installed (npm ci)');
    const { ngramsData } = await import(pathToFileURL(files.data).href);
    writeFileSync(ELD_TABLE, packNgrams(ngramsData, eldKey(files)));`,
  ],
  { stdio: 'inherit' },
);

// What the code reads from disk, relative to itself.
const assets = [
  'prompts',
  'src/detect/triage-model.json',
  'src/sources/demo-stream.jsonl',
  'src/sources/demo-stream.labels.jsonl',
  'test/fixtures/eval',
  // eval --real reads the team's own labels of real posts (ids and kinds only) beside the corpus.
  'test/fixtures/real-dev',
];
for (const a of assets) cpSync(join(root, a), join(dist, a), { recursive: true });
// The shipped model packed with its weights table (see src/detect/weights-table.ts), made once here instead of
// parsed and tabled at the start and first prediction of every process and worker.
{
  const { MODEL_FILE, loadTriageModel, packedModel } = await import(pathToFileURL(join(detect, 'model.js')).href);
  const { packWeightsTable, weightsTableUrl } = await import(pathToFileURL(join(detect, 'weights-table.js')).href);
  const packed = packedModel(loadTriageModel(MODEL_FILE));
  if (packed) writeFileSync(weightsTableUrl(MODEL_FILE), packWeightsTable(packed, readFileSync(MODEL_FILE)));
}
// What each shipped YAML file (prompts/**/*.yaml) parses to, by a hash of its text, beside the compiled reader
// (src/domain/yaml-file.ts): a start that reads one of them then needs neither the yaml library nor its parse.
const yamlTexts = files(join(dist, 'prompts'))
  .filter((f) => f.endsWith('.yaml'))
  .sort()
  .map((f) => readFileSync(f, 'utf8'));
const { yamlCache } = await import(pathToFileURL(join(dist, 'src/domain/yaml-file.js')).href);
writeFileSync(join(dist, 'src/domain/yaml-cache.json'), yamlCache(yamlTexts));
// The `kairos` command (package.json's bin) is the compiled command line, run by its own first line.
chmodSync(join(dist, 'src/cli.js'), 0o755);
// The version (kairos --version) and "type": "module" for the compiled files.
cpSync(join(root, 'package.json'), join(dist, 'package.json'));
console.log(`built dist/: ${rewritten} modules with their imports completed, ${assets.length} asset paths copied; run node dist/src/main.js`);
