import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { describeIssues } from '../domain/post';
import { KINDS, SIGNALS, type Kind } from '../domain/verdict';
import { EVIDENCE_FLAGS, type Evidence } from './evidence';
import { classOf } from './letters';
import { readWeightsTable, type PackedModel, type WeightsTableParts } from './weights-table';

/**
 * A small linear model over what triage reads off a post: the signals and flags of the rules, reach, and hashed
 * words and word pairs (not the rules' own call: on the posts the rules were written for it is always right, and
 * a model trained there would learn only to copy it). It learns from the project's labelled posts
 * (scripts/train-triage.ts) how much each piece counts, which hand-set rules cannot do for phrasing they have
 * never seen. Inference is a sparse dot product: microseconds a post, no network.
 */
export const HASH_BITS = 16;
const HASH_SIZE = 1 << HASH_BITS;
const DENSE = [
  ...SIGNALS.map((s) => `signal:${s}`),
  ...EVIDENCE_FLAGS.map((f) => `flag:${f}`),
  'reach',
  'followers',
  'reposts',
  'points',
  'length',
  'spreading&grievance',
  'spreading&negative',
  'points>=2',
] as const;
export const FEATURES = DENSE.length + HASH_SIZE;

/**
 * An array of tens of thousands of numbers, checked in one loop (a schema per element costs a tenth of a second at
 * every start); the message names the first bad element.
 */
function numbers(what: string, ok: (n: number) => boolean) {
  return z.any().superRefine((a: unknown, ctx) => {
    if (!Array.isArray(a)) return ctx.addIssue({ code: 'custom', message: `expected an array of ${what}` });
    const bad = a.findIndex((n) => typeof n !== 'number' || !ok(n));
    if (bad >= 0) ctx.addIssue({ code: 'custom', path: [bad], message: `expected ${what}, got ${JSON.stringify(a[bad])}` });
  }) as unknown as z.ZodType<number[]>;
}

export const TriageModelSchema = z.object({
  version: z.literal(2),
  hashBits: z.literal(HASH_BITS),
  dense: z.array(z.string()),
  classes: z.array(z.enum(KINDS)).length(KINDS.length),
  bias: z.array(z.number()).length(KINDS.length),
  /** One sparse row a class: the features with a weight, and the weights. */
  rows: z.array(z.object({ index: numbers('whole numbers from 0', (n) => Number.isInteger(n) && n >= 0), value: numbers('numbers', Number.isFinite) })).length(KINDS.length),
  trainedOn: z.array(z.string()),
  /** Chosen by cross-validation with the weights: see decide() in triage.ts. */
  thresholds: z.object({
    named: z.number().min(0).max(1),
    /** How likely a moment the rules call an opportunity must look to the model to stay one. */
    ruled: z.number().min(0).max(1),
    sure: z.number().min(0).max(1),
    /** The uncertain band: below a card, but this likely, a model (when configured) is asked. */
    review: z.object({ opportunity: z.number().min(0).max(1), risk: z.number().min(0).max(1) }),
  }),
});
export type StoredTriageModel = z.infer<typeof TriageModelSchema>;
/** A model ready to use: its rows expanded to one dense array, classes × FEATURES. */
export interface TriageModel {
  classes: Kind[];
  bias: number[];
  weights: Float64Array;
  /**
   * How likely the model must find an opportunity to call one: `named` when the rules name a moment in the post,
   * `sure` when they do not but the post is about the brand.
   */
  thresholds: StoredTriageModel['thresholds'];
}

export function expand(stored: StoredTriageModel): TriageModel {
  const weights = new Float64Array(KINDS.length * FEATURES);
  stored.rows.forEach((row, c) => row.index.forEach((j, n) => (weights[c * FEATURES + j] = row.value[n] as number)));
  return { classes: stored.classes, bias: stored.bias, weights, thresholds: stored.thresholds };
}

