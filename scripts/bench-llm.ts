/**
 * Figures for the model cascade (printed; run with `npx tsx scripts/bench-llm.ts`). A fake OpenAI-compatible
 * server on 127.0.0.1 answers every call and counts them; the real LLM analyst and SDK run against it.
 *  1. model calls per 1,000 posts when the 14,640 US airline tweets (Feb 2015) are replayed through triage and
 *     the cascade, each tweet triaged for the airline it addresses (target: at most 20);
 *  2. on the project's labelled set, the share of labelled opportunities and risks that reach the model
 *     (target: at least 0.95), and how many other posts are sent;
 *  3. both figures at other LLM_MIN_SCORE values, so the trade-off is visible.
 * `--verbose` lists the labelled posts that did not reach the model.
 */
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parse } from 'csv-parse/sync';
import { loadCatalogue } from '../src/analyse/catalogue';
import { LlmAnalyst, type AnalysisAnswer } from '../src/analyse/llm';
import { OfflineAnalyst } from '../src/analyse/offline';
import { loadConfig } from '../src/config';
import { staticContext } from '../src/detect/context';
import { createTriager } from '../src/detect/triage';
import { parsePostLine, type Post } from '../src/domain/post';
import { isCardKind, type Kind, type Triage } from '../src/domain/verdict';
import { FakeOpenAI } from '../test/fakes/openai';

const CORPUS = '/work/shared/corpora/us-airline-tweets/Tweets.csv';
const EVAL = fileURLToPath(new URL('../test/fixtures/eval/', import.meta.url));
const THRESHOLDS = [0.3, 0.4, 0.5, 0.6, 0.7];

