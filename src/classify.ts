import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import type { Readable, Writable } from 'node:stream';
import { ClassifyPool, InOrderChunks } from './classify-pool';
import type { Config } from './config';
import { freeCores } from './free-cores';
import type { Post } from './domain/post';
import type { VerdictLines } from './verdict-lines';

/** Output is written in batches of about this many characters at most. */
const BATCH_CHARS = 64_000;
/** How long the input must have been quiet before a live stream's warm-up takes a step (ms). */
const QUIET_MS = 1;
/**
 * Lines read without waiting for input before triage moves to worker threads: a worker's start and the compiling
 * of triage's code in it cost about a second of CPU, more than a shorter run (a quarter of a second of triage)
 * would save. A shorter run, or a live stream that keeps up, never starts one.
 */
const POOL_AFTER_LINES = 4_000;
/**
 * A file at least this big (about 4,000 posts) starts the workers at once, before a line is read: they load and
 * compile triage's code while this thread does the same.
 */
const POOL_AFTER_BYTES = 1_000_000;
/** How far back a live input's backlog is judged (ms). */
const BACKLOG_WINDOW_MS = 100;
/** Lines a worker is given at a time (fewer when the input makes the reader wait). */
const CHUNK_LINES = 500;
/** Lines this thread triages at a time while the workers are busy (between them it gives each its next chunk). */
const HERE_LINES = 100;
/** Worker threads at most: one a core beside this thread, which triages too while they are all busy. */
const MAX_WORKERS = 3;
/** Chunks' worth of lines given out and not yet written, at most: what memory holds beyond the output's own buffer. */
const AHEAD_CHUNKS = 16;

/** How the worker pool is sized and when it starts (tests set small figures; `workers: 0` keeps triage inline). */
export interface PoolOptions {
  workers?: number;
  after?: number;
  chunkLines?: number;
  hereLines?: number;
  /** The worker's module (tests: one that fails). */
  script?: URL;
  /** Cores the machine leaves free now (tests: as many as asked for). */
  freeCores?: () => number;
}

/**
 * The `classify` command: one Verdict line per input line, in order. Each verdict goes out as soon as the input
 * that is already there has been read (a live pipe sees its verdict within milliseconds; a file is written in
 * 64 KB batches). A closed output (`classify | head`) ends the run quietly: it returns 'closed'.
 *
 * While the input has a backlog (a file, a pipe that delivers lines faster than one thread triages them), the
 * lines go in chunks to worker threads, one a core beside this one (classify-pool.ts), and this thread triages a
 * few lines at a time itself whenever they are all busy; the chunks are written in input order. A file of 1 MB or
 * more starts the workers before its first line. A short input or a live stream that keeps up stays in this thread,
 * with no worker to start.
 */