export function compact(model: TriageModel, trainedOn: string[]): StoredTriageModel {
  const rows = model.classes.map((_, c) => {
    const index: number[] = [];
    const value: number[] = [];
    for (let j = 0; j < FEATURES; j++) {
      const w = model.weights[c * FEATURES + j] as number;
      if (Math.abs(w) >= 1e-3) {
        index.push(j);
        value.push(Math.round(w * 1e3) / 1e3);
      }
    }
    return { index, value };
  });
  return {
    version: 2,
    hashBits: HASH_BITS,
    dense: [...DENSE],
    classes: model.classes,
    bias: model.bias.map((b) => Math.round(b * 1e4) / 1e4),
    rows,
    trainedOn,
    thresholds: model.thresholds,
  };
}

export type SparseVector = { index: Int32Array; value: Float32Array };

/**
 * Words, as the model reads them: what /[\p{L}\p{N}]+(?:'\p{L}+)?/gu matches (a run of letters and digits, and an
 * apostrophe with the letters after it), found by nextWord() without a regex or a string per word. Their hashes
 * are FNV-1a, 32 bit: stable, the same on every machine.
 */
const width = (cp: number) => (cp > 0xffff ? 2 : 1);
let wordStart = 0;
let wordEnd = 0;
/** The next word at or after `from`: sets wordStart and wordEnd (code units); false when there is none. */
function nextWord(text: string, from: number): boolean {
  const n = text.length;
  let i = from;
  while (i < n) {
    const cp = text.codePointAt(i)!;
    if (classOf(cp) >= 2) break;
    i += width(cp);
  }
  if (i >= n) return false;
  wordStart = i;
  while (i < n) {
    const cp = text.codePointAt(i)!;
    if (classOf(cp) < 2) break;
    i += width(cp);
  }
  if (text.charCodeAt(i) === 39) {
    let j = i + 1;
    while (j < n) {
      const cp = text.codePointAt(j)!;
      if (classOf(cp) !== 3) break;
      j += width(cp);
    }
    if (j > i + 1) i = j;
  }
  wordEnd = i;
  return true;
}

// Scratch space of featurize, reused from post to post (it runs for every post, one at a time): the features
// found so far; each hash family's buckets, each once (a bucket may be a word's and an n-gram's); and for
// featurize(), each bucket's marks (1 a word feature, 2 an n-gram one), cleared after each post through the list
// of buckets it touched.
let outIndex = new Int32Array(1024);
let outValue = new Float64Array(1024);
let outCount = 0;
const WORD = 1;
const GRAM = 2;
const marks = new Uint8Array(HASH_SIZE);
let touched = new Int32Array(1024);
let touchedCount = 0;
let wordBuckets = new Int32Array(1024);
let wordCount = 0;
let gramBuckets = new Int32Array(1024);
let gramCount = 0;

/**
 * Whether a family already has a bucket this post: an open-addressing set of a few KB for each family (marks read
 * at random in a 64 KB array missed the nearest cache on most n-grams). A slot holds the post's stamp (its number,
 * in the high 16 bits) and the bucket: a slot stamped by an earlier post is empty, so the sets are never cleared
 * (but once every 65,535 posts), and a post sizes its set to its own text, the slots beyond it left as they are.
 */
let wordSlots = new Int32Array(1024);
let gramSlots = new Int32Array(2048);
let wordMask = 0;
let gramMask = 0;
let postNumber = 0;
let stamp = 0;
const STAMP = -65536; // 0xffff0000: a slot's stamp

/** The smallest power of two at least `n`, and at least `least`. */
function powerOfTwo(n: number, least: number): number {
  let p = least;
  while (p < n) p *= 2;
  return p;
}

/**
 * Room for the buckets of a text of n code units, and a new stamp: a word is at least one unit and words are apart,
 * so at most n + 1 word features (a word and its pair); each unit starts at most three n-grams. Each set at most
 * half full.
 */
