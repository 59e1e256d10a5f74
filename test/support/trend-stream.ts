import type { TrendPost } from '../../src/detect/trends';

/** A small deterministic PRNG (mulberry32), so synthetic streams are the same on every run. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const SYLLABLES = ['ka', 'lo', 'mi', 'ren', 'sto', 'vel', 'dra', 'qu', 'ni', 'bor', 'tas', 'pel', 'gun', 'fer', 'zu', 'wix', 'hap', 'tro', 'jen', 'ko'];

/** A vocabulary of made-up words that are in no stop-word list. */
export function vocabulary(size: number, random: () => number): string[] {
  const out = new Set<string>();
  while (out.size < size) {
    const n = 2 + Math.floor(random() * 2);
    let w = '';
    for (let i = 0; i < n; i++) w += SYLLABLES[Math.floor(random() * SYLLABLES.length)];
    out.add(w);
  }
  return [...out];
}

export interface StreamSpec {
  startMs: number;
  durationMs: number;
  /** Background posts per minute. */
  postsPerMinute: number;
  seed?: number;
  /** Terms with their own Poisson rate per hour, possibly changing at a time. */
  terms?: { word: string; perHour: number; surgeAtMs?: number; surgePerHour?: number }[];
  authors?: number;
}

/**
 * Background chatter (Zipf-distributed made-up words, thousands of authors) plus named terms at set rates; a
 * term with surgeAtMs switches to surgePerHour at that time. Posts come out in time order.
 */
export function syntheticStream(spec: StreamSpec): TrendPost[] {
  const random = rng(spec.seed ?? 1);
  const vocab = vocabulary(3000, random);
  const weights = vocab.map((_, i) => 1 / (i + 1));
  const total = weights.reduce((a, b) => a + b, 0);
  const cumulative: number[] = [];
  let acc = 0;
  for (const w of weights) cumulative.push((acc += w / total));
  const pick = () => {
    const r = random();
    let lo = 0;
    let hi = cumulative.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (cumulative[mid]! < r) lo = mid + 1;
      else hi = mid;
    }
    return vocab[lo]!;
  };
  const authors = spec.authors ?? 20_000;
  const posts: TrendPost[] = [];
  let id = 0;
  const end = spec.startMs + spec.durationMs;
  const emit = (at: number, extra?: string) => {
    const words = Array.from({ length: 6 }, pick);
    if (extra) words.splice(Math.floor(random() * words.length), 0, extra);
    posts.push({
      id: String(++id),
      text: words.join(' '),
      createdAt: new Date(at).toISOString(),
      author: `user${Math.floor(random() * authors)}`,
      lang: 'en',
    });
  };
  // Poisson arrivals: exponential gaps.
  const arrivals = (perMs: number, from: number, to: number, fn: (t: number) => void) => {
    if (perMs <= 0) return;
    for (let t = from - Math.log(1 - random()) / perMs; t < to; t -= Math.log(1 - random()) / perMs) fn(t);
  };
  arrivals(spec.postsPerMinute / 60_000, spec.startMs, end, (t) => emit(t));
  for (const term of spec.terms ?? []) {
    const surgeAt = term.surgeAtMs ?? end;
    arrivals(term.perHour / 3_600_000, spec.startMs, Math.min(surgeAt, end), (t) => emit(t, term.word));
    if (surgeAt < end) arrivals((term.surgePerHour ?? term.perHour) / 3_600_000, surgeAt, end, (t) => emit(t, term.word));
  }
  return posts.sort((a, b) => String(a.createdAt).localeCompare(String(b.createdAt)));
}
