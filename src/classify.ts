import { readFileSync } from 'node:fs';
import type { Readable, Writable } from 'node:stream';
import { loadBrandPack } from './analyse/brand-pack';
import { offlineAnalystFor } from './analyse/offline';
import type { Config } from './config';
import { staticContext } from './detect/context';
import { loadCalendar } from './detect/events';
import { languageDetectorLoaded, loadLanguageDetector, needsLanguageDetector } from './detect/lang';
import { warmUpSteps } from './detect/prefilter';
import { detectionReading } from './detect/reading';
import { createTriager } from './detect/triage';
import { parsePostLine, type Post } from './domain/post';
import { isCardKind } from './domain/verdict';
import { readJsonlBlocks } from './sources/jsonl';

/** Output is written in batches of about this many characters at most. */
const BATCH_CHARS = 64_000;
/** How long the input must have been quiet before a live stream's warm-up takes a step (ms). */
const QUIET_MS = 1;

/**
 * The `classify` command: one Verdict line per input line, in order. Each verdict goes out as soon as the input
 * that is already there has been read (a live pipe sees its verdict within milliseconds; a file is written in
 * 64 KB batches). A closed output (`classify | head`) ends the run quietly: it returns 'closed'.
 */
export async function classify(
  input: Readable,
  out: Writable,
  brand: Config['brand'],
  eventsFile?: string,
  opts: { live?: boolean } = {},
): Promise<'done' | 'closed'> {
  const triage = createTriager(staticContext(brand));
  // The drafts' templates and calendar are read at the first card: most posts are not cards, and a short batch
  // may have none. The team's own files (a brand pack, a calendar) are read at once all the same, so a mistake in
  // them stops the run before any output, with the file named.
  let drafts: ReturnType<typeof offlineAnalystFor> | undefined;
  const analyst = () =>
    (drafts ??= offlineAnalystFor({ brand }, loadBrandPack(brand.dir), {
      usage: () => () => 0,
      triage,
      events: loadCalendar(eventsFile),
      reading: detectionReading,
    }));
  if (brand.dir || eventsFile) analyst();
  let reading = true;
  // Since when the reader has been waiting for input (undefined while it works through what came in).
  let waitingSince: number | undefined = performance.now();
  if (opts.live) {
    // A live stream: while it waits for posts, everything the first posts would compile (the lexicon's patterns,
    // triage's and the drafts' code) is made ready, one small step at a time, only once the input has been quiet
    // for a moment: a stream that keeps the reader busy (a file piped in) would only pay for compiling what it may
    // never need, and compiles what it does need as it comes.
    // The drafts' files first: the heaviest step, best taken while the first lines are still being read.
    const steps = [() => void analyst(), ...warmUpSteps(), ...samplePosts(brand.handles[0]).map((post) => () => {
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
  const emit = (line: string) => {
    buffer += `${line}\n`;
    if (buffer.length >= BATCH_CHARS) flush();
    // setImmediate runs once the lines already read are done and the reader waits for more: the batch ends there.
    else if (!scheduled) {
      scheduled = true;
      setImmediate(flush);
    }
  };

  try {
    // Blank lines still get an error line, so output lines match input lines one to one. The lines are read a
    // chunk at a time (whatever has arrived): a live pipe's line is answered as soon as it comes all the same.
    read: for await (const items of readJsonlBlocks(input, { blankLines: true })) {
      waitingSince = undefined;
      for (const item of items) {
        if (closed) break read;
        if (!item.ok) {
          emit(JSON.stringify({ id: null, line: item.line, error: item.error }));
          continue;
        }
        // The n-gram language detector loads when a post first needs it (see detect/lang-mode.ts).
        if (!languageDetectorLoaded() && needsLanguageDetector(item.post.text, item.post.lang)) await loadLanguageDetector();
        const t = triage(item.post);
        const verdict: Record<string, unknown> = { id: item.post.id, kind: t.kind, score: t.score, signals: t.signals, lang: t.lang };
        if (t.strength) verdict.strength = t.strength;
        if (isCardKind(t.kind)) {
          const a = analyst().write(item.post, t.kind, t.signals, t.lang);
          verdict.gesture = a.gesture;
          verdict.drafts = { summary: a.summary, reply: a.reply, publicPost: a.publicPost, lang: a.lang };
          if (a.routes?.length) verdict.routes = a.routes;
          if (a.facts?.length) verdict.facts = a.facts;
        }
        emit(JSON.stringify(verdict));
      }
      if (drained) await drained;
      waitingSince = performance.now();
    }
  } catch (err) {
    // Destroying the input because the output closed ends its reader with a premature close: that is the quiet end.
    if (!closed) throw err;
  } finally {
    reading = false;
  }
  flush();
  if (drained) await drained;
  if (failure) throw failure;
  return closed ? 'closed' : 'done';
}

/** The demo stream's posts, as they are and addressed to us in two-byte text (an emoji): what warm-up triages. */
function samplePosts(handle: string | undefined): Post[] {
  const lines = readFileSync(new URL('./sources/demo-stream.jsonl', import.meta.url), 'utf8').split('\n');
  const posts = lines.flatMap((line) => {
    const p = line.trim() ? parsePostLine(line) : null;
    return p?.ok ? [p.post] : [];
  });
  return [...posts, ...posts.map((p) => ({ ...p, text: `@${handle ?? ''} ${p.text} 🙂` }))];
}