function startPost(n: number): void {
  const most = 3 * n + 8;
  if (wordBuckets.length < most) wordBuckets = new Int32Array(2 * most);
  if (gramBuckets.length < most) gramBuckets = new Int32Array(2 * most);
  const words = powerOfTwo(2 * (n + 1), 1024);
  const grams = powerOfTwo(2 * most, 2048);
  if (wordSlots.length < words) wordSlots = new Int32Array(words);
  if (gramSlots.length < grams) gramSlots = new Int32Array(grams);
  wordMask = words - 1;
  gramMask = grams - 1;
  if (++postNumber === 65536) {
    postNumber = 1;
    wordSlots.fill(0);
    gramSlots.fill(0);
  }
  stamp = postNumber << 16;
  wordCount = gramCount = 0;
}

// markWord and markGram are the same probe written twice on purpose: each reads its own module-level arrays, so
// the hot loop has no array argument to check and stays monomorphic (it runs some 300 times a post).
function markWord(b: number): void {
  const key = stamp | b;
  for (let s = b & wordMask; ; s = (s + 1) & wordMask) {
    const v = wordSlots[s]!;
    if (v === key) return;
    if ((v & STAMP) !== stamp) {
      wordSlots[s] = key;
      wordBuckets[wordCount++] = b;
      return;
    }
  }
}

function markGram(b: number): void {
  const key = stamp | b;
  for (let s = b & gramMask; ; s = (s + 1) & gramMask) {
    const v = gramSlots[s]!;
    if (v === key) return;
    if ((v & STAMP) !== stamp) {
      gramSlots[s] = key;
      gramBuckets[gramCount++] = b;
      return;
    }
  }
}

function put(i: number, v: number): void {
  if (v === 0) return;
  if (outCount === outIndex.length) {
    outIndex = grown(outIndex);
    const bigger = new Float64Array(outValue.length * 2);
    bigger.set(outValue);
    outValue = bigger;
  }
  outIndex[outCount] = i;
  outValue[outCount++] = v;
}

function grown(a: Int32Array<ArrayBuffer>): Int32Array<ArrayBuffer> {
  const bigger = new Int32Array(a.length * 2);
  bigger.set(a);
  return bigger;
}

/**
 * With a model whose weights are all whole thousandths (a shipped one): each hash family's weights summed per
 * class, in thousandths, over its marked buckets. Whole numbers add up the same in any order, so the buckets need
 * no sorting: a family's logits are its sum times its scale. The sums are kept in registers, and the loop does
 * nothing but read weights (its reads of the table overlap, where reading them as each bucket is marked waited
 * on each in turn).
 */
const wordSums = new Int32Array(4);
const gramSums = new Int32Array(4);
function sumBuckets(t: Milli, buckets: Int32Array, count: number, into: Int32Array): void {
  const { quads, milli } = t;
  let s0 = 0;
  let s1 = 0;
  let s2 = 0;
  let s3 = 0;
  for (let k = 0; k < count; k++) {
    const feature = DENSE.length + buckets[k]!;
    const q = quads[feature]!;
    const c0 = q & 255;
    const c1 = (q >>> 8) & 255;
    const c2 = (q >>> 16) & 255;
    const c3 = q >>> 24;
    if (c0 === RARE || c1 === RARE || c2 === RARE || c3 === RARE) {
      const at = feature * 4;
      s0 += c0 === RARE ? t.rareMilli[t.rare.get(at)!]! : milli[c0]!;
      s1 += c1 === RARE ? t.rareMilli[t.rare.get(at + 1)!]! : milli[256 + c1]!;
      s2 += c2 === RARE ? t.rareMilli[t.rare.get(at + 2)!]! : milli[512 + c2]!;
      s3 += c3 === RARE ? t.rareMilli[t.rare.get(at + 3)!]! : milli[768 + c3]!;
    } else {
      s0 += milli[c0]!;
      s1 += milli[256 + c1]!;
      s2 += milli[512 + c2]!;
      s3 += milli[768 + c3]!;
    }
  }
  into[0] = s0;
  into[1] = s1;
  into[2] = s2;
  into[3] = s3;
}

/** The words the model reads in a text, as strings (featurize never builds them): for checks. */
export function wordsOf(text: string): string[] {
  const out: string[] = [];
  for (let at = 0; nextWord(text, at); at = wordEnd) out.push(text.slice(wordStart, wordEnd));
  return out;
}

