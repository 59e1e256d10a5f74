import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { PostStore } from '../domain/ports';
import type { Teaching } from '../domain/label';
import { buildDigest } from '../discord/digest';
import { readDigestData, type DigestReader } from './data';
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
  /** The "came close" list and the team's labels. */
  teaching?: Pick<Teaching, 'closeness' | 'model'>;
}

/**
 * The digest for the terminal (the embedded demo ends with it): the last 24 hours of the stream as text, and
 * the chart written to a file whose path is returned.
 */
export async function printDigest(store: DigestReader & Pick<PostStore, 'postSpan'>, opts: PrintOptions): Promise<{ text: string; chartPath: string }> {
  const newest = (await store.postSpan())?.last;
  // One second past the newest post, so that post falls inside the window; rounded up to the next hour.
  const end = opts.at ?? (newest ? new Date(Math.ceil((Date.parse(newest) + 1000) / 3_600_000) * 3_600_000) : new Date());
  const from = new Date(end.getTime() - (opts.hours ?? 24) * 3_600_000);
  const day = localDay(new Date(end.getTime() - 1), opts.timeZone);
  const data = await readDigestData(store, { day, from, to: end, timeZone: opts.timeZone, guildId: opts.guildId, llm: opts.llm, teaching: opts.teaching });
  const digest = buildDigest(data, { brandName: opts.brandName });
  const chartPath = opts.chartPath ?? join(opts.chartDir ?? 'data', `digest-${day}.png`);
  mkdirSync(dirname(chartPath), { recursive: true });
  // The rasteriser (a native module) is loaded when a chart is drawn, at the end of a run, not for all of it.
  const { renderChartPng } = await import('./chart');
  writeFileSync(chartPath, renderChartPng(data));
  return { text: `${digest.text}\n\nChart: ${chartPath}`, chartPath };
}

/**
 * Hours covered by the posts in the store, rounded up and capped: a replay of a few days (the demo) gets one
 * digest of all of it rather than of its last day only.
 */
export async function storedSpanHours(store: Pick<PostStore, 'postSpan'>, cap = 72): Promise<number> {
  const span = await store.postSpan();
  if (!span) return 24;
  const hours = Math.ceil((Date.parse(span.last) - Date.parse(span.first)) / 3_600_000) + 1;
  return Math.max(24, Math.min(cap, hours));
}
