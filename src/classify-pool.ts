import type { Worker } from 'node:worker_threads';
import type { Config } from './config';
import type { ChunkAnswer } from './classify-worker';
import { besideModule, startWorker } from './worker-entry';

/** Chunks queued on one worker at most: one it works on, one ready for when it is done. */
const DEPTH = 2;

interface Queued {
  first: number;
  last: number;
  resolve: (text: string) => void;
  reject: (err: Error) => void;
}

/**
 * Worker threads that triage chunks of `classify`'s input lines, for when the input has a backlog. Each chunk's
 * verdict text comes back through its own promise (the caller writes them in input order). A worker that stops
 * or throws fails its chunks and every later one with an error that names their lines: nothing is dropped quietly.
 */
export class ClassifyPool {
  private readonly workers: { worker: Worker; queue: Queued[] }[] = [];
  private failure: Error | null = null;
  private closing = false;

  constructor(size: number, data: { brand: Config['brand']; eventsFile?: string }, script = besideModule('classify-worker', import.meta.url)) {
    for (let i = 0; i < size; i++) {
      const worker = startWorker(script, { workerData: data });
      const slot = { worker, queue: [] as Queued[] };
      worker.on('message', (answer: ChunkAnswer) => {
        const q = slot.queue.shift();
        if (!q) return;
        if ('text' in answer) q.resolve(answer.text);
        else {
          slot.queue.unshift(q);
          this.fail(new Error(`triaging lines ${q.first}–${q.last} failed: ${answer.error}`));
        }
      });
      worker.on('error', (err) => this.fail(new Error(`a triage worker stopped (${err.message})${unanswered(slot.queue)}`)));
      worker.on('exit', (code) => {
        if (!this.closing) this.fail(new Error(`a triage worker stopped (exit code ${code})${unanswered(slot.queue)}`));
      });
      this.workers.push(slot);
    }
  }

  get size(): number {
    return this.workers.length;
  }

  /** Whether a worker can take a chunk now (each holds a few at most, so memory stays flat). */
  hasRoom(): boolean {
    return this.failure !== null || this.workers.some((w) => w.queue.length < DEPTH);
  }

  /** The verdict text of these lines, numbered from `first`: a line each, in order. */
  classify(first: number, lines: readonly string[]): Promise<string> {
    if (this.failure) return Promise.reject(this.failure);
    const slot = this.workers.reduce((a, b) => (b.queue.length < a.queue.length ? b : a));
    return new Promise<string>((resolve, reject) => {
      slot.queue.push({ first, last: first + lines.length - 1, resolve, reject });
      slot.worker.postMessage({ first, text: lines.join('\n') });
    });
  }

  /** Stops every worker (what is still queued is not answered). */
  async close(): Promise<void> {
    this.closing = true;
    await Promise.all(this.workers.map((w) => w.worker.terminate()));
  }

  private fail(err: Error): void {
    this.failure ??= err;
    for (const w of this.workers) for (const q of w.queue.splice(0)) q.reject(this.failure);
  }
}

const unanswered = (queue: readonly Queued[]) => (queue.length ? ` with lines ${queue[0]!.first}–${queue.at(-1)!.last} unanswered` : '');


/** What InOrderChunks gives chunks to: a pool of workers (ClassifyPool), or a test's stand-in. */
export interface ChunkWorkers {
  hasRoom(): boolean;
  classify(first: number, lines: readonly string[]): Promise<string>;
}

export interface InOrderOptions {
  /** Lines in a chunk given to a worker. */
  chunkLines: number;
  /**
   * Lines this thread triages at a time while every worker is busy: fewer than a worker's chunk, so that between
   * them it hears the workers' answers and gives each its next chunk before it runs dry.
   */
  hereLines: number;
  /**
   * Lines given out and not yet written, at most: what memory holds beyond the output's own buffer. Counted in lines,
   * not chunks: this thread's short runs would otherwise fill it while a worker that is still starting holds the
   * oldest chunk, and this thread would wait idle.
   */
  aheadLines: number;
  /** Triages a chunk in this thread: its verdict text. */
  here: (first: number, lines: string[]) => Promise<string>;
  /** Writes a chunk's verdict text (`lines` lines), in input order. */
  write: (text: string, lines: number) => void;
  /** Whether the output has closed: nothing more is given out. */
  stopped: () => boolean;
  /** A chunk was lost (its worker failed): the run stops. */
  failed: (err: Error) => void;
}

