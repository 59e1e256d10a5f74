import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Store } from '../store/store';
import { buildDigest } from './build';
import { renderChartPng } from './chart';
import { readDigestData } from './data';
import { localDay } from './time';

export interface PrintOptions {
  timeZone: string;
  /** Where the chart goes (default CHARTDIR/digest-DAY.png). */
  chartPath?: string;
  /** The folder for the chart (default ./data, beside the default database). */
  chartDir?: string;
  /** The end of the 24-hour window; default: the newest post in the store (a replay's own time), else now. */
  at?: Date;
  hours?: number;
  brandName?: string;
  guildId?: string;
  llm?: boolean;
}

/**
 * The digest for the terminal (the embedded demo ends with it): the last 24 hours of the stream as text, and
 * the chart written to a file whose path is returned.
 */
export function printDigest(store: Store, opts: PrintOptions): { text: string; chartPath: string } {
  const newest = (store.db.prepare('SELECT MAX(created_at) AS at FROM posts').get() as { at: string | null }).at;
  // One second past the newest post, so that post falls inside the window; rounded up to the next hour.
  const end = opts.at ?? (newest ? new Date(Math.ceil((Date.parse(newest) + 1000) / 3_600_000) * 3_600_000) : new Date());
  const from = new Date(end.getTime() - (opts.hours ?? 24) * 3_600_000);
  const day = localDay(new Date(end.getTime() - 1), opts.timeZone);
  const data = readDigestData(store, { day, from, to: end, timeZone: opts.timeZone, guildId: opts.guildId, llm: opts.llm });
  const digest = buildDigest(data, { brandName: opts.brandName });
  const chartPath = opts.chartPath ?? join(opts.chartDir ?? 'data', `digest-${day}.png`);
  mkdirSync(dirname(chartPath), { recursive: true });
  writeFileSync(chartPath, renderChartPng(data));
  return { text: `${digest.text}\n\nChart: ${chartPath}`, chartPath };
}

/**
 * Hours covered by the posts in the store, rounded up and capped: a replay of a few days (the demo) gets one
 * digest of all of it rather than of its last day only.
 */
export function storedSpanHours(store: Store, cap = 72): number {
  const r = store.db.prepare('SELECT MIN(created_at) AS a, MAX(created_at) AS b FROM posts').get() as { a: string | null; b: string | null };
  if (!r.a || !r.b) return 24;
  const hours = Math.ceil((Date.parse(r.b) - Date.parse(r.a)) / 3_600_000) + 1;
  return Math.max(24, Math.min(cap, hours));
}
