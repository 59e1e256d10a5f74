import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { staticContext } from '../../src/detect/context';
import { createTriager } from '../../src/detect/triage';
import { parsePostLine, type Post } from '../../src/domain/post';
import type { Kind, Triage } from '../../src/domain/verdict';
import { CORPORA_DIR } from './corpora';

/**
 * The real airline posts of ../shared/corpora/airline-posts-labelled, read as each airline's own team would run
 * Kairos: one file per airline with its brand settings. The Post lines are written by the corpus's own
 * `to_posts.py` (so the split into a development and a held-out half is exactly the corpus's rule) into a cache
 * folder outside the repository; nothing of the corpus is ever copied into it.
 */
export const LABELLED_DIR = join(CORPORA_DIR, 'airline-posts-labelled');
/** Our own hand labels of development-half posts: ids and kinds only; the text is read from the corpus. */
export const OWN_LABELS = new URL('../../test/fixtures/real-dev/labels.jsonl', import.meta.url);
/** A second, independent reading of a fresh random sample of the development half (see test/fixtures/README.md). */
export const SECOND_READING = new URL('../../test/fixtures/real-dev/random-2.jsonl', import.meta.url);
/** A third reader's 1,000 fresh random development posts, by the corpus README's reading: for measuring only. */
export const THIRD_READING = new URL('../../test/fixtures/real-dev/random-3.jsonl', import.meta.url);
/**
 * A fourth reader's 1,000 fresh random development posts, by the corpus README's reading (named staff praised for
 * no deed of theirs read as noise, as a plain thanks is): for studying what triage misses on the stream.
 */
export const FOURTH_READING = new URL('../../test/fixtures/real-dev/random-4.jsonl', import.meta.url);

export interface Brand {
  name: string;
  handles: string[];
  terms: string[];
}

export interface AirlineFile {
  /** The file's key, e.g. `united`, `generic`. */
  key: string;
  brand: Brand;
  posts: Post[];
}

export type Half = 'dev' | 'all';

/** Runs to_posts.py once per corpus version and half into a cache folder; returns that folder. */
function materialise(half: Half): string {
  const script = join(LABELLED_DIR, 'to_posts.py');
  if (!existsSync(script)) throw new Error(`real corpus not found: ${script} (set KAIROS_CORPORA to the corpora folder)`);
  const stamp = createHash('sha256')
    .update(readFileSync(script))
    .update(String(statSync(join(CORPORA_DIR, 'us-airline-tweets/Tweets.csv')).size))
    .digest('hex')
    .slice(0, 12);
  const dir = join(tmpdir(), `kairos-real-${stamp}-${half}`);
  if (!existsSync(join(dir, 'brands.tsv'))) {
    mkdirSync(dir, { recursive: true });
    try {
      execFileSync('python3', [script, dir, half], { stdio: ['ignore', 'ignore', 'pipe'] });
    } catch (err) {
      const why = (err as { code?: string }).code === 'ENOENT' ? 'python3 is not installed' : (err as Error).message;
      throw new Error(`could not write the real posts with ${script}: ${why}`);
    }
  }
  return dir;
}

const list = (s: string | undefined) => (s ?? '').split(',').map((x) => x.trim()).filter(Boolean);

