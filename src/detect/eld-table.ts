import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

// eld's 'small' n-gram data is a 1.6 MB JavaScript object literal: importing it costs about a quarter of a second
// of CPU and 110 MB, at the first post whose language its function words do not settle. `npm run build` packs the
// same data into a table of typed arrays (packNgrams, written beside the compiled module) that loads in a few ms,
// and tableScorer() reads eld's scores off it (below). The table is keyed by a hash of the installed eld's files
// that the scorer reads or follows, so an eld that differs from the build's is imported as before. The table can
// only make detection quicker, never change an answer (test/eld-table.test.ts compares it with eld/small on written
// posts in many languages and scripts; scripts/eld-table-check.ts on every text of the corpora).

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

/** The files of eld this module reads: its 'small' data, its detector, and the parts of it the scorer uses. */
export interface EldFiles {
  data: string;
  detector: string;
  result: string;
  dictionary: string;
  patterns: string;
}

/** The files of the installed eld this module reads, found as Node finds the package; undefined without one. */
export function eldFiles(): EldFiles | undefined {
  const from = createRequire(import.meta.url).resolve.paths('eld') ?? [];
  for (const dir of from) {
    const root = join(dir, 'eld');
    if (existsSync(join(root, 'package.json'))) {
      const files: EldFiles = {
        data: join(root, 'src/ngrams/small.js'),
        detector: join(root, 'src/languageDetector.js'),
        result: join(root, 'src/LanguageResult.js'),
        dictionary: join(root, 'src/dictionary.js'),
        patterns: join(root, 'src/regexPatterns.js'),
      };
      return Object.values(files).every((f) => existsSync(f)) ? files : undefined;
    }
  }
  return undefined;
}

