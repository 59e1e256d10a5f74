/**
 * The worker thread of TriageAhead (triage-ahead.ts): triages each batch it is sent with the brand, the model and
 * the watch and rising terms it is given, and answers with the verdicts in order (null for a post whose triage
 * threw: the main thread triages that one itself, and fails it the same way), and with trendIgnore what the trends
 * read of each post (trendTextOf).
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { Post } from './domain/post';
import type { Triage } from './domain/verdict';
import type { AheadReply, AheadRequest, AheadSetup } from './triage-ahead';
import { createTriager } from './detect/triage';
import { trendTextOf, type TrendText } from './detect/trends';

const port = parentPort;
if (!port) throw new Error('triage-worker runs as a worker thread (see triage-ahead.ts)');
const setup = workerData as AheadSetup;
let watch: readonly string[] = [];
let rising: readonly string[] = [];
const triage = createTriager({ brand: setup.brand, watchTerms: () => watch, risingTerms: () => rising }, setup.model);
const trendIgnore = setup.trendIgnore && new Set(setup.trendIgnore);

// Loaded: from now on the main thread waits for this worker's verdicts rather than triage in process.
port.postMessage({ ready: true } satisfies AheadReply);

port.on('message', (m: AheadRequest) => {
  // The main thread is past this batch (it triaged it while this worker was starting): no work for nothing.
  if (m.id < Atomics.load(setup.handling, 0)) {
    port.postMessage({ id: m.id, verdicts: null } satisfies AheadReply);
    return;
  }
  watch = m.watch;
  rising = m.rising;
  const verdicts: (Triage | null)[] = m.posts.map((post: Post) => {
    try {
      return triage(post);
    } catch {
      return null;
    }
  });
  // What the trends read of each post depends on its text alone: read here, off the main thread.
  const texts = trendIgnore && m.posts.map((post: Post): TrendText | null => {
    try {
      return trendTextOf(post.text, trendIgnore);
    } catch {
      return null;
    }
  });
  port.postMessage({ id: m.id, verdicts, ...(texts ? { texts } : {}) } satisfies AheadReply);
});