const sortScratch = { to: new Int32Array(1024), counts: new Int32Array(256) };
/**
 * The touched buckets in ascending order (the features' order), by two passes of radix sort on their 16 bits:
 * a few times quicker than a typed array's sort() on a post's few hundred buckets.
 */
function sortTouched(): void {
  if (sortScratch.to.length < touched.length) sortScratch.to = new Int32Array(touched.length);
  const { to, counts } = sortScratch;
  for (const [from, into, shift] of [
    [touched, to, 0],
    [to, touched, 8],
  ] as const) {
    counts.fill(0);
    for (let i = 0; i < touchedCount; i++) counts[(from[i]! >>> shift) & 255]!++;
    let sum = 0;
    for (let b = 0; b < 256; b++) {
      const n = counts[b]!;
      counts[b] = sum;
      sum += n;
    }
    for (let i = 0; i < touchedCount; i++) into[counts[(from[i]! >>> shift) & 255]!++] = from[i]!;
  }
}

/** Scratch for the word being read: its code units as `<word>`, digits as '0'. */
let units = new Int32Array(64);

/** Every digit counts as 0 ("flight 1234" and "flight 5678" are the same words to the model). */
function digitAsZero(c: number): number {
  return c >= 48 && c <= 57 ? 48 : c;
}

type FeaturedPost = { author: { followers: number }; metrics?: { reposts?: number } };

/** The features of one post, as a sparse vector. */
export function featurize(e: Evidence, post: FeaturedPost): SparseVector {
  fillFeatures(e, post);
  return { index: outIndex.slice(0, outCount), value: new Float32Array(outValue.subarray(0, outCount)) };
}

const SIGNAL_NUMBER = new Map(SIGNALS.map((s, n) => [s, n]));
const signalMarks = new Uint8Array(SIGNALS.length);

/**
 * The flags' features, from feature number `first` on. Evidence builds its flags in EVIDENCE_FLAGS' order, and a
 * for-in reads them by position, far quicker than thirty lookups by name; flags in any other order are read by name.
 */
function putFlags(flags: Evidence['flags'], first: number): void {
  const before = outCount;
  let k = 0;
  for (const f in flags) {
    if (f !== EVIDENCE_FLAGS[k]) break;
    put(first + k++, flags[f as keyof typeof flags] ? 1 : 0);
  }
  if (k === EVIDENCE_FLAGS.length) return;
  outCount = before;
  EVIDENCE_FLAGS.forEach((f, n) => put(first + n, flags[f] ? 1 : 0));
}

/**
 * The features of one post into the scratch arrays (outIndex, outValue: outCount of them), values as float64.
 * With `milli`, only the dense features go there; the hashed ones are summed into wordSums and gramSums instead
 * (see sumBuckets).
 */