/** What a table is built from and answers for: eld's data and the code that reads it, by their text. */
export function eldKey(files: EldFiles): string {
  const hash = createHash('sha256');
  for (const file of [files.data, files.detector, files.result, files.dictionary, files.patterns]) hash.update(readFileSync(file)).update('\0');
  return hash.digest('hex');
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

/** A read table: where an n-gram's (language, score) pairs are. */
interface ReadTable {
  key: string;
  type: string;
  languages: Record<string, string>;
  table: Table;
}
interface Table {
  /** The slot of the n-gram packed as (lo, hi), or -1 when eld does not know it. */
  find(lo: number, hi: number): number;
  /** The slot's pairs: the first's index in `pairs` (two bytes a pair) and how many. */
  first(slot: number): number;
  count(slot: number): number;
  pairs: Uint8Array;
}

/** A table as it was written: its key, eld's languages, and the table. Undefined when the file is not whole. */
export function readNgramsTable(file: Buffer): ReadTable | undefined {
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
  const table: Table = {
    find(lo, hi) {
      for (let slot = slotOf(lo, hi, mask); ; slot = (slot + 1) & mask) {
        const word = keyHi[slot]!;
        if (word === 0) return -1;
        if ((word & 0xffffff) === hi && keyLo[slot] === lo) return slot;
      }
    },
    first: (slot) => at[slot]!,
    count: (slot) => keyHi[slot]! >>> 24,
    pairs,
  };
  return { key: header.key, type: header.type, languages: header.languages, table };
}

/** The n-gram's scores by language index, as eld's data has them; undefined for an n-gram eld does not know. */
export function ngramScores({ table }: ReadTable, gram: string): Record<number, number> | undefined {
  const packed = packKey(gram);
  const slot = packed ? table.find(packed[0], packed[1]) : -1;
  if (slot < 0) return undefined;
  const scores: Record<number, number> = {};
  for (let i = table.first(slot), end = i + table.count(slot); i < end; i++) scores[table.pairs[2 * i]!] = table.pairs[2 * i + 1]!;
  return scores;
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
  return tableScorer(read, await eldParts(files));
}

// ── eld's scoring, read straight off the table ─────────────────────────────────────────────────────────────────
// eld's detect() builds each n-gram as a string, gathers them as an object's keys, then looks each up: on the
// ~5 % of posts that need it, that was most of its cost. tableScorer() does the same steps over character codes
// (eld's text cleanup and separators with eld's own patterns, its UTF-8 byte characters from eld's dictionary, its
// 4-byte n-grams at a stride of 3, each counted once, its base score of 53) and hands the scores to eld's own
// LanguageResult, which says the language's reliability and scores as eld does. test/eld-table.test.ts and
// scripts/eld-table-check.ts compare it with eld/small, answer by answer.

type Result = ReturnType<EldDetector['detect']>;
interface EldParts {
  LanguageResult: new (language: string, results: number[], numNgrams: number, langCodes: Record<string, string>) => Result;
  dictionary: string[];
  separators: RegExp;
  matchDomains: RegExp;
}

// eld's getCleanTxt(): links, e-mail addresses, .com domains, then codes with digits (its own patterns but the
// third, which it exports).
const URLS = /[hw](?:(?:ttps?:\/\/(?:www\.)?)|ww\.)[^\s]+/gi;
const EMAILS = /[a-zA-Z0-9.!$%&’+_`-]+@[A-Za-z0-9.-]+\.[A-Za-z0-9-]{2,64}/g;
const CODES = /[a-zA-Z]*[0-9]+[a-zA-Z0-9]*/g;
/** eld's base score of an n-gram, taken off the stored scores to keep its database small. */
const BASE_SCORE = 53;
/** eld's cuts: the first blank after this many bytes, any character after the second. */
const CUT_AFTER = 350;
const ENFORCE_CUT_AFTER = 380;
/** eld reads n-grams off a word's first 70 bytes (the last one runs to the word's end). */
const WORD_BYTES = 70;

/** eld's detector on a read table: detect() answers as eld's does on the same data. */
export function tableScorer(read: ReadTable, parts: EldParts): EldDetector {
  const { table } = read;
  const codes = read.languages;
  const languages = Object.keys(codes).length;
  const byte = parts.dictionary.map((c) => c.charCodeAt(0));
  let cleanup = false;
  // The n-grams of the text so far, each once: short ones (all but a long word's last) by their packed key.
  const seen = new Set<number>();
  const long = new Set<string>();
  let scores: number[] = [];

  /** Counts the n-gram codes[from, to), with a blank before it (a word's start) and/or after it (its end). */
  const gram = (word: number[], from: number, to: number, before: boolean, after: boolean) => {
    const length = to - from + (before ? 1 : 0) + (after ? 1 : 0);
    if (length > MAX_LENGTH) {
      long.add(String.fromCharCode(...(before ? [32] : []), ...word.slice(from, to), ...(after ? [32] : [])));
      return;
    }
    let lo = 0;
    let hi = length << 16;
    let i = 0;
    const put = (c: number) => {
      if (i < 4) lo |= c << (8 * i);
      else hi |= c << (8 * (i - 4));
      i++;
    };
    if (before) put(32);
    for (let k = from; k < to; k++) put(word[k]!);
    if (after) put(32);
    lo >>>= 0;
    const key = hi * 4294967296 + lo;
    if (seen.has(key)) return;
    seen.add(key);
    const slot = table.find(lo, hi);
    if (slot < 0) return;
    for (let p = table.first(slot), end = p + table.count(slot); p < end; p++) scores[table.pairs[2 * p]!]! += table.pairs[2 * p + 1]! + BASE_SCORE;
  };

  /** eld's getByteNgrams() of one word. */
  const wordGrams = (word: number[]) => {
    const len = Math.min(word.length, WORD_BYTES);
    let j = 0;
    for (; j + 4 < len; j += 3) gram(word, j, j + 4, j === 0, false);
    gram(word, len !== 3 ? Math.max(0, len - 4) : 0, word.length, j === 0, true);
  };

  const detect = (input: string): Result => {
    let text = input.substring(0, 1000);
    if (cleanup) text = text.replace(URLS, ' ').replace(EMAILS, ' ').replace(parts.matchDomains, ' ').replace(CODES, ' ');
    text = text.replace(parts.separators, ' ').trim().toLowerCase();
    seen.clear();
    long.clear();
    scores = new Array<number>(languages).fill(0);
    // eld's strToUtf8Bytes(): each word as the characters of its UTF-8 bytes.
    let word: number[] = [];
    let bytes = 0;
    const b = (x: number) => word.push(byte[x]!);
    for (let i = 0; i < text.length; i++) {
      let c = text.charCodeAt(i);
      if (c < 0x80) {
        if (c === 32) {
          if (word.length) {
            wordGrams(word);
            word = [];
          }
          if (bytes > CUT_AFTER) break;
        } else word.push(c);
        bytes++;
      } else if (c < 0x800) {
        b(0xc0 | (c >> 6));
        b(0x80 | (c & 0x3f));
        bytes += 2;
      } else if (c < 0xd800 || c >= 0xe000) {
        b(0xe0 | (c >> 12));
        b(0x80 | ((c >> 6) & 0x3f));
        b(0x80 | (c & 0x3f));
        bytes += 3;
      } else {
        i++;
        c = 0x10000 + (((c & 0x3ff) << 10) | (text.charCodeAt(i) & 0x3ff));
        b(0xf0 | (c >> 18));
        b(0x80 | ((c >> 12) & 0x3f));
        b(0x80 | ((c >> 6) & 0x3f));
        b(0x80 | (c & 0x3f));
        bytes += 4;
      }
      if (bytes > ENFORCE_CUT_AFTER) break;
    }
    if (word.length) wordGrams(word);
    // eld's getMaxLang(): the first language of the highest score above 0.
    let best = -1;
    let most = 0;
    for (let lang = 0; lang < languages; lang++) {
      const score = scores[lang]!;
      if (score > 0 && score > most) {
        most = score;
        best = lang;
      }
    }
    if (best < 0) return new parts.LanguageResult('', [], 0, {});
    return new parts.LanguageResult(codes[best]!, scores, seen.size + long.size, codes);
  };
  return { detect, enableTextCleanup: (on) => void (cleanup = Boolean(on)) };
}

/** The parts of eld the scorer uses, from the installed eld's files. */
export async function eldParts(files: EldFiles): Promise<EldParts> {
  const load = (file: string) => import(pathToFileURL(file).href) as Promise<Record<string, unknown>>;
  const [result, dictionary, patterns] = await Promise.all([load(files.result), load(files.dictionary), load(files.patterns)]);
  return {
    LanguageResult: result.LanguageResult as EldParts['LanguageResult'],
    dictionary: dictionary.dictionary as string[],
    separators: patterns.separators as RegExp,
    matchDomains: patterns.matchDomains as RegExp,
  };
}
