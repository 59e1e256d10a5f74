/** Calendar days and times of day in a time zone, DST-aware (a day is 23, 24 or 25 hours). */
import { dateFormat } from '../domain/date-format';

function offsetMs(at: number, timeZone: string): number {
  const parts = Object.fromEntries(
    dateFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    })
      .formatToParts(new Date(at))
      .map((p) => [p.type, p.value]),
  );
  const local = Date.UTC(+parts.year!, +parts.month! - 1, +parts.day!, +parts.hour!, +parts.minute!, +parts.second!);
  return local - Math.floor(at / 1000) * 1000;
}

/** The instant a local wall-clock time (day YYYY-MM-DD, HH:MM) happens in a time zone. */
export function zonedTime(day: string, hhmm: string, timeZone: string): Date {
  const [y, m, d] = day.split('-').map(Number) as [number, number, number];
  const [hh, mm] = hhmm.split(':').map(Number) as [number, number];
  const guess = Date.UTC(y, m - 1, d, hh, mm);
  const first = guess - offsetMs(guess, timeZone);
  return new Date(guess - offsetMs(first, timeZone));
}

/** The calendar day (YYYY-MM-DD) of an instant in a time zone. */
export function localDay(at: Date, timeZone: string): string {
  return dateFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' }).format(at);
}

/** The local hour (00–23) of an instant in a time zone. */
export function localHour(at: Date, timeZone: string): string {
  return dateFormat('en-GB', { timeZone, hour: '2-digit', hourCycle: 'h23' }).format(at);
}

/** The day before a calendar day. */
export function previousDay(day: string): string {
  const d = new Date(`${day}T12:00:00Z`);
  d.setUTCDate(d.getUTCDate() - 1);
  return d.toISOString().slice(0, 10);
}

/**
 * The window a day's digest covers: from the digest time the day before to the digest time that day, so the
 * 09:00 digest tells what happened since yesterday's 09:00.
 */
export function digestWindow(day: string, digestTime: string, timeZone: string): { from: Date; to: Date } {
  return { from: zonedTime(previousDay(day), digestTime, timeZone), to: zonedTime(day, digestTime, timeZone) };
}
