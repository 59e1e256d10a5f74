/**
 * Figures for the model cascade on real posts (printed; run with `npx tsx scripts/bench-llm.ts`). A fake
 * OpenAI-compatible server on 127.0.0.1 answers every call and counts them; the real LLM analyst and SDK run
 * against it, screening what the pipeline would send (candidates at or above LLM_MIN_SCORE and the uncertain
 * band), each airline file triaged with its own brand:
 *  1. model calls per 1,000 over all 57,711 real airline posts, both halves (counted only; target at most 20);
 *  2. the share of the labelled development half's opportunities and risks that reach the model (target at
 *     least 0.95), and how many other labelled posts are sent;
 *  3. both at other bars for the uncertain band, so the trade-off is visible.
 */
import { loadCatalogue } from '../src/analyse/catalogue';
import { LlmAnalyst, type AnalysisAnswer } from '../src/analyse/llm';
import { OfflineAnalyst } from '../src/analyse/offline';
import { loadConfig } from '../src/config';
import { staticContext } from '../src/detect/context';
import { createTriager, shippedModel } from '../src/detect/triage';
import type { Post } from '../src/domain/post';
import { isCardKind, policyKeepsCard, type Triage } from '../src/domain/verdict';
import { FakeOpenAI } from '../test/fakes/openai';
import { airlineFiles, realLabels, type AirlineFile, type Brand } from './lib/real-airline';
import { detectionReading } from '../src/detect/reading';

const ANSWER: AnalysisAnswer = {
  kind: 'none',
  summary: '',
  why: 'An ordinary matter.',
  signals: [],
  gesture: null,
  reply: '',
  publicPost: null,
  verifyFirst: [],
  risks: [],
};

const fake = await new FakeOpenAI().start();
fake.otherwise({ type: 'json', value: ANSWER });
// The real defaults (LLM_MIN_SCORE and the rest), with the model pointed at the fake; the caps are lifted so
// the figure is the cascade's own rate, not the cap's.
const base = loadConfig({ OPENAI_BASE_URL: fake.baseURL, LLM_MIN_SCORE: process.env.LLM_MIN_SCORE });
const llmConfig = { ...base.llm!, maxCallsPerHour: 1e9, maxCallsPerDay: 1e9 };
const catalogue = loadCatalogue();

function analystFor(brand: Brand): LlmAnalyst {
  const offline = new OfflineAnalyst({ reading: detectionReading, catalogue, brand, usage: () => () => 0 });
  return new LlmAnalyst({ reading: detectionReading, config: llmConfig, brand: { ...brand, languages: ['en'] }, fallback: offline, catalogue, usage: () => () => 0 });
}

/** What the pipeline sends to a screening model for one triaged post (see Pipeline.ingest). */
async function screen(analyst: LlmAnalyst, post: Post, t: Triage): Promise<boolean> {
  const kind = isCardKind(t.kind) ? t.kind : t.uncertain;
  if (!kind) return false;
  const before = fake.calls;
  await analyst.screen({ post, triage: { ...t, kind } }, { mayDismiss: !policyKeepsCard(t) });
  return fake.calls > before;
}

/** Whether a triaged post would reach the model, without calling it (for the sweep). */
function reaches(t: Triage): boolean {
  return t.uncertain !== undefined || policyKeepsCard(t) || (isCardKind(t.kind) && t.score >= llmConfig.minScore);
}

const model = shippedModel()!;
const per1000 = (n: number, total: number) => ((1000 * n) / total).toFixed(1);

// ── 1. all real airline posts ────────────────────────────────────────────────────────────────────────────────
const all = airlineFiles('all');
const total = all.reduce((n, f) => n + f.posts.length, 0);
let sent = 0;
// With KAIROS_CARDS=clear a mild moment is kept uncarded before any model sees it (see Pipeline).
let sentMild = 0;
const started = performance.now();
for (const f of all) {
  const triage = createTriager(staticContext(f.brand));
  const analyst = analystFor(f.brand);
  for (const post of f.posts) {
    const t = triage(post);
    if (await screen(analyst, post, t)) {
      sent++;
      if (t.kind === 'opportunity' && t.strength === 'mild') sentMild++;
    }
  }
}
console.log(`1. All real airline posts, both halves (counted only): ${total} posts through triage and the cascade (LLM_MIN_SCORE=${llmConfig.minScore})`);
console.log(`   model calls: ${fake.calls} = ${per1000(fake.calls, total)} per 1,000 posts (target <= 20), ${sent} posts sent [${((performance.now() - started) / 1000).toFixed(1)} s]`);
console.log(`   with KAIROS_CARDS=clear (mild moments are never sent): ${per1000(sent - sentMild, total)} calls per 1,000 posts`);

// ── 2. the labelled development half ─────────────────────────────────────────────────────────────────────────
const labels = realLabels();
const dev = airlineFiles('dev');
const seen = new Set<string>();
const labelled = dev.flatMap((f) => f.posts.filter((p) => labels.has(p.id) && !seen.has(p.id) && seen.add(p.id)).map((post) => ({ f, post })));
const reached: Record<'card' | 'other', [number, number]> = { card: [0, 0], other: [0, 0] };
const perFile = new Map(dev.map((f) => [f.key, { triage: createTriager(staticContext(f.brand)), analyst: analystFor(f.brand) }]));
for (const { f, post } of labelled) {
  const { triage, analyst } = perFile.get(f.key)!;
  const bucket = isCardKind(labels.get(post.id)!.kind) ? 'card' : 'other';
  reached[bucket][1]++;
  if (await screen(analyst, post, triage(post))) reached[bucket][0]++;
}
const share = ([a, b]: number[]) => `${a}/${b} = ${(b ? a! / b : 0).toFixed(3)}`;
console.log(`\n2. Labelled development half: ${labelled.length} posts`);
console.log(`   labelled opportunities and risks that reach the model: ${share(reached.card)} (target >= 0.95)`);
console.log(`   other labelled posts sent too: ${share(reached.other)}`);

// ── 3. the trade-off at other bars for the uncertain band ────────────────────────────────────────────────────
console.log('\n3. Other bars for the uncertain band (p(opportunity) with story points but no named moment, as a named moment always goes / p(risk) with a grievance), one moved at a time:');
const triageAt = (f: AirlineFile, review: { opportunity: number; risk: number }) =>
  createTriager(staticContext(f.brand), { ...model, thresholds: { ...model.thresholds, review } });
const shipped = model.thresholds.review;
const bars = [
  ...[0.1, 0.2, 0.3, 0.4].map((o) => ({ opportunity: o, risk: shipped.risk })),
  ...[0.25, 0.4, 0.6].map((r) => ({ opportunity: shipped.opportunity, risk: r })),
];
for (const review of bars) {
  let calls = 0;
  for (const f of all) {
    const t = triageAt(f, review);
    for (const p of f.posts) if (reaches(t(p))) calls++;
  }
  const at = new Map(dev.map((f) => [f.key, triageAt(f, review)]));
  let hit = 0;
  let pos = 0;
  for (const { f, post } of labelled) {
    if (!isCardKind(labels.get(post.id)!.kind)) continue;
    pos++;
    if (reaches(at.get(f.key)!(post))) hit++;
  }
  console.log(`   ${review.opportunity.toFixed(2)} / ${review.risk.toFixed(2)}: ${per1000(calls, total)} calls per 1,000 posts, ${(hit / pos).toFixed(3)} of labelled moments and risks reach the model`);
}

await fake.close();
