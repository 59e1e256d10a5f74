import 'dotenv/config';
import { createReadStream, existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { loadCatalogue } from './analyse/catalogue';
import { OfflineAnalyst } from './analyse/offline';
import { ConfigError, loadConfig } from './config';
import { staticContext } from './detect/context';
import { evaluate, formatEvaluation } from './detect/evaluate';
import { createTriager } from './detect/triage';
import { KindSchema, isCardKind } from './domain/verdict';
import { main } from './main';
import { runAsProgram } from './service/program';
import { readJsonl } from './sources/jsonl';

const HELP = `Kairos command line

  npm run -s cli -- classify [--input FILE]     one Verdict JSON line per input Post line (stdin by default)
  npm run -s cli -- replay --input FILE         the full pipeline on a file; cards to the configured sink
  npm run -s cli -- eval [--input F --labels F] precision, recall, F1 per kind and the confusion matrix
  npm run -s cli -- eval --real [--rates]       the same on real airline posts (../shared/corpora), each airline as its own brand

classify and eval need no network and no credentials.`;

const DEFAULT_EVAL = fileURLToPath(new URL('../test/fixtures/eval/', import.meta.url));

async function classify(input?: string): Promise<number> {
  // Offline and credential-free by contract: the brand comes from the environment if set, else the defaults.
  const config = loadConfig({ ...pick(process.env, ['BRAND_NAME', 'BRAND_HANDLES', 'BRAND_TERMS']) });
  const triage = createTriager(staticContext(config.brand));
  const analyst = new OfflineAnalyst({ catalogue: loadCatalogue(), brand: config.brand, usage: () => () => 0, triage });
  const out = process.stdout;
  let buffer = '';
  const flush = () => {
    if (buffer) out.write(buffer);
    buffer = '';
  };
  // Blank lines still get an error line, so output lines match input lines one to one.
  for await (const item of readJsonl(input ? createReadStream(input, 'utf8') : process.stdin, { blankLines: true })) {
    if (!item.ok) {
      buffer += `${JSON.stringify({ id: null, line: item.line, error: item.error })}\n`;
    } else {
      const t = triage(item.post);
      const verdict: Record<string, unknown> = { id: item.post.id, kind: t.kind, score: t.score, signals: t.signals, lang: t.lang };
      if (isCardKind(t.kind)) {
        const a = analyst.write(item.post, t.kind, t.signals, t.lang);
        verdict.gesture = a.gesture;
        verdict.drafts = { summary: a.summary, reply: a.reply, publicPost: a.publicPost };
      }
      buffer += `${JSON.stringify(verdict)}\n`;
    }
    if (buffer.length > 64_000) flush();
  }
  flush();
  return 0;
}

const LabelSchema = z.object({ id: z.union([z.string(), z.number()]).transform(String), kind: KindSchema });

async function runEval(postsPath: string, labelsPath: string): Promise<number> {
  for (const p of [postsPath, labelsPath]) {
    if (!existsSync(p)) {
      process.stderr.write(`eval: ${p} does not exist\n`);
      return 2;
    }
  }
  const labels = new Map<string, z.infer<typeof KindSchema>>();
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
  const pairs: { expected: z.infer<typeof KindSchema>; predicted: z.infer<typeof KindSchema> }[] = [];
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
  const { values } = parseArgs({
    args: rest,
    options: {
      input: { type: 'string', short: 'i' },
      labels: { type: 'string', short: 'l' },
      real: { type: 'boolean' },
      rates: { type: 'boolean' },
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
      return main({ ...process.env, KAIROS_REPLAY_FILE: values.input });
    case 'eval':
      if (values.real) {
        // A developer's measure, read from the corpora beside the repository (never copied into it).
        const { realEval } = await import('../scripts/real-eval');
        return realEval(values.rates ? ['--rates'] : []);
      }
      return runEval(values.input ?? `${DEFAULT_EVAL}posts.jsonl`, values.labels ?? `${DEFAULT_EVAL}labels.jsonl`);
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

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const argv = process.argv.slice(2);
  // A replay runs as long as the bot does: the same process boundary and clean stop as `npm start`.
  if (argv[0] === 'replay') runAsProgram(() => cli(argv));
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
