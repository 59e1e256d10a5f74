import 'dotenv/config';
import { fileURLToPath } from 'node:url';
import { buildKairos, emptySummary, formatSummary, runSource } from './app';
import { ConfigError, loadConfig, type Config } from './config';
import { createLogger } from './log';
import type { CardSink } from './outbox/courier';
import { ConsoleSink } from './sinks/console';
import { JsonlSource } from './sources/jsonl';
import type { Source } from './sources/source';

export const DEMO_STREAM = fileURLToPath(new URL('./sources/demo-stream.jsonl', import.meta.url));

/**
 * The composition root: reads the configuration once, builds every part, picks the source and the sinks, and
 * runs. With no credentials it plays the embedded demo stream to the console and exits.
 */
export async function main(env: NodeJS.ProcessEnv = process.env, out: NodeJS.WritableStream = process.stdout): Promise<number> {
  let config: Config;
  try {
    config = loadConfig(env);
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${err.message}\n`);
      return 2;
    }
    throw err;
  }
  const log = createLogger(config.logLevel);
  const summary = emptySummary();
  const sinks: CardSink[] = [new ConsoleSink(out)];
  const k = buildKairos(config, { log, sinks });

  const replay = config.replayFile ?? DEMO_STREAM;
  const source: Source = new JsonlSource(config.replayFile ? 'replay' : 'demo', replay, (line, error) => {
    summary.invalid++;
    log.warn({ line, error }, 'skipped a line that is not a valid post');
  });
  const label = config.replayFile ? `replay of ${config.replayFile}` : 'the demo stream';
  out.write(`Kairos: reading ${label} for ${config.brand.name}; cards go to the terminal.\n\n`);

  const stop = () => {
    void source.stop();
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);

  await runSource(k, source, summary);
  await Promise.all(k.couriers.map((c) => c.idle()));
  out.write(`\n${formatSummary(summary)}\n`);
  if (summary.read > 0 && summary.duplicates === summary.read) {
    out.write(
      `Every post was already processed by an earlier run (stored in ${config.dbPath}); no card was repeated.\n` +
        'Point KAIROS_DB at a new file to see the cards again.\n',
    );
  }
  k.close();
  return 0;
}

// Run only when started as a program, not when imported by a test.
if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  main().then(
    (code) => {
      process.exitCode = code;
    },
    (err) => {
      createLogger().fatal({ err }, 'Kairos stopped');
      process.exitCode = 1;
    },
  );
}