/** Every airline file of one half, with its brand, in the corpus's order. */
export function airlineFiles(half: Half = 'dev'): AirlineFile[] {
  const dir = materialise(half);
  return readFileSync(join(dir, 'brands.tsv'), 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((row) => {
      const [file, name, handles, terms] = row.split('\t');
      const key = basename(file as string, '.jsonl');
      const posts = readFileSync(join(dir, `${key}.jsonl`), 'utf8')
        .split('\n')
        .filter(Boolean)
        .flatMap((line) => {
          const p = parsePostLine(line);
          return p.ok ? [p.post] : [];
        });
      return { key, brand: { name: name as string, handles: list(handles), terms: list(terms) }, posts };
    });
}

export interface RealLabel {
  id: string;
  kind: Kind;
  /** `random` (a random sample of the development half) or `search` (found by searching for rare kinds). */
  selectedBy: string;
  /** Where the label comes from: the corpus's own labels or ours. */
  source: 'corpus' | 'own';
  /** For a moment or a risk, when the reader said: `clear`, or `mild` (e.g. a honeymoon announced with no ask). */
  strength?: 'clear' | 'mild';
}

function readLabels(path: string | URL, source: RealLabel['source']): RealLabel[] {
  if (!existsSync(path)) return [];
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter((l) => l.trim())
    .map((l, i) => {
      const o = JSON.parse(l) as { id?: unknown; kind?: unknown; selectedBy?: unknown; strength?: unknown; note?: unknown };
      if (typeof o.id !== 'string' || !['opportunity', 'risk', 'service', 'noise'].includes(o.kind as string)) {
        throw new Error(`${String(path)}:${i + 1}: expected {"id": "...", "kind": "opportunity|risk|service|noise"}`);
      }
      if (o.strength !== undefined && o.strength !== 'clear' && o.strength !== 'mild') {
        throw new Error(`${String(path)}:${i + 1}: "strength" must be "clear" or "mild"`);
      }
      const by = String(o.selectedBy ?? 'search');
      // Ours say it in `strength`; the corpus's notes begin with S (a clear case) or M (a milder one).
      const note = typeof o.note === 'string' ? /^([SM])\b/.exec(o.note)?.[1] : undefined;
      const strength = (o.strength ?? (note === 'S' ? 'clear' : note === 'M' ? 'mild' : undefined)) as RealLabel['strength'];
      return { id: o.id, kind: o.kind as Kind, selectedBy: by.startsWith('random') ? 'random' : 'search', source, ...(strength ? { strength } : {}) };
    });
}

/** Whether a Post id (`us<tweet_id>`, `sup<first_tweet_id>`) is in the development half: to_posts.py's dev_half(). */
export const devHalf = (id: string): boolean =>
  parseInt(createHash('sha256').update(id.replace(/^(?:us|sup)/, '')).digest('hex')[0]!, 16) < 8;

/**
 * The second reading is split by the second hex digit of the id's SHA-256 (the first one chose the development
 * half): 0-7 may be read to study errors, 8-f only measures.
 */
export const studyHalf = (id: string): boolean => parseInt(createHash('sha256').update(id).digest('hex')[1]!, 16) < 8;

/** The second reading's 1,000 labels, kept apart: a different reader draws the lines more generously. */
export const secondReading = (): Map<string, RealLabel> => readingAt(SECOND_READING);

/** The third reading's 1,000 labels: never read for rules or training, so it measures how triage carries. */
export const thirdReading = (): Map<string, RealLabel> => readingAt(THIRD_READING);

/** The fourth reading's 1,000 labels: read for rules (never for training), like the second reading's study half. */
export const fourthReading = (): Map<string, RealLabel> => readingAt(FOURTH_READING);

/** A reading of our own kept apart from the others, by id. */
function readingAt(path: URL): Map<string, RealLabel> {
  return new Map(readLabels(path, 'own').map((l) => [l.id, l]));
}

/** The corpus's 340 hand labels plus ours, one per id (the corpus's own label wins on an overlap). */
export function realLabels(): Map<string, RealLabel> {
  const out = new Map<string, RealLabel>();
  for (const l of [...readLabels(join(LABELLED_DIR, 'dev-labels.jsonl'), 'corpus'), ...readLabels(OWN_LABELS, 'own')]) {
    if (!out.has(l.id)) out.set(l.id, l);
  }
  return out;
}

export interface Judged {
  post: Post;
  key: string;
  brand: Brand;
  triage: Triage;
}

/** Triage every post of the given files, each with its airline as the brand. */
export function triageFiles(files: AirlineFile[], make = (b: Brand) => createTriager(staticContext(b))): Judged[] {
  return files.flatMap((f) => {
    const triage = make(f.brand);
    return f.posts.map((post) => ({ post, key: f.key, brand: f.brand, triage: triage(post) }));
  });
}
