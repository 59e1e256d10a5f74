import pino from 'pino';
import type { Analyst } from '../../src/analyse/analyst';
import { loadConfig, type Config } from '../../src/config';
import type { Analysis } from '../../src/domain/analysis';
import type { Post } from '../../src/domain/post';
import type { Triage } from '../../src/domain/verdict';
import { REDACT_PATHS, type Logger } from '../../src/log';
import { Inbox } from '../../src/ingress/inbox';
import { Pipeline } from '../../src/pipeline';
import { openSqlite } from '../../src/store/sqlite';
import type { FakeX } from '../fakes/x';

/** A logger whose lines the test can read (to check what was said, and that no token was). */
export function captureLogger(): { log: Logger; lines: string[]; text: () => string } {
  const lines: string[] = [];
  const log = pino({ level: 'debug', redact: { paths: REDACT_PATHS, censor: '[secret]' } }, { write: (s: string) => void lines.push(s) });
  return { log, lines, text: () => lines.join('') };
}

export function xConfig(fake: FakeX, env: Record<string, string> = {}): Config {
  return loadConfig({
    X_MODE: 'stream',
    X_BEARER_TOKEN: 'test-bearer-token-0001',
    X_API_URL: fake.url,
    BRAND_HANDLES: 'OranjeAir',
    BRAND_TERMS: 'Oranje Air',
    BRAND_LANGUAGES: 'en,nl',
    ...env,
  });
}

export const TEST_BACKOFF = { baseMs: 20, maxMs: 200, resetMarginMs: 50 };

export const analysis: Analysis = {
  summary: 'A fan asks',
  why: 'because',
  gesture: null,
  reply: 'Congratulations from all of us at Oranje Air!',
  publicPost: null,
  verifyFirst: [],
  risks: [],
  analyst: 'offline',
  notes: [],
};

/** Every post with "moment" in it becomes a card; the rest is noise. */
export const triage = (post: { text: string }): Triage =>
  /moment/i.test(post.text)
    ? { kind: 'opportunity', score: 0.9, signals: ['milestone'], lang: 'en' }
    : { kind: 'noise', score: 0.1, signals: [], lang: 'en' };

export const analyst: Analyst = {
  name: 'offline',
  analyse: async () => analysis,
  draft: async () => ({ reply: analysis.reply, publicPost: null, analyst: 'offline', notes: [] }),
};

/** A real Pipeline over an in-memory Store, counting what it processed and what it saw twice. */
export function pipeline(log: Logger, store = openSqlite(':memory:'), onCard?: (id: number) => void) {
  const counts = { processed: 0, duplicate: 0, ids: [] as string[] };
  const p = new Pipeline({ store, triage, analyst, sinks: ['test'], log, onCard });
  const emit = async (post: Parameters<Pipeline['ingest']>[0]) => {
    const r = await p.ingest(post);
    if (r.status === 'duplicate') counts.duplicate++;
    else {
      counts.processed++;
      counts.ids.push(post.id);
    }
  };
  return { store, pipeline: p, counts, emit };
}

/** The inbox pushed posts wait in, processed by a real test Pipeline (as the composition root wires it). */
export function pushedInbox(log: Logger, store = openSqlite(':memory:'), onCard?: (id: number) => void) {
  const p = pipeline(log, store, onCard);
  const inbox = new Inbox({ store, worker: 'test-worker', log, process: (post) => p.pipeline.ingest(post), retryMs: 20 });
  return { ...p, inbox };
}

export async function until(cond: () => boolean | Promise<boolean>, timeoutMs = 5000, what = 'condition'): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** A real Pipeline over a store whose triage records every post it sees and makes a card of each. */
export function cardPipeline(store: ReturnType<typeof openSqlite>, log = captureLogger().log) {
  const triaged: Post[] = [];
  const triage = (post: Post): Triage => {
    triaged.push(post);
    return { kind: 'opportunity', score: 0.9, signals: ['milestone'], lang: 'en' };
  };
  const p = new Pipeline({ store, triage, analyst, sinks: ['test'], log });
  return { triaged, emit: (post: Post) => p.ingest(post) };
}
