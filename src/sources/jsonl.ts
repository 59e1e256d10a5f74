import { createReadStream } from 'node:fs';
import type { Readable } from 'node:stream';
import { parsePostLine, type Post } from '../domain/post';
import type { Source } from './source';
import { timeOrderCheck } from './time-order';

export type JsonlLine = { line: number; ok: true; post: Post } | { line: number; ok: false; error: string };

/**
 * Reads JSON lines one at a time (constant memory). Blank lines are skipped but still counted, or reported as
 * errors with `blankLines` (classify answers every input line, a trailing blank one included).
 */
export async function* readJsonl(input: Readable, opts: { blankLines?: boolean } = {}): AsyncGenerator<JsonlLine> {
  let n = 0;
  for await (const raw of lines(input)) {
    n++;
    const line = raw.trim();
    if (!line) {
      if (opts.blankLines) yield { line: n, ok: false, error: 'empty line' };
      continue;
    }
    const parsed = parsePostLine(line);
    yield parsed.ok ? { line: n, ok: true, post: parsed.post } : { line: n, ok: false, error: parsed.error };
  }
}

/**
 * Lines ended by \n (or \r\n), as JSON-lines defines them. Not node:readline: it also ends a line at a lone \r,
 * which binary garbage or a raw carriage return in a broken export holds, and classify's output would no longer
 * line up one to one with its input. Invalid UTF-8 decodes to U+FFFD.
 */
async function* lines(input: Readable): AsyncGenerator<string> {
  input.setEncoding('utf8');
  let rest = '';
  for await (const chunk of input as AsyncIterable<string>) {
    rest += chunk;
    let start = 0;
    let end: number;
    while ((end = rest.indexOf('\n', start)) >= 0) {
      yield rest.slice(start, end > start && rest.charCodeAt(end - 1) === 13 ? end - 1 : end);
      start = end + 1;
    }
    rest = rest.slice(start);
  }
  if (rest.length) yield rest;
}

/**
 * Replays a JSON-lines file of posts (KAIROS_REPLAY_FILE, `replay --input`, the demo stream; `-` reads stdin). A
 * line that is not a valid post is reported through onInvalid and skipped; the replay goes on. stop() stops
 * reading at once: the post being processed finishes, nothing after it is read.
 */
export class JsonlSource implements Source {
  private stopped = false;
  private input: Readable | undefined;

  constructor(
    readonly name: string,
    private readonly path: string,
    private readonly onInvalid: (line: number, error: string) => void = () => {},
  ) {}

  async start(emit: (post: Post) => Promise<void>): Promise<void> {
    this.input = this.path === '-' ? process.stdin : createReadStream(this.path, 'utf8');
    const inOrder = timeOrderCheck();
    try {
      for await (const item of readJsonl(this.input)) {
        if (this.stopped) return;
        if (item.ok) {
          inOrder(item.post, item.line);
          await emit(item.post);
        } else this.onInvalid(item.line, item.error);
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