function fillFeatures(e: Evidence, post: FeaturedPost, milli: Milli | null = null): void {
  outCount = 0;
  let i = 0;
  for (const s of e.signals) signalMarks[SIGNAL_NUMBER.get(s)!] = 1;
  for (let s = 0; s < SIGNALS.length; s++) {
    put(i++, signalMarks[s]!);
    signalMarks[s] = 0;
  }
  putFlags(e.flags, i);
  i += EVIDENCE_FLAGS.length;
  put(i++, e.reach.score);
  // log10(1) is 0: most posts have neither followers nor reposts counted, and skip the logarithm.
  const followers = post.author.followers;
  const reposts = post.metrics?.reposts ?? 0;
  put(i++, followers === 0 ? 0 : Math.min(1, Math.log10(followers + 1) / 6));
  put(i++, reposts === 0 ? 0 : Math.min(1, Math.log10(reposts + 1) / 4));
  put(i++, Math.max(-1, Math.min(1, e.points / 5)));
  put(i++, Math.min(1, e.text.length / 500));
  put(i++, e.flags.spreading && e.flags.grievance ? 1 : 0);
  put(i++, e.flags.spreading && e.flags.negative ? 1 : 0);
  put(i++, e.points >= 2 ? 1 : 0);

  // Words, word pairs and the character n-grams of each word, hashed: n-grams carry what was learned to words
  // never seen in training (typos, inflections, "cancelled"/"cancelation", compounds in Dutch). Each counted once,
  // and each family scaled on its own so long posts do not outweigh short ones. The hashes are FNV-1a of
  // `word`, `previous word`, and `#` + each 3–5 character slice of `<word>`, computed as the characters go by
  // (no string is built for any of them).
  const text = e.masked;
  startPost(text.length);
  let previous = 0;
  let first = true;
  for (let at = 0; nextWord(text, at); at = wordEnd) {
    const start = wordStart;
    const length = wordEnd - wordStart;
    // The word's code units read once, as `<word>` with digits as '0', for its hash, its pair's and its n-grams'.
    if (length + 2 > units.length) units = new Int32Array(2 * (length + 2));
    units[0] = 60;
    units[length + 1] = 62;
    let h = FNV_OFFSET;
    let pair = Math.imul(previous ^ 32, FNV_PRIME);
    for (let c = 0; c < length; c++) {
      const u = digitAsZero(text.charCodeAt(start + c));
      units[c + 1] = u;
      h = Math.imul(h ^ u, FNV_PRIME);
      pair = Math.imul(pair ^ u, FNV_PRIME);
    }
    markWord(h & (HASH_SIZE - 1));
    if (!first) markWord(pair & (HASH_SIZE - 1));
    first = false;
    previous = h;
    const paddedLength = length + 2;
    for (let k = 0; k + 3 <= paddedLength; k++) {
      let g = Math.imul(HASH_OF_HASH ^ units[k]!, FNV_PRIME);
      g = Math.imul(g ^ units[k + 1]!, FNV_PRIME);
      g = Math.imul(g ^ units[k + 2]!, FNV_PRIME);
      markGram(g & (HASH_SIZE - 1));
      if (k + 4 > paddedLength) continue;
      g = Math.imul(g ^ units[k + 3]!, FNV_PRIME);
      markGram(g & (HASH_SIZE - 1));
      if (k + 5 > paddedLength) continue;
      g = Math.imul(g ^ units[k + 4]!, FNV_PRIME);
      markGram(g & (HASH_SIZE - 1));
    }
  }
  if (milli) {
    sumBuckets(milli, wordBuckets, wordCount, wordSums);
    sumBuckets(milli, gramBuckets, gramCount, gramSums);
    return;
  }
  // Each bucket once, with its families' marks, for the sorted vector.
  if (touched.length < wordCount + gramCount) touched = new Int32Array(2 * (wordCount + gramCount));
  touchedCount = 0;
  for (let k = 0; k < wordCount; k++) {
    const b = wordBuckets[k]!;
    if (marks[b] === 0) touched[touchedCount++] = b;
    marks[b]! |= WORD;
  }
  for (let k = 0; k < gramCount; k++) {
    const b = gramBuckets[k]!;
    if (marks[b] === 0) touched[touchedCount++] = b;
    marks[b]! |= GRAM;
  }
  const wordScale = wordCount ? 1 / Math.sqrt(wordCount) : 0;
  const gramScale = gramCount ? 1 / Math.sqrt(gramCount) : 0;
  sortTouched();
  for (let t = 0; t < touchedCount; t++) {
    const b = touched[t]!;
    const m = marks[b]!;
    marks[b] = 0;
    let v = 0;
    if (m & WORD) v += wordScale;
    if (m & GRAM) v += gramScale;
    put(DENSE.length + b, v);
  }
}

const FNV_OFFSET = 0x811c9dc5 | 0;
const FNV_PRIME = 0x01000193;
/** The FNV-1a state after '#', where every n-gram's hash starts. */
const HASH_OF_HASH = Math.imul(FNV_OFFSET ^ 35, FNV_PRIME);

/** Class probabilities (softmax) for a feature vector. */
export function probabilities(model: Pick<TriageModel, 'bias' | 'weights'>, x: SparseVector): number[] {
  const logits = model.bias.map((b, c) => {
    let z = b;
    const row = c * FEATURES;
    for (let j = 0; j < x.index.length; j++) z += (model.weights[row + (x.index[j] as number)] as number) * (x.value[j] as number);
    return z;
  });
  return softmax(logits);
}

