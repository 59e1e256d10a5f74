import { loadBrandPack } from './analyse/brand-pack';
import { offlineAnalystFor, type OfflineAnalyst } from './analyse/offline';
import type { Config } from './config';
import { staticContext } from './detect/context';
import { loadCalendar } from './detect/events';
import { languageDetectorLoaded, loadLanguageDetector, needsLanguageDetector } from './detect/lang';
import { detectionReading } from './detect/reading';
import { createTriager } from './detect/triage';
import type { JsonlLine } from './sources/jsonl';
import { isCardKind } from './domain/verdict';

/** What `classify` makes of its input lines, one Verdict line each: the same in the main thread and in a worker. */
export interface VerdictLines {
  triage: ReturnType<typeof createTriager>;
  /** The drafts' writer, made at its first use (the team's brand pack and calendar are read then). */
  analyst(): OfflineAnalyst;
  /** Each item's verdict line (no newline) to `emit`, in order; stops early once `stop` says so. */
  write(items: readonly JsonlLine[], emit: (line: string) => void, stop?: () => boolean): Promise<void>;
}

export function verdictLines(brand: Config['brand'], eventsFile?: string): VerdictLines {
  const triage = createTriager(staticContext(brand));
  // The drafts' templates and calendar are read at the first card: most posts are not cards.
  let drafts: OfflineAnalyst | undefined;
  const analyst = () =>
    (drafts ??= offlineAnalystFor({ brand }, loadBrandPack(brand.dir), {
      usage: () => () => 0,
      triage,
      events: loadCalendar(eventsFile),
      reading: detectionReading,
    }));
  const line = (item: JsonlLine): string => {
    if (!item.ok) return JSON.stringify({ id: null, line: item.line, error: item.error });
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
    return JSON.stringify(verdict);
  };
  return {
    triage,
    analyst,
    async write(items, emit, stop) {
      for (const item of items) {
        if (stop?.()) return;
        // The n-gram language detector loads when a post first needs it (see detect/lang-mode.ts).
        if (item.ok && !languageDetectorLoaded() && needsLanguageDetector(item.post.text, item.post.lang)) await loadLanguageDetector();
        emit(line(item));
      }
    },
  };
}
