/**
 * A worker thread of `classify`'s pool (see classify-pool.ts): takes chunks of input lines, answers each chunk
 * with its verdict text, one chunk after another in the order given.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { Config } from './config';
import { languageDetection } from './detect/lang-mode';

// As in the command itself: set before triage's modules load, so the n-gram detector loads on a post's first need.
languageDetection.deferred = true;
const [{ verdictLines }, { parseLine }] = await Promise.all([import('./verdict-lines'), import('./sources/jsonl')]);
const { brand, eventsFile } = workerData as { brand: Config['brand']; eventsFile?: string };
const verdicts = verdictLines(brand, eventsFile);

export type ChunkAnswer = { text: string } | { error: string };

let queue = Promise.resolve();
parentPort!.on('message', ({ first, text }: { first: number; text: string }) => {
  queue = queue.then(async () => {
    let out = '';
    try {
      // The lines were split as lineBlocks splits them and joined by \n, which none of them holds.
      const items = text.split('\n').map((raw, i) => parseLine(raw, first + i, true)!);
      await verdicts.write(items, (line) => (out += `${line}\n`));
      parentPort!.postMessage({ text: out } satisfies ChunkAnswer);
    } catch (err) {
      parentPort!.postMessage({ error: err instanceof Error ? (err.stack ?? err.message) : String(err) } satisfies ChunkAnswer);
    }
  });
});