function softmax(logits: number[]): number[] {
  // In place, in plain loops (the same sums in the same order as max, map and reduce): triage runs it every post.
  let max = -Infinity;
  for (let c = 0; c < logits.length; c++) max = Math.max(max, logits[c]!);
  let sum = 0;
  for (let c = 0; c < logits.length; c++) sum += logits[c] = Math.exp(logits[c]! - max);
  for (let c = 0; c < logits.length; c++) logits[c]! /= sum;
  return logits;
}

/**
 * A model's weights feature by feature (all classes of one feature side by side), made once per weights array:
 * a post's few hundred features then read one cache line each instead of one per class. The array is read at
 * random, so its size is the cost. A shipped model has a few hundred distinct weights a class (rounded to 1e-3):
 * each weight is then stored as one byte, its number in its class's palette of the 255 commonest weights, and the
 * few others (code 255) are looked up apart. The same float64 is read from an eighth of the memory.
 */
type ByFeature =
  /**
   * Per feature and class, the weight's byte in its class's palette (256 a class); 255: rareValues[rare.get(at)].
   * With four classes, each feature's four bytes also as one number (class 0 in the low byte).
   */
  | {
      kind: 'bytes';
      codes: Uint8Array;
      quads: Uint32Array | null;
      palette: Float64Array;
      rare: Map<number, number>;
      rareValues: Float64Array;
      /** Four classes and every weight a whole number of thousandths (a shipped model): the weights as those. */
      milli: Milli | null;
    }
  /** Per feature and class, the weight itself: a model with too many distinct weights (unrounded), or a -0. */
  | { kind: 'plain'; values: Float64Array };
const RARE = 255;
/** The palettes and rare weights in thousandths, beside the four-class codes they are read by. */
interface Milli {
  quads: Uint32Array;
  milli: Int32Array;
  rare: Map<number, number>;
  rareMilli: Int32Array;
}
/** The weights as whole thousandths, when every one of them is one (and small enough to add up in 32 bits). */
function inThousandths(values: Float64Array): Int32Array | null {
  const out = new Int32Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const k = Math.round(values[i]! * 1000);
    if (k / 1000 !== values[i] || Math.abs(k) >= 1 << 20) return null;
    out[i] = k;
  }
  return out;
}
const byFeature = new WeakMap<Float64Array, ByFeature>();
function weightsByFeature(model: Pick<TriageModel, 'bias' | 'weights'>): ByFeature {
  let t = byFeature.get(model.weights);
  if (!t) {
    const classes = model.bias.length;
    const at = (j: number, c: number) => model.weights[c * FEATURES + j]!;
    // Map keys cannot tell -0 from 0: a model with a -0 weight keeps the plain array.
    t = (model.weights.some((w) => Object.is(w, -0)) ? null : paletted(classes, at)) ?? plain(classes, at);
    byFeature.set(model.weights, t);
  }
  return t;
}

function plain(classes: number, at: (j: number, c: number) => number): ByFeature {
  const values = new Float64Array(FEATURES * classes);
  for (let c = 0; c < classes; c++) for (let j = 0; j < FEATURES; j++) values[j * classes + c] = at(j, c);
  return { kind: 'plain', values };
}

/** The weights as bytes of per-class palettes; null when more than one weight in 256 falls outside them. */
function paletted(classes: number, at: (j: number, c: number) => number): ByFeature | null {
  const codes = new Uint8Array(FEATURES * classes);
  const palette = new Float64Array(256 * classes);
  const rare = new Map<number, number>();
  const rareValues: number[] = [];
  for (let c = 0; c < classes; c++) {
    const counts = new Map<number, number>();
    for (let j = 0; j < FEATURES; j++) counts.set(at(j, c), (counts.get(at(j, c)) ?? 0) + 1);
    const code = new Map([...counts].sort((x, y) => y[1] - x[1]).slice(0, RARE).map(([w], n) => [w, n]));
    for (const [w, n] of code) palette[c * 256 + n] = w;
    for (let j = 0; j < FEATURES; j++) {
      const n = code.get(at(j, c));
      codes[j * classes + c] = n ?? RARE;
      if (n === undefined) rare.set(j * classes + c, rareValues.push(at(j, c)) - 1);
    }
    if (rare.size > codes.length / 256) return null;
  }
  return bytesTable(classes, { codes, palette, rare, rareValues: Float64Array.from(rareValues) });
}

