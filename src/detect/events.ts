import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { parseYamlFile } from '../domain/yaml-file';
import type { WatchEntry } from './trends';

/**
 * The event calendar (prompts/events.yaml, or KAIROS_EVENTS_FILE): national holidays, big matches, the
 * brand's own events, with their dates and terms. Active events feed the trends detector as watched terms and
 * triage as watch terms.
 */

export const DEFAULT_EVENTS_FILE = fileURLToPath(new URL('../../prompts/events.yaml', import.meta.url));

const Day = z.iso.date();

export const CalendarEventSchema = z
  .object({
    name: z.string().min(1).max(100),
    kind: z.enum(['holiday', 'sport', 'brand', 'culture']),
    from: z.union([Day, z.date().transform((d) => d.toISOString().slice(0, 10))]).optional(),
    to: z.union([Day, z.date().transform((d) => d.toISOString().slice(0, 10))]).optional(),
    terms: z.array(z.coerce.string().trim().min(1).max(60)).min(1).max(30),
  })
  .refine((e) => (e.from === undefined) === (e.to === undefined), 'give both from and to, or neither')
  .refine((e) => !e.from || !e.to || e.from <= e.to, 'from must not be after to');
export type CalendarEvent = z.infer<typeof CalendarEventSchema>;

export const CalendarSchema = z.object({ events: z.array(CalendarEventSchema).default([]) });

export class CalendarError extends Error {
  override name = 'CalendarError';
}

/** Reads and validates a calendar file; a wrong entry names its place and problem. */
export function loadCalendar(path: string = DEFAULT_EVENTS_FILE): CalendarEvent[] {
  let raw: unknown;
  try {
    raw = parseYamlFile(path);
  } catch (err) {
    throw new CalendarError(`cannot read the event calendar ${path}: ${(err as Error).message}`);
  }
  const parsed = CalendarSchema.safeParse(raw ?? {});
  if (!parsed.success) {
    const i = parsed.error.issues[0]!;
    throw new CalendarError(`event calendar ${path}: ${i.path.join('.') || '(file)'}: ${i.message}`);
  }
  return parsed.data.events;
}

/** Events on a calendar day (YYYY-MM-DD); events without dates are always on. */
export function activeEvents(events: readonly CalendarEvent[], day: string): CalendarEvent[] {
  return events.filter((e) => !e.from || !e.to || (e.from <= day && day <= e.to));
}

/** The detector's watch list for a day: the active events' terms and the team's /watch terms. */
export function watchEntries(events: readonly CalendarEvent[], day: string, watchTerms: readonly string[] = []): WatchEntry[] {
  const out: WatchEntry[] = [];
  for (const e of activeEvents(events, day)) {
    const [first, ...aliases] = e.terms.map((t) => t.toLowerCase());
    out.push({ term: first!, aliases, source: 'event', event: e.name });
  }
  for (const t of watchTerms) out.push({ term: t.toLowerCase(), source: 'watch' });
  return out;
}

/** Lower-case terms of the events active on a day, for TriageContext.watchTerms. */
export function activeEventTerms(events: readonly CalendarEvent[], day: string): string[] {
  return activeEvents(events, day).flatMap((e) => e.terms.map((t) => t.toLowerCase()));
}
