#!/usr/bin/env -S node --max-old-space-size=192 --max-semi-space-size=8 --no-regexp-tier-up
import 'dotenv/config';
// Free cores are measured from the start of the process: classify starts worker threads only when they get a core.
import './free-cores';
import { createReadStream, existsSync, fstatSync, readFileSync, realpathSync, statSync } from 'node:fs';
import module from 'node:module';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { ConfigError, loadConfig } from './config';
import type { Kind } from './domain/verdict';

// Each command imports what it needs when it runs: classify never loads the bot (discord.js, the store, X).

const HELP = `Kairos command line

  kairos classify [--input FILE]     one Verdict JSON line per input Post line (stdin by default)
  kairos replay --input FILE         the full pipeline on a file (- for stdin); cards to the configured sink
  kairos eval [--input F --labels F] precision, recall, F1 per kind and the confusion matrix
  kairos eval --real [--rates]       the same on real airline posts (../shared/corpora), each airline as its own brand
  kairos label                       label stored posts, least sure first, for the brand's own triage
  kairos learn                       train the brand's triage on the team's labels; kept only if better
  kairos --version                   the version

kairos is \`npm run -s cli --\` in a checkout, \`node dist/src/cli.js\` once built. \`kairos COMMAND --help\` says more.
classify and eval need no network and no credentials.`;

/** Each command's own --help. */
const COMMAND_HELP: Record<string, string> = {
  classify: `kairos classify [--input FILE]

Reads Post JSON lines (stdin, or FILE) and writes one Verdict JSON line per input line, in order: kind, score,
signals, language, and for opportunities and risks the gesture and the drafts. A line that is not a valid post
gets {"id":null,"line":N,"error":"..."}. Offline: no network, no credentials, no database. Exit 0.`,
  replay: `kairos replay --input FILE

Runs the whole pipeline on a file of Post JSON lines (- reads stdin): triage, cards, the outbox, rising moments,
to the sink the environment configures (the terminal, or Discord). Posts already in the database (KAIROS_DB)
are skipped, so an interrupted replay goes on where it stopped when run again. Ctrl-C or SIGTERM stops it
cleanly (exit 130 or 143), a second Ctrl-C at once. Exit 0 when the whole file was read, 2 on a wrong setting.`,
  eval: `kairos eval [--input POSTS --labels LABELS] | kairos eval --real [--rates]

Precision, recall and F1 per kind and the confusion matrix of triage against labelled posts (default: the
project's own labelled set). --real reads the real airline corpora beside the repository (../shared/corpora,
needs python3), --rates adds card rates per 1,000 posts. Offline. Exit 0, 2 on a missing file.`,

  label: `kairos label

Shows stored posts (KAIROS_DB or DATABASE_URL) that have no label yet, the ones triage is least sure of first,
and asks what each is: o (opportunity), r (risk), s (service), n (noise), k (skip), u (undo), q (quit). Answers
are read line by line, so it also works from a pipe. The labels are the team's, like Approve and Dismiss on a
card; \`kairos learn\` trains on them. Exit 0, 2 on a wrong setting.`,
  learn: `kairos learn [--epochs N] [--weight N]

Trains the brand's own triage model from the shipped training sets and the team's labels (card decisions,
/label, /missed, \`kairos label\`), the brand's own weighted more (--weight, default 5), and measures it against
the shipped model (and the brand model it had) on a fifth of the labels held back. It is kept beside the
database only when it is better; a running Kairos switches to it within five minutes. It is never written into
the repository. KAIROS_LEARN_AT runs the same learn inside Kairos each night. Exit 0, 2 on a wrong setting.`,
};

function version(): string {
  // package.json sits at the root of a checkout and of a build (dist/), one level above src/.
  const path = fileURLToPath(new URL('../package.json', import.meta.url));
  return (JSON.parse(readFileSync(path, 'utf8')) as { version: string }).version;
}

const DEFAULT_EVAL = fileURLToPath(new URL('../test/fixtures/eval/', import.meta.url));

async function classify(input?: string): Promise<number> {
  // Offline and credential-free by contract: the brand comes from the environment if set, else the defaults.
  const config = loadConfig({
    ...pick(process.env, ['BRAND_NAME', 'BRAND_HANDLES', 'BRAND_TERMS', 'BRAND_LANGUAGES', 'BRAND_BILINGUAL_POST', 'KAIROS_BRAND_DIR', 'KAIROS_EVENTS_FILE']),
  });
  // Started once per batch of posts, often with a handful: the language detector loads only if a post needs it.
  (await import('./detect/lang-mode')).languageDetection.deferred = true;
  const { classify: run } = await import('./classify');
  // A pipe or a terminal may be a live stream: classify readies itself for it while it waits (a file never waits).
  const source = input ? statSync(input) : fstatSync(0);
  const live = !input && !source.isFile();
  // A file's size tells classify at once whether its worker threads will pay.
  const size = source.isFile() ? source.size : undefined;
  await run(input ? createReadStream(input, 'utf8') : process.stdin, process.stdout, config.brand, config.eventsFile, { live, size });
  return 0;
}

