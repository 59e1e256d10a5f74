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
import { printDigest } from '../src/digest/print';
import { createLogger } from '../src/log';
import { DEMO_STREAM } from '../src/main';
import { JsonlSource } from '../src/sources/jsonl';
import { openStore } from '../src/store/open';

const out = process.argv[2] ?? 'docs/digest-chart.png';
const dir = mkdtempSync(join(tmpdir(), 'kairos-digest-'));
const config = loadConfig({ KAIROS_DB: join(dir, 'kairos.db'), LOG_LEVEL: 'silent' });
const log = createLogger('silent');
const k = await buildKairos(config, await openStore(config), { log, sinks: [] });
await runSource(k, new JsonlSource('demo', DEMO_STREAM));
await k.trends.settled();
// The busiest local day of the stream makes the most telling chart.
const span = await k.store.postSpan();
if (!span) throw new Error('the demo stream stored no post');
const perDay = new Map<string, number>();
for (const v of await k.store.verdictTimes({ from: span.first, to: `${span.last}~` })) perDay.set(v.at.slice(0, 10), (perDay.get(v.at.slice(0, 10)) ?? 0) + 1);
const day = [...perDay].sort((a, b) => b[1] - a[1])[0]![0];
const { text, chartPath } = await printDigest(k.store, {
  timeZone: config.timeZone,
  at: new Date(`${day}T23:00:00Z`),
  chartPath: out,
  brandName: config.brand.name,
});
console.log(text);
console.log(`\nwrote ${chartPath}`);
await k.close();
rmSync(dir, { recursive: true, force: true });
