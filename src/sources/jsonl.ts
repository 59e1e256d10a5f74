import { createReadStream } from 'node:fs';
import type { Readable } from 'node:stream';
import { parsePostLine, type Post } from '../domain/post';
import { countLines, linesBackwards } from './backwards';
import type { Emit, Source } from './source';
import { timeOrderCheck } from './time-order';

export type JsonlLine = { line: number; ok: true; post: Post } | { line: number; ok: false; error: string };

/**
 * Reads JSON lines one at a time (constant memory). Blank lines are skipped but still counted, or reported as
 * errors with `blankLines` (classify answers every input line, a trailing blank one included).
 */
export function readJsonl(input: Readable, opts: { blankLines?: boolean } = {}): AsyncGenerator<JsonlLine> {
  return parseLines(lines(input), opts);
}

/**
 * The same lines, parsed a chunk of input at a time (what has arrived, at most a read's worth): one await a chunk
 * instead of two a line, for a reader that goes through every line at once (classify).
 */
export async function* readJsonlBlocks(input: Readable, opts: { blankLines?: boolean } = {}): AsyncGenerator<JsonlLine[]> {
  let n = 0;
  for await (const block of lineBlocks(input)) {
    const items: JsonlLine[] = [];
    for (const raw of block) {
      const item = parseLine(raw, ++n, opts.blankLines);
      if (item) items.push(item);
    }
    if (items.length) yield items;
  }
}

/** Parses lines as posts; `lineNumber` numbers the i-th line read (1-based) when they are not read first to last. */
async function* parseLines(
  source: AsyncIterable<string>,
  opts: { blankLines?: boolean; lineNumber?: (i: number) => number } = {},
): AsyncGenerator<JsonlLine> {
  let i = 0;
  for await (const raw of source) {
    const item = parseLine(raw, opts.lineNumber ? opts.lineNumber(++i) : ++i, opts.blankLines);
    if (item) yield item;
  }
}

/** One line as a post, or as the error that says why not; null for a blank line unless `blankLines` reports it. */
export function parseLine(raw: string, n: number, blankLines?: boolean): JsonlLine | null {
  const line = raw.trim();
  if (!line) return blankLines ? { line: n, ok: false, error: 'empty line' } : null;
  const parsed = parsePostLine(line);
  return parsed.ok ? { line: n, ok: true, post: parsed.post } : { line: n, ok: false, error: parsed.error };
}

/**
 * Lines ended by \n (or \r\n), as JSON-lines defines them. Not node:readline: it also ends a line at a lone \r,
 * which binary garbage or a raw carriage return in a broken export holds, and classify's output would no longer
 * line up one to one with its input. Invalid UTF-8 decodes to U+FFFD.
 */
async function* lines(input: Readable): AsyncGenerator<string> {
  for await (const block of lineBlocks(input)) yield* block;
}

/** The lines of `input` (as `lines` splits them) a chunk read at a time: a replay handles each chunk's lines in one go. */
export async function* lineBlocks(input: Readable): AsyncGenerator<string[]> {
  input.setEncoding('utf8');
  let rest = '';
  for await (const chunk of input as AsyncIterable<string>) {
    rest += chunk;
    const block: string[] = [];
    let start = 0;
    let end: number;
    while ((end = rest.indexOf('\n', start)) >= 0) {
      block.push(rest.slice(start, end > start && rest.charCodeAt(end - 1) === 13 ? end - 1 : end));
      start = end + 1;
    }
    rest = rest.slice(start);
    if (block.length) yield block;
  }
  if (rest.length) yield [rest];
}

/**
 * Whether a file of posts is newest first (as exports often are: the airline CSV is): the posts at each end run
 * newest to oldest and its first post is newer than its last one by more than `marginMs`. Reads `sample` posts
 * from each end only; a file that is merely disordered is left to the time-order check, which refuses it.
 */
export async function isNewestFirst(path: string, marginMs = 3_600_000, sample = 20): Promise<boolean> {
  const times = async (items: AsyncGenerator<JsonlLine>) => {
    const out: number[] = [];
    for await (const item of items) {
      if (item.ok) out.push(Date.parse(item.post.createdAt));
      if (out.length >= sample) break;
    }
    await items.return(undefined);
    return out;
  };
  const head = await times(readJsonl(createReadStream(path, 'utf8')));
  // Read from the end: the last post first.
  const tail = await times(parseLines(linesBackwards(path)));
  if (head.length < 2 || tail.length < 2) return false;
  const newestToOldest = (t: number[]) => t.every((v, i) => i === 0 || v <= t[i - 1]! + marginMs);
  return newestToOldest(head) && newestToOldest([...tail].reverse()) && head[0]! > tail[0]! + marginMs;
}

/**
 * Replays a JSON-lines file of posts (KAIROS_REPLAY_FILE, `replay --input`, the demo stream; `-` reads stdin). A
 * line that is not a valid post is reported through onInvalid and skipped; the replay goes on. A file that is
 * newest first is read from its end, oldest post first (rising moments are found in the posts' own time);
 * `onReversed` hears of it. stop() stops reading at once: the post being processed finishes, nothing after it is
 * read.
 */
export class JsonlSource implements Source {
  private stopped = false;
  private input: Readable | undefined;

  constructor(
    readonly name: string,
    private readonly path: string,
    private readonly onInvalid: (line: number, error: string) => void = () => {},
    private readonly onReversed: () => void = () => {},
  ) {}

  async start(emit: Emit): Promise<void> {
    const inOrder = timeOrderCheck();
    // A chunk's lines one after another, waiting only when emit asks to: no promise a line.
    const take = (item: JsonlLine): Promise<void> | undefined => {
      if (!item.ok) {
        this.onInvalid(item.line, item.error);
        return undefined;
      }
      inOrder(item.post, item.line);
      return emit(item.post);
    };
    try {
      if (this.path !== '-' && (await isNewestFirst(this.path))) {
        // Line numbers as in the file, for the messages about a line.
        const total = await countLines(this.path);
        this.onReversed();
        for await (const item of parseLines(linesBackwards(this.path), { lineNumber: (i) => total + 1 - i })) {
          if (this.stopped) return;
          await take(item);
        }
        return;
      }
      this.input = this.path === '-' ? process.stdin : createReadStream(this.path, 'utf8');
      let n = 0;
      for await (const block of lineBlocks(this.input)) {
        for (const raw of block) {
          const item = parseLine(raw, ++n);
          if (!item) continue;
          if (this.stopped) return;
          const wait = take(item);
          if (wait) await wait;
        }
      }
    } catch (err) {
      // Destroyed by stop(): the input ends early, as asked.
      if (!this.stopped) throw err;
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.input?.destroy();
  }
}
