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