async function runEval(postsPath: string, labelsPath: string): Promise<number> {
  const [{ z }, { KindSchema }, { staticContext }, { evaluate, formatEvaluation }, { createTriager }, { readJsonl }] = await Promise.all([
    import('zod'),
    import('./domain/verdict'),
    import('./detect/context'),
    import('./detect/evaluate'),
    import('./detect/triage'),
    import('./sources/jsonl'),
  ]);
  const LabelSchema = z.object({ id: z.union([z.string(), z.number()]).transform(String), kind: KindSchema });
  for (const p of [postsPath, labelsPath]) {
    if (!existsSync(p)) {
      process.stderr.write(`eval: ${p} does not exist\n`);
      return 2;
    }
  }
  const labels = new Map<string, Kind>();
  readFileSync(labelsPath, 'utf8')
    .split('\n')
    .forEach((line, i) => {
      if (!line.trim()) return;
      const parsed = LabelSchema.safeParse(JSON.parse(line));
      if (!parsed.success) throw new Error(`${labelsPath}:${i + 1}: expected {"id": "...", "kind": "opportunity|risk|service|noise"}`);
      labels.set(parsed.data.id, parsed.data.kind);
    });
  const config = loadConfig({ ...pick(process.env, ['BRAND_NAME', 'BRAND_HANDLES', 'BRAND_TERMS']) });
  const triage = createTriager(staticContext(config.brand));
  const pairs: { expected: Kind; predicted: Kind }[] = [];
  let unlabelled = 0;
  let invalid = 0;
  for await (const item of readJsonl(createReadStream(postsPath, 'utf8'))) {
    if (!item.ok) {
      invalid++;
      continue;
    }
    const expected = labels.get(item.post.id);
    if (!expected) {
      unlabelled++;
      continue;
    }
    pairs.push({ expected, predicted: triage(item.post).kind });
  }
  process.stdout.write(`${formatEvaluation(evaluate(pairs))}\n`);
  if (unlabelled || invalid) process.stdout.write(`\nskipped: ${unlabelled} without a label, ${invalid} invalid lines\n`);
  return 0;
}

function pick(env: NodeJS.ProcessEnv, names: string[]): NodeJS.ProcessEnv {
  return Object.fromEntries(names.filter((n) => env[n] !== undefined).map((n) => [n, env[n]]));
}

export async function cli(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command === '--version' || command === '-v' || command === 'version') {
    process.stdout.write(`kairos ${version()}\n`);
    return 0;
  }
  if (command && COMMAND_HELP[command] && (rest.includes('--help') || rest.includes('-h'))) {
    process.stdout.write(`${COMMAND_HELP[command]}\n`);
    return 0;
  }
  const { values } = parseArgs({
    args: rest,
    options: {
      input: { type: 'string', short: 'i' },
      labels: { type: 'string', short: 'l' },
      real: { type: 'boolean' },
      rates: { type: 'boolean' },
      epochs: { type: 'string' },
      weight: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    allowPositionals: false,
  });
  switch (command) {
    case 'classify':
      if (values.input && !existsSync(values.input)) {
        process.stderr.write(`classify: ${values.input} does not exist\n`);
        return 2;
      }
      return classify(values.input);
    case 'replay':
      if (!values.input) {
        process.stderr.write('replay: --input FILE is required\n');
        return 2;
      }
      return (await import('./main')).main({ ...process.env, KAIROS_REPLAY_FILE: values.input });
    case 'eval':
      if (values.real) {
        // A developer's measure, read from the corpora beside the repository (never copied into it).
        const { realEval } = await import('../scripts/real-eval');
        return realEval(values.rates ? ['--rates'] : []);
      }
      return runEval(values.input ?? `${DEFAULT_EVAL}posts.jsonl`, values.labels ?? `${DEFAULT_EVAL}labels.jsonl`);
    case 'label':
    case 'learn': {
      const config = loadConfig(process.env);
      const [{ openStore }, learning] = await Promise.all([import('./store/open'), import('./learning')]);
      const store = await openStore(config);
      try {
        if (command === 'label') return await learning.runLabel(store, config, process.stdin, process.stdout);
        const number = (name: string, v: string | undefined) => {
          if (v === undefined) return undefined;
          const n = Number(v);
          if (!Number.isInteger(n) || n < 1) throw new Error(`learn: --${name} expects a whole number above 0 (got ${JSON.stringify(v)})`);
          return n;
        };
        return await learning.runLearn(store, config, process.stdout, { epochs: number('epochs', values.epochs), weight: number('weight', values.weight) });
      } finally {
        await store.close();
      }
    }
    case undefined:
    case 'help':
    case '--help':
    case '-h':
      process.stdout.write(`${HELP}\n`);
      return command ? 0 : 2;
    default:
      process.stderr.write(`Unknown command "${command}".\n\n${HELP}\n`);
      return 2;
  }
}

/** Whether this module is the program: run as a file, or through a link to it (npm links `kairos` to the build). */
function isProgram(): boolean {
  if (!process.argv[1]) return false;
  const self = fileURLToPath(import.meta.url);
  if (self === process.argv[1]) return true;
  try {
    return realpathSync(process.argv[1]) === self;
  } catch {
    return false;
  }
}

if (isProgram()) {
  // Built (not through tsx): Node 22.1+ keeps each module's compiled code on disk, so the command's modules
  // (imported from here on) are compiled once, not at every start; Node 20 has no such cache (nothing happens).
  if (import.meta.url.endsWith('.js')) (module as { enableCompileCache?: () => unknown }).enableCompileCache?.();
  const argv = process.argv.slice(2);
  // A replay runs as long as the bot does: the same process boundary and clean stop as `npm start`.
  if (argv[0] === 'replay') void import('./service/program').then(({ runAsProgram }) => runAsProgram(() => cli(argv)));
  else cli(argv).then(
    (code) => {
      process.exitCode = code;
    },
    (err) => {
      process.stderr.write(`${err instanceof ConfigError ? err.message : `kairos: ${(err as Error).message}`}\n`);
      process.exitCode = 2;
    },
  );
}