export async function classify(
  input: Readable,
  out: Writable,
  brand: Config['brand'],
  eventsFile?: string,
  /** `size`: the input's size in bytes, when it is a file. */
  opts: { live?: boolean; size?: number; pool?: PoolOptions } = {},
): Promise<'done' | 'closed'> {
  const workers = opts.pool?.workers ?? Math.min(availableParallelism() - 1, MAX_WORKERS);
  // Workers only help when they get a core of their own: on 2 cores with other work on both, a worker more than
  // doubled classify's wall time and added half its CPU time (each thread compiles triage's code anew, slowly while
  // it shares a core), so classify then stays in one thread.
  const poolNow = () => workers > 0 && (opts.pool?.freeCores ?? freeCores)() >= 1;
  const newPool = () => new ClassifyPool(workers, { brand, eventsFile }, opts.pool?.script);
  // A file big enough to pay for workers starts them first: they load triage's code while this thread loads its own
  // (triage's modules are imported only now, not with this one's).
  let pool = !opts.live && (opts.size ?? 0) >= POOL_AFTER_BYTES && poolNow() ? newPool() : undefined;
  let verdicts: VerdictLines;
  let lineBlocks: typeof import('./sources/jsonl').lineBlocks;
  let parseLine: typeof import('./sources/jsonl').parseLine;
  try {
    const [lines, jsonl] = await Promise.all([import('./verdict-lines'), import('./sources/jsonl')]);
    ({ lineBlocks, parseLine } = jsonl);
    verdicts = lines.verdictLines(brand, eventsFile);
    // The team's own files (a brand pack, a calendar) are read at once, so a mistake in them stops the run before
    // any output, with the file named; otherwise the drafts' files are read at the first card.
    if (brand.dir || eventsFile) verdicts.analyst();
  } catch (err) {
    await pool?.close();
    throw err;
  }
  const { triage, analyst } = verdicts;
  let reading = true;
  // Since when the reader has been waiting for input (undefined while it works through what came in).
  let waitingSince: number | undefined = performance.now();
  if (opts.live) {
    // A live stream: while it waits for posts, everything the first posts would compile (the lexicon's patterns,
    // triage's and the drafts' code) is made ready, one small step at a time, only once the input has been quiet
    // for a moment: a stream that keeps the reader busy (a file piped in) would only pay for compiling what it may
    // never need, and compiles what it does need as it comes.
    const [{ warmUpSteps }, { languageDetectorLoaded, needsLanguageDetector }, { parsePostLine }, { isCardKind }] = await Promise.all([
      import('./detect/prefilter'),
      import('./detect/lang'),
      import('./domain/post'),
      import('./domain/verdict'),
    ]);
    // The drafts' files first: the heaviest step, best taken while the first lines are still being read.
    const steps = [() => void analyst(), ...warmUpSteps(), ...samplePosts(brand.handles[0], parsePostLine).map((post) => () => {
      if (!languageDetectorLoaded() && needsLanguageDetector(post.text, post.lang)) return;
      const t = triage(post);
      if (isCardKind(t.kind)) analyst().write(post, t.kind, t.signals, t.lang);
    })];
    const next = () => {
      if (!reading || !steps.length) return;
      const quiet = waitingSince !== undefined && performance.now() - waitingSince >= QUIET_MS;
      if (quiet) steps.shift()!();
      // While quiet, step after step (what comes in is read between them); else look again in a moment.
      if (quiet) setImmediate(next);
      else setTimeout(next, QUIET_MS).unref();
    };
    setImmediate(next);
  }
  let closed = false;
  let failure: Error | null = null;
  let buffer = '';
  let scheduled = false;
  // Set while the output is full: reading waits for it to drain (or close), so memory stays flat.
  let drained: Promise<void> | null = null;
  let release = () => {};
  out.on('drain', () => release());
  out.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code !== 'EPIPE' && err.code !== 'ERR_STREAM_DESTROYED') failure = err;
    closed = true;
    release();
    // Nobody reads any more: stop reading too (a pipe that stays open would otherwise keep us waiting).
    input.destroy();
  });
  const flush = () => {
    scheduled = false;
    if (!buffer || closed) return;
    const full = !out.write(buffer);
    buffer = '';
    if (full && !drained) {
      drained = new Promise((resolve) => {
        release = () => {
          drained = null;
          release = () => {};
          resolve();
        };
      });
    }
  };
  /** Verdict lines, each ended by its newline. */
  const emitText = (text: string) => {
    buffer += text;
    if (buffer.length >= BATCH_CHARS) flush();
    // setImmediate runs once the lines already read are done and the reader waits for more: the batch ends there.
    else if (!scheduled) {
      scheduled = true;
      setImmediate(flush);
    }
  };
  // Verdict lines written so far (to say where a failed run stopped).
  let written = 0;
  const emit = (line: string) => {
    written++;
    emitText(`${line}\n`);
  };

  // ── the worker pool, once the input has a backlog ──
  const poolAfter = opts.pool?.after ?? POOL_AFTER_LINES;
  let chunks: InOrderChunks | undefined;
  const chunkLines = opts.pool?.chunkLines ?? CHUNK_LINES;
  const startPool = (first: number) => {
    pool ??= newPool();
    chunks = new InOrderChunks(pool, first, {
      chunkLines,
      hereLines: opts.pool?.hereLines ?? HERE_LINES,
      aheadLines: AHEAD_CHUNKS * chunkLines,
      here: async (from, lines) => {
        let text = '';
        await verdicts.write(lines.map((raw, i) => parseLine(raw, from + i, true)!), (line) => (text += `${line}\n`), () => closed);
        return text;
      },
      write: (text, lines) => {
        written += lines;
        emitText(text);
      },
      stopped: () => closed,
      // Nothing from a lost chunk on is written: the run stops and says which lines.
      failed: () => input.destroy(),
    });
  };
  if (pool) startPool(1);
  // The lines read since `since` and how long of that the reader waited for input: a live input has a backlog
  // while the reader waits a quarter of the time at most (a stream that keeps up has it wait nearly all the time;
  // a pipe that outruns triage now and then, when its writer is descheduled). A file is all backlog.
  let window = { since: performance.now(), lines: 0, waited: 0 };
  let n = 0;

  try {
    try {
      // Blank lines still get an error line, so output lines match input lines one to one. The lines are read a
      // chunk at a time (whatever has arrived): a live pipe's line is answered as soon as it comes all the same.
      for await (const block of lineBlocks(input)) {
        const now = performance.now();
        if (opts.live) {
          window.waited += waitingSince === undefined ? 0 : now - waitingSince;
          // The older past is forgotten once the reader has mostly waited in it.
          if (now - window.since > BACKLOG_WINDOW_MS && window.waited > (now - window.since) / 4) window = { since: now, lines: 0, waited: 0 };
        }
        waitingSince = undefined;
        if (closed || chunks?.failure) break;
        const first = n + 1;
        n += block.length;
        window.lines += block.length;
        const backlog = !opts.live || window.waited <= (now - window.since) / 4;
        if (!chunks && backlog && window.lines >= poolAfter && poolNow()) startPool(first);
        if (!chunks) await verdicts.write(block.map((raw, i) => parseLine(raw, first + i, true)!), emit, () => closed);
        else await chunks.add(block);
        if (drained) await drained;
        waitingSince = performance.now();
        chunks?.waiting();
      }
    } catch (err) {
      // Destroying the input because the output closed (or a worker failed) ends its reader with a premature
      // close: that is the end.
      if (!closed && !chunks?.failure) throw err;
    } finally {
      reading = false;
    }
    if (chunks && !closed) await chunks.finish();
  } finally {
    await pool?.close();
  }
  flush();
  if (drained) await drained;
  const poolFailure = chunks?.failure;
  if (poolFailure) throw new Error(`${poolFailure.message}; the verdicts of the first ${written} lines were written, none after them`);
  if (failure) throw failure;
  return closed ? 'closed' : 'done';
}

/** The demo stream's posts, as they are and addressed to us in two-byte text (an emoji): what warm-up triages. */
function samplePosts(handle: string | undefined, parsePostLine: typeof import('./domain/post').parsePostLine): Post[] {
  const lines = readFileSync(new URL('./sources/demo-stream.jsonl', import.meta.url), 'utf8').split('\n');
  const posts = lines.flatMap((line) => {
    const p = line.trim() ? parsePostLine(line) : null;
    return p?.ok ? [p.post] : [];
  });
  return [...posts, ...posts.map((p) => ({ ...p, text: `@${handle ?? ''} ${p.text} 🙂` }))];
}