const ANSWER: AnalysisAnswer = {
  kind: 'risk',
  summary: 'A fan is unhappy.',
  why: 'It may spread.',
  signals: [],
  gesture: null,
  reply: "We're sorry to read this. Send us a DM and we'll look into it.",
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

function analystFor(brand: { name: string; handles: string[]; terms: string[] }) {
  const offline = new OfflineAnalyst({ catalogue, brand, usage: () => () => 0 });
  return new LlmAnalyst({ config: llmConfig, brand: { ...brand, languages: ['en'] }, fallback: offline, catalogue, usage: () => () => 0 });
}

interface Run {
  posts: number;
  kinds: Record<Kind, number>;
  candidates: number;
  calls: number;
  /** Triage of each post, for the threshold sweep. */
  triages: Triage[];
}

async function replay(posts: Iterable<{ post: Post; triage: (p: Post) => Triage; analyst: LlmAnalyst }>, onPost?: (p: Post, t: Triage, sent: boolean) => void): Promise<Run> {
  const run: Run = { posts: 0, kinds: { opportunity: 0, risk: 0, service: 0, noise: 0 }, candidates: 0, calls: 0, triages: [] };
  const before = fake.calls;
  for (const { post, triage, analyst } of posts) {
    run.posts++;
    const t = triage(post);
    run.kinds[t.kind]++;
    run.triages.push(t);
    let sent = false;
    if (isCardKind(t.kind)) {
      run.candidates++;
      const callsBefore = fake.calls;
      await analyst.analyse({ post, triage: { ...t, kind: t.kind } });
      sent = fake.calls > callsBefore;
    }
    onPost?.(post, t, sent);
  }
  run.calls = fake.calls - before;
  return run;
}

// ── 1. US airline tweets ─────────────────────────────────────────────────────────────────────────────────────

const HANDLES: Record<string, string[]> = {
  'Virgin America': ['VirginAmerica'],
  United: ['united'],
  Southwest: ['SouthwestAir'],
  Delta: ['Delta', 'JetBlue'], // the corpus files JetBlue's tweets under "Delta"
  'US Airways': ['USAirways'],
  American: ['AmericanAir'],
};

if (!existsSync(CORPUS)) {
  console.log(`1. skipped: ${CORPUS} not found`);
} else {
  const rows = parse(readFileSync(CORPUS), { columns: true, skip_empty_lines: true, relax_quotes: true }) as Record<
    string,
    string
  >[];
  const byAirline = new Map<string, { triage: (p: Post) => Triage; analyst: LlmAnalyst }>();
  const stream = rows.map((r) => {
    const airline = r.airline ?? 'unknown';
    let entry = byAirline.get(airline);
    if (!entry) {
      const brand = { name: airline, handles: HANDLES[airline] ?? [airline.replace(/\s+/g, '')], terms: [airline] };
      entry = { triage: createTriager(staticContext(brand)), analyst: analystFor(brand) };
      byAirline.set(airline, entry);
    }
    // "2015-02-24 11:35:52 -0800" → ISO 8601
    const m = /^(\d{4}-\d\d-\d\d) (\d\d:\d\d:\d\d) ([+-]\d\d)(\d\d)$/.exec(r.tweet_created ?? '');
    const post: Post = {
      id: r.tweet_id ?? '0',
      platform: 'x',
      author: { handle: r.name || 'unknown', followers: 0 },
      text: r.text ?? '',
      lang: 'en',
      createdAt: m ? `${m[1]}T${m[2]}${m[3]}:${m[4]}` : '2015-02-24T00:00:00Z',
      metrics: { likes: 0, reposts: Number(r.retweet_count) || 0, replies: 0, quotes: 0 },
    };
    return { post, ...entry };
  });
  const started = performance.now();
  const run = await replay(stream);
  const ms = performance.now() - started;
  const per1000 = (n: number) => ((n / run.posts) * 1000).toFixed(1);
  console.log(`1. US airline tweets: ${run.posts} posts replayed through triage and the cascade (LLM_MIN_SCORE=${llmConfig.minScore})`);
  console.log(`   kinds: ${Object.entries(run.kinds).map(([k, n]) => `${k} ${n}`).join(', ')}`);
  console.log(`   candidates (opportunity + risk): ${run.candidates} = ${per1000(run.candidates)} per 1,000`);
  console.log(`   model calls: ${run.calls} = ${per1000(run.calls)} per 1,000 posts   (target <= 20)   [${(ms / 1000).toFixed(1)} s]`);
  console.log('   at other thresholds (calls per 1,000 posts, one call per candidate):');
  for (const th of THRESHOLDS) {
    const n = run.triages.filter((t) => isCardKind(t.kind) && t.score >= th).length;
    console.log(`     LLM_MIN_SCORE=${th.toFixed(1)}: ${per1000(n)}`);
  }
}

// ── 2. The labelled set ──────────────────────────────────────────────────────────────────────────────────────

const postsPath = `${EVAL}posts.jsonl`;
const labelsPath = `${EVAL}labels.jsonl`;
if (!existsSync(postsPath) || !existsSync(labelsPath)) {
  console.log(`2. skipped: ${postsPath} or ${labelsPath} not found`);
} else {
  const labels = new Map<string, Kind>();
  for (const line of readFileSync(labelsPath, 'utf8').split('\n')) {
    if (!line.trim()) continue;
    const l = JSON.parse(line) as { id: string | number; kind: Kind };
    labels.set(String(l.id), l.kind);
  }
  const brand = loadConfig({}).brand;
  const triage = createTriager(staticContext(brand));
  const analyst = analystFor(brand);
  const posts: { post: Post; triage: typeof triage; analyst: LlmAnalyst }[] = [];
  for (const line of readFileSync(postsPath, 'utf8').split('\n')) {
    if (!line.trim()) continue;
    const parsed = parsePostLine(line);
    if (parsed.ok && labels.has(parsed.post.id)) posts.push({ post: parsed.post, triage, analyst });
  }
  const reached = { opportunity: [0, 0], risk: [0, 0], other: [0, 0] } as Record<'opportunity' | 'risk' | 'other', [number, number]>;
  const labelled: { label: Kind; t: Triage }[] = [];
  const missed: string[] = [];
  const run = await replay(posts, (p, t, sent) => {
    const label = labels.get(p.id) as Kind;
    labelled.push({ label, t });
    const bucket = label === 'opportunity' || label === 'risk' ? label : 'other';
    reached[bucket][1]++;
    if (sent) reached[bucket][0]++;
    else if (bucket !== 'other') missed.push(`${label} → ${t.kind} ${t.score.toFixed(2)}: ${p.text.slice(0, 80).replace(/\s+/g, ' ')}`);
  });
  const share = ([a, b]: [number, number]) => (b ? a / b : 0).toFixed(3);
  const cards: [number, number] = [reached.opportunity[0] + reached.risk[0], reached.opportunity[1] + reached.risk[1]];
  console.log(`\n2. Labelled set: ${run.posts} posts (${reached.opportunity[1]} opportunities, ${reached.risk[1]} risks), ${run.calls} model calls`);
  console.log(`   labelled opportunities and risks that reach the model: ${cards[0]}/${cards[1]} = ${share(cards)}   (target >= 0.95)`);
  console.log(`     opportunities ${reached.opportunity[0]}/${reached.opportunity[1]} = ${share(reached.opportunity)}, risks ${reached.risk[0]}/${reached.risk[1]} = ${share(reached.risk)}`);
  console.log(`   other labelled posts sent anyway: ${reached.other[0]}/${reached.other[1]} = ${share(reached.other)}`);
  const pos = labelled.filter((x) => x.label === 'opportunity' || x.label === 'risk');
  const notCandidates = pos.filter((x) => !isCardKind(x.t.kind)).length;
  const belowThreshold = pos.filter((x) => isCardKind(x.t.kind) && x.t.score < llmConfig.minScore).length;
  console.log(`   misses: ${notCandidates} that triage did not call an opportunity or risk, ${belowThreshold} below LLM_MIN_SCORE`);
  if (missed.length && process.argv.includes('--verbose')) console.log(missed.map((m) => `     - ${m}`).join('\n'));
  console.log('   at other thresholds (share of labelled opportunities and risks reaching the model):');
  for (const th of THRESHOLDS) {
    const n = pos.filter((x) => isCardKind(x.t.kind) && x.t.score >= th).length;
    console.log(`     LLM_MIN_SCORE=${th.toFixed(1)}: ${(n / pos.length).toFixed(3)}`);
  }
}

await fake.close();
