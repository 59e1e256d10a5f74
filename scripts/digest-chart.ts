/**
 * Plays the demo stream (src/sources/demo-stream.jsonl) through the real pipeline into a throw-away store, with
 * the trends detector listening, and writes the digest chart of its busiest day to docs/digest-chart.png.
 * Run: npx tsx scripts/digest-chart.ts [out.png]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildKairos, runSource } from '../src/app';
import { loadConfig } from '../src/config';
import { createTrends } from '../src/detect/trends-service';
import { printDigest } from '../src/digest/print';
import { createLogger } from '../src/log';
import { DEMO_STREAM } from '../src/main';
import { JsonlSource } from '../src/sources/jsonl';

const out = process.argv[2] ?? 'docs/digest-chart.png';
const dir = mkdtempSync(join(tmpdir(), 'kairos-digest-'));
const config = loadConfig({ KAIROS_DB: join(dir, 'kairos.db'), LOG_LEVEL: 'silent' });
const log = createLogger('silent');
let trends: ReturnType<typeof createTrends> | undefined;
const k = buildKairos(config, {
  log,
  sinks: [],
  context: { risingTerms: () => trends?.risingTerms() ?? [] },
  onVerdict: (post, triage) => trends?.observe(post, triage),
});
trends = createTrends({ store: k.store, config, log });
await runSource(k, new JsonlSource('demo', DEMO_STREAM));
// The busiest local day of the stream makes the most telling chart.
const day = (
  k.store.db
    .prepare(`SELECT substr(created_at, 1, 10) AS d, COUNT(*) AS n FROM posts GROUP BY d ORDER BY n DESC LIMIT 1`)
    .get() as { d: string }
).d;
const { text, chartPath } = printDigest(k.store, {
  timeZone: config.timeZone,
  at: new Date(`${day}T23:00:00Z`),
  chartPath: out,
  brandName: config.brand.name,
});
console.log(text);
console.log(`\nwrote ${chartPath}`);
await k.close();
rmSync(dir, { recursive: true, force: true });