type Chunk = { first: number; lines: string[] };

/**
 * classify's input lines in chunks, each given to a worker with room or, when every worker is busy, triaged in this
 * thread in turn; the chunks' verdict text is written in input order, with a bounded number of chunks in flight.
 * Nothing from a lost chunk on is written.
 */
export class InOrderChunks {
  /** The first error of a lost chunk. */
  failure: Error | null = null;
  // The chunks given out, in input order, until written.
  private readonly order: { lines: number; text?: string; done: Promise<void> }[] = [];
  // Lines read but not given out yet (the chunk being filled) and the number of the first.
  private readonly pending: string[] = [];
  // Lines in `order`.
  private inFlight = 0;
  private awaitingInput = false;
  private progress = () => {};

  /** `first`: the number of the first line that will be added. */
  constructor(
    private readonly workers: ChunkWorkers,
    private next: number,
    private readonly o: InOrderOptions,
  ) {}

  /** Lines read: each full chunk goes out (returns once this thread may read on). */
  async add(lines: readonly string[]): Promise<void> {
    this.awaitingInput = false;
    for (const line of lines) this.pending.push(line);
    while (this.pending.length >= this.o.chunkLines && this.going()) await this.dispatch(this.o.chunkLines);
  }

  /** The reader waits for input: the chunk so far goes out as soon as a worker can take it. */
  waiting(): void {
    if (!this.pending.length) return;
    this.awaitingInput = true;
    setImmediate(this.sendWaiting);
  }

  /** The input ended: the lines left go out, and every chunk is written (unless the output closed or one was lost). */
  async finish(): Promise<void> {
    while (this.pending.length && this.going()) await this.dispatch(this.pending.length);
    while (this.order.length && this.going()) await this.order[0]!.done;
  }

  private going(): boolean {
    return !this.o.stopped() && !this.failure;
  }

  private take(count = this.pending.length): Chunk {
    const chunk = { first: this.next, lines: this.pending.splice(0, count) };
    this.next += chunk.lines.length;
    return chunk;
  }

  private writeReady(): void {
    while (this.order[0]?.text !== undefined) {
      const chunk = this.order.shift()!;
      this.inFlight -= chunk.lines;
      this.o.write(chunk.text!, chunk.lines);
    }
  }

  /** Whether `lines` more lines may be given out (always, when none are out). */
  private roomFor(lines: number): boolean {
    return this.inFlight === 0 || this.inFlight + lines <= this.o.aheadLines;
  }

  private roomAhead(count: number): boolean {
    return this.roomFor(count) && this.workers.hasRoom();
  }

  private readonly sendWaiting = () => {
    if (this.awaitingInput && this.pending.length && this.roomAhead(this.pending.length)) this.submit(this.take());
  };

  private submit({ first, lines }: Chunk): void {
    const entry: (typeof this.order)[number] = { lines: lines.length, done: Promise.resolve() };
    entry.done = this.workers.classify(first, lines).then(
      (text) => {
        entry.text = text;
        this.writeReady();
      },
      (err: Error) => {
        this.failure ??= err;
        this.o.failed(err);
      },
    );
    this.order.push(entry);
    this.inFlight += lines.length;
    void entry.done.then(() => {
      this.progress();
      this.sendWaiting();
    });
  }

  /**
   * Gives the next `count` pending lines out as a chunk to a worker with room; else (every worker busy) triages the
   * first few here, in turn, and lets the workers' answers in before it returns.
   */
  private async dispatch(count: number): Promise<void> {
    while (this.going()) {
      if (this.roomAhead(count)) return this.submit(this.take(count));
      const here = Math.min(count, this.o.hereLines);
      if (this.roomFor(here)) {
        const { first, lines } = this.take(here);
        const text = await this.o.here(first, lines);
        this.order.push({ lines: lines.length, text, done: Promise.resolve() });
        this.inFlight += lines.length;
        this.writeReady();
        return new Promise<void>((resolve) => setImmediate(resolve));
      }
      await new Promise<void>((resolve) => (this.progress = resolve));
    }
  }
}
