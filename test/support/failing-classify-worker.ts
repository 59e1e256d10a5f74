/**
 * A stand-in for classify's worker (src/classify-worker.ts) that fails on its second chunk: by exiting
 * (FAIL=exit in the environment) or by answering with an error (otherwise), as a worker that ran out of memory or hit a bug would.
 * Its first chunk is answered with a line per input line.
 */
import { parentPort } from 'node:worker_threads';

let chunks = 0;
parentPort!.on('message', ({ text }: { first: number; text: string }) => {
  if (++chunks === 2) {
    if (process.env.FAIL === 'exit') process.exit(3);
    parentPort!.postMessage({ error: 'Error: boom' });
    return;
  }
  parentPort!.postMessage({ text: text.split('\n').map(() => '{"stand-in":true}\n').join('') });
});
