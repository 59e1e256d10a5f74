import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

// eld's 'small' n-gram data is a 1.6 MB JavaScript object literal: importing it costs about a quarter of a second
// of CPU and 110 MB, at the first post whose language its function words do not settle. `npm run build` packs the
// same data into a table of typed arrays (packNgrams, written beside the compiled module) that loads in a few ms;
// eld's own detector then runs on it unchanged: its createEld() is given data whose `ngrams` answers each n-gram
// lookup from the table. The table is keyed by a hash of the installed eld's data and detector files, so an eld
// that differs from the build's is imported as before. The table can only make loading quicker, never change an
// answer (test/eld-table.test.ts compares both on written posts in many languages and scripts).

/** eld's n-gram database, as its ngrams/*.js files export it. */
export interface NgramsData {
  type: string;
  languages: Record<string, string>;
  /** n-gram → { language index: score }. */
  ngrams: Record<string, Record<number, number> | undefined>;
}

/** What this module needs of eld's detector (createEld() in eld's src/languageDetector.js). */
export interface EldDetector {
  detect(text: string): { language: string; isReliable(): boolean; getScores(): Record<string, number> };
  enableTextCleanup(on: boolean): void;
}
type CreateEld = () => { instance: EldDetector; loadData(data: NgramsData): string };

/** The files of the installed eld this module reads, found as Node finds the package; undefined without one. */
export function eldFiles(): { data: string; detector: string } | undefined {
  const from = createRequire(import.meta.url).resolve.paths('eld') ?? [];
  for (const dir of from) {
    const root = join(dir, 'eld');
    if (existsSync(join(root, 'package.json'))) {
      const files = { data: join(root, 'src/ngrams/small.js'), detector: join(root, 'src/languageDetector.js') };
      return existsSync(files.data) && existsSync(files.detector) ? files : undefined;
    }
  }
  return undefined;
}

/** What a table is built from: eld's data and the detector that reads it, by their text. */
export function eldKey(files: { data: string; detector: string }): string {
  return createHash('sha256').update(readFileSync(files.data)).update('\0').update(readFileSync(files.detector)).digest('hex');
}

// ── The table ─────────────────────────────────────────────────────────────────────────────────────────────────
// An n-gram is 3 to 6 characters, each a code below 256 (eld writes text as UTF-8 bytes, one character a byte).
// It is packed into two 32-bit words (lo: characters 0-3; hi: characters 4-5 and the length) and looked up in an
// open-addressing table; each slot also holds where the n-gram's (language, score) pairs start and how many.
// File: u32 header length, the header (JSON), padding to 4, then keyLo, keyHi, at (u32 × slots), pairs (u8 × 2n).

interface TableHeader {
  key: string;
  type: string;
  languages: Record<string, string>;
  slots: number;
  pairs: number;
}

const MAX_LENGTH = 6;

/** The n-gram's two key words, or undefined when it cannot be in a table (too long, a character of 256 or more). */
function packKey(gram: string): [number, number] | undefined {
  const length = gram.length;
  if (length === 0 || length > MAX_LENGTH) return undefined;
  let lo = 0;
  let hi = length << 16;
  for (let i = 0; i < length; i++) {
    const c = gram.charCodeAt(i);
    if (c > 255) return undefined;
    if (i < 4) lo |= c << (8 * i);
    else hi |= c << (8 * (i - 4));
  }
  return [lo >>> 0, hi];
}

const slotOf = (lo: number, hi: number, mask: number) => {
  let h = Math.imul(lo ^ Math.imul(hi, 0x9e3779b1), 0x85ebca6b);
  h ^= h >>> 15;
  return h & mask;
};