/**
 * A bytes table from its parts, as paletted() makes them or the build packed them (weights-table.ts). With four
 * classes each feature's four codes are also read as one little-endian number: the codes' own bytes where the
 * machine is little-endian.
 */
function bytesTable(classes: number, { codes, palette, rare, rareValues }: WeightsTableParts): ByFeature {
  const quads =
    classes !== 4
      ? null
      : LITTLE_ENDIAN && codes.byteOffset % 4 === 0
        ? new Uint32Array(codes.buffer, codes.byteOffset, FEATURES)
        : Uint32Array.from({ length: FEATURES }, (_, j) => (codes[4 * j]! | (codes[4 * j + 1]! << 8) | (codes[4 * j + 2]! << 16) | (codes[4 * j + 3]! << 24)) >>> 0);
  const milli = quads && inThousandths(palette);
  const rareMilli = quads && inThousandths(rareValues);
  return {
    kind: 'bytes',
    codes,
    quads,
    palette,
    rare,
    rareValues,
    milli: quads && milli && rareMilli ? { quads, milli, rare, rareMilli } : null,
  };
}
const LITTLE_ENDIAN = new Uint8Array(Uint32Array.of(1).buffer)[0] === 1;

/** The logits of `count` features (feature numbers, float32 values), each class adding them in the same order. */
function logitsOf(model: Pick<TriageModel, 'bias' | 'weights'>, index: ArrayLike<number>, value: ArrayLike<number>, count: number, f32: boolean): number[] {
  const t = weightsByFeature(model);
  const classes = model.bias.length;
  if (t.kind === 'bytes' && t.quads) {
    // Four classes (every triage model): the four sums in registers, each feature's four codes one 32-bit read.
    const { quads, palette, rare, rareValues } = t;
    let z0 = model.bias[0]!;
    let z1 = model.bias[1]!;
    let z2 = model.bias[2]!;
    let z3 = model.bias[3]!;
    for (let j = 0; j < count; j++) {
      const feature = index[j] as number;
      const v = f32 ? Math.fround(value[j] as number) : (value[j] as number);
      const q = quads[feature]!;
      const c0 = q & 255;
      const c1 = (q >>> 8) & 255;
      const c2 = (q >>> 16) & 255;
      const c3 = q >>> 24;
      if (c0 === RARE || c1 === RARE || c2 === RARE || c3 === RARE) {
        const at = feature * 4;
        z0 += (c0 === RARE ? rareValues[rare.get(at)!]! : palette[c0]!) * v;
        z1 += (c1 === RARE ? rareValues[rare.get(at + 1)!]! : palette[256 + c1]!) * v;
        z2 += (c2 === RARE ? rareValues[rare.get(at + 2)!]! : palette[512 + c2]!) * v;
        z3 += (c3 === RARE ? rareValues[rare.get(at + 3)!]! : palette[768 + c3]!) * v;
      } else {
        z0 += palette[c0]! * v;
        z1 += palette[256 + c1]! * v;
        z2 += palette[512 + c2]! * v;
        z3 += palette[768 + c3]! * v;
      }
    }
    return [z0, z1, z2, z3];
  }
  const logits = model.bias.slice();
  if (t.kind === 'bytes') {
    const { codes, palette, rare, rareValues } = t;
    for (let j = 0; j < count; j++) {
      const at = (index[j] as number) * classes;
      // featurize() hands its values out as float32: the scratch's float64 values are rounded the same way.
      const v = f32 ? Math.fround(value[j] as number) : (value[j] as number);
      for (let c = 0; c < classes; c++) {
        const code = codes[at + c]!;
        // Both reads are float64 arrays, so the weight stays an unboxed double.
        logits[c]! += (code === RARE ? rareValues[rare.get(at + c)!]! : palette[c * 256 + code]!) * v;
      }
    }
  } else {
    const { values } = t;
    for (let j = 0; j < count; j++) {
      const at = (index[j] as number) * classes;
      const v = f32 ? Math.fround(value[j] as number) : (value[j] as number);
      for (let c = 0; c < classes; c++) logits[c]! += (values[at + c] as number) * v;
    }
  }
  return logits;
}