/** eld's data as a table (what `npm run build` writes), keyed by what it was built from. */
export function packNgrams(data: NgramsData, key: string): Buffer {
  const grams = Object.keys(data.ngrams);
  let slots = 1024;
  while (slots < grams.length * 1.6) slots *= 2;
  const mask = slots - 1;
  const keyLo = new Uint32Array(slots);
  const keyHi = new Uint32Array(slots);
  const at = new Uint32Array(slots);
  const pairs: number[] = [];
  for (const gram of grams) {
    const packed = packKey(gram);
    if (!packed) throw new Error(`eld table: the n-gram ${JSON.stringify(gram)} does not fit the table`);
    const scores = Object.entries(data.ngrams[gram] ?? {});
    if (scores.length > 255) throw new Error(`eld table: the n-gram ${JSON.stringify(gram)} has too many languages`);
    let slot = slotOf(packed[0], packed[1], mask);
    while (keyHi[slot] !== 0) slot = (slot + 1) & mask;
    keyLo[slot] = packed[0];
    keyHi[slot] = packed[1] | (scores.length << 24);
    at[slot] = pairs.length / 2;
    for (const [lang, score] of scores) {
      const index = Number(lang);
      if (!(Number.isInteger(index) && index >= 0 && index < 256 && Number.isInteger(score) && score >= 0 && score < 256)) {
        throw new Error(`eld table: the n-gram ${JSON.stringify(gram)} has a language or score beyond a byte (${lang}: ${score})`);
      }
      pairs.push(index, score);
    }
  }
  const header: TableHeader = { key, type: data.type, languages: data.languages, slots, pairs: pairs.length / 2 };
  const json = Buffer.from(JSON.stringify(header));
  const head = Buffer.alloc(4 + json.length + ((4 - ((4 + json.length) % 4)) % 4));
  head.writeUInt32LE(json.length, 0);
  json.copy(head, 4);
  const words = (a: Uint32Array) => Buffer.from(a.buffer, a.byteOffset, a.byteLength);
  return Buffer.concat([head, words(keyLo), words(keyHi), words(at), Buffer.from(pairs)]);
}

/**
 * eld's data read from a table: `ngrams` answers each lookup (eld's only use of it: `ngrams[gram]`, then its
 * languages with for…in) with a fresh { language index: score }, or undefined for an n-gram eld does not know.
 * Undefined when the table is not whole.
 */
export function readNgramsTable(file: Buffer): { key: string; data: NgramsData } | undefined {
  if (file.length < 4) return undefined;
  const size = file.readUInt32LE(0);
  if (4 + size > file.length) return undefined;
  const header = JSON.parse(file.subarray(4, 4 + size).toString('utf8')) as TableHeader;
  let offset = 4 + size + ((4 - ((4 + size) % 4)) % 4);
  const { slots } = header;
  if (!(slots > 0 && (slots & (slots - 1)) === 0) || file.length !== offset + slots * 12 + header.pairs * 2) return undefined;
  // Copied out of the file's buffer: a Uint32Array needs its own alignment.
  const take = (bytes: number) => new Uint8Array(file.subarray(offset, (offset += bytes))).buffer;
  const keyLo = new Uint32Array(take(slots * 4));
  const keyHi = new Uint32Array(take(slots * 4));
  const at = new Uint32Array(take(slots * 4));
  const pairs = new Uint8Array(take(header.pairs * 2));
  const mask = slots - 1;
  const lookup = (gram: string): Record<number, number> | undefined => {
    const packed = packKey(gram);
    if (!packed) return undefined;
    const [lo, hi] = packed;
    for (let slot = slotOf(lo, hi, mask); ; slot = (slot + 1) & mask) {
      const word = keyHi[slot]!;
      if (word === 0) return undefined;
      if ((word & 0xffffff) !== hi || keyLo[slot] !== lo) continue;
      const scores: Record<number, number> = {};
      for (let i = at[slot]!, end = i + (word >>> 24); i < end; i++) scores[pairs[2 * i]!] = pairs[2 * i + 1]!;
      return scores;
    }
  };
  const ngrams = new Proxy({} as NgramsData['ngrams'], { get: (_, gram) => (typeof gram === 'string' ? lookup(gram) : undefined) });
  return { key: header.key, data: { type: header.type, languages: header.languages, ngrams } };
}

/** eld's detector (its createEld()) on the given data. */
export async function eldOn(data: NgramsData, files: { detector: string }): Promise<EldDetector> {
  const { createEld } = (await import(pathToFileURL(files.detector).href)) as { createEld: CreateEld };
  const { instance, loadData } = createEld();
  if (!loadData(data)) throw new Error('eld did not take the n-gram table');
  return instance;
}

/** The table `npm run build` writes beside the compiled module (absent beside the sources). */
export const ELD_TABLE = new URL('./eld-ngrams.bin', import.meta.url);

/**
 * eld's detector on the built table, when there is one built from the installed eld; else undefined (then eld's
 * 'small' entry is imported as it comes).
 */
export async function builtDetector(table: URL = ELD_TABLE): Promise<EldDetector | undefined> {
  const files = eldFiles();
  if (!files || !existsSync(table)) return undefined;
  const read = readNgramsTable(readFileSync(table));
  if (!read || read.key !== eldKey(files)) return undefined;
  return eldOn(read.data, files);
}