function mostLikely(model: TriageModel, logits: number[]): { kind: Kind; p: number[] } {
  const p = softmax(logits);
  let best = 0;
  for (let c = 1; c < p.length; c++) if ((p[c] as number) > (p[best] as number)) best = c;
  return { kind: model.classes[best] as Kind, p };
}

export function predictKind(model: TriageModel, x: SparseVector): { kind: Kind; p: number[] } {
  // The same sums as probabilities(), each class adding the features in the same order.
  return mostLikely(model, logitsOf(model, x.index, x.value, x.index.length, false));
}

/** predictKind(model, featurize(e, post)), without building the vector. */
export function predictPost(model: TriageModel, e: Evidence, post: FeaturedPost): { kind: Kind; p: number[] } {
  const t = weightsByFeature(model);
  const milli = t.kind === 'bytes' ? t.milli : null;
  fillFeatures(e, post, milli);
  const logits = logitsOf(model, outIndex, outValue, outCount, true);
  if (milli) {
    // The hashed features' share: as featurize() scales them (float32), a family's sum times its scale.
    const wordScale = wordCount ? Math.fround(1 / Math.sqrt(wordCount)) : 0;
    const gramScale = gramCount ? Math.fround(1 / Math.sqrt(gramCount)) : 0;
    for (let c = 0; c < 4; c++) logits[c]! += (wordSums[c]! * wordScale + gramSums[c]! * gramScale) / 1000;
  }
  return mostLikely(model, logits);
}

export const MODEL_FILE = new URL('./triage-model.json', import.meta.url);

/** The fields of a model besides its weights: what a packed table keeps of its model file's JSON. */
const ModelHeaderSchema = TriageModelSchema.pick({ classes: true, bias: true, thresholds: true });

/**
 * The shipped model, validated; null when there is none (the rules decide alone). A compiled build reads it from
 * the table packed beside it when that was packed from this very file (weights-table.ts).
 */
export function loadTriageModel(url: URL = MODEL_FILE): TriageModel | null {
  let file: Buffer;
  try {
    file = readFileSync(url);
  } catch {
    return null;
  }
  const packed = readWeightsTable(url, file, KINDS.length, FEATURES);
  const header = packed && ModelHeaderSchema.safeParse(packed.header);
  if (packed && header?.success) {
    const model: TriageModel = { ...header.data, weights: packed.weights };
    byFeature.set(model.weights, bytesTable(model.classes.length, packed.parts));
    return model;
  }
  let json: unknown;
  try {
    json = JSON.parse(file.toString('utf8'));
  } catch (err) {
    throw new Error(`${url.pathname}: not JSON (${(err as Error).message}); run scripts/train-triage.ts again`);
  }
  const parsed = TriageModelSchema.safeParse(json);
  if (!parsed.success) throw new Error(`${url.pathname}: not a triage model (${describeIssues(parsed.error)})`);
  const stored = parsed.data;
  if (stored.dense.join() !== DENSE.join() || stored.rows.some((r) => r.index.some((j) => j >= FEATURES))) {
    throw new Error(`${url.pathname}: the model was trained on other features; run scripts/train-triage.ts again`);
  }
  return expand(stored);
}

/** The model and its bytes table as `npm run build` packs them (weights-table.ts); null for a model kept as plain weights. */
export function packedModel(model: TriageModel): PackedModel | null {
  const t = weightsByFeature(model);
  if (t.kind !== 'bytes') return null;
  const { classes, bias, thresholds, weights } = model;
  return { header: { classes, bias, thresholds }, weights, parts: t };
}

export { DENSE as DENSE_FEATURES };
