import { z } from 'zod';
import type { Moment } from '../detect/trends';
import type { Db } from './db';

/** Rising moments as the store keeps them (the moments table): for the digest and the moment card. */

const SampleSchema = z.object({
  id: z.string().optional(),
  text: z.string(),
  author: z.string().optional(),
  url: z.string().optional(),
  createdAt: z.string(),
  kind: z.enum(['opportunity', 'risk', 'service', 'noise']).optional(),
});

export interface StoredMoment extends Moment {
  id: number;
  messageId: string | null;
  channelId: string | null;
}

/**
 * Records a moment; the same term at the same stream time (a replay, a resumed one) is recorded once. Returns its
 * row, with whether this call made it.
 */
export function recordMoment(db: Db, m: Moment, at: Date = new Date()): { moment: StoredMoment; isNew: boolean } {
  const inserted = db.prepare(
    `INSERT OR IGNORE INTO moments (term, source, event, detected_at, now_per_hour, baseline_per_hour, ratio, authors, samples, created_at)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  ).run(m.term, m.source, m.event ?? null, m.at, m.nowPerHour, m.baselinePerHour, m.ratio, m.authors, JSON.stringify(m.samples), at.toISOString());
  const row = db.prepare('SELECT * FROM moments WHERE term = ? AND detected_at = ?').get(m.term, m.at) as Record<string, unknown>;
  return { moment: { ...toMoment(row), windowMinutes: m.windowMinutes }, isNew: inserted.changes > 0 };
}

/** Moments detected in [from, to) (ISO times), oldest first. */
export function listMoments(db: Db, from?: string, to?: string): StoredMoment[] {
  const rows = db
    .prepare(
      `SELECT * FROM moments WHERE (? IS NULL OR detected_at >= ?) AND (? IS NULL OR detected_at < ?) ORDER BY detected_at, id`,
    )
    .all(from ?? null, from ?? null, to ?? null, to ?? null) as Record<string, unknown>[];
  return rows.map(toMoment);
}

export function getMoment(db: Db, id: number): StoredMoment | null {
  const r = db.prepare('SELECT * FROM moments WHERE id = ?').get(id) as Record<string, unknown> | undefined;
  return r ? toMoment(r) : null;
}

/** Moments recorded since `since` (wall-clock) that never reached the channel, oldest first. */
export function unpostedMoments(db: Db, since: Date): StoredMoment[] {
  const rows = db
    .prepare('SELECT * FROM moments WHERE message_id IS NULL AND created_at >= ? ORDER BY created_at, id')
    .all(since.toISOString()) as Record<string, unknown>[];
  return rows.map(toMoment);
}

export function markMomentPosted(db: Db, id: number, ref: { messageId: string; channelId?: string }): void {
  db.prepare('UPDATE moments SET message_id = ?, channel_id = ? WHERE id = ?').run(ref.messageId, ref.channelId ?? null, id);
}

function toMoment(r: Record<string, unknown>): StoredMoment {
  const samples = z.array(SampleSchema).safeParse(JSON.parse(String(r.samples)));
  return {
    id: r.id as number,
    term: r.term as string,
    source: r.source as Moment['source'],
    event: (r.event as string | null) ?? undefined,
    at: r.detected_at as string,
    nowPerHour: r.now_per_hour as number,
    baselinePerHour: r.baseline_per_hour as number,
    ratio: r.ratio as number,
    authors: r.authors as number,
    windowMinutes: 0,
    samples: samples.success ? samples.data : [],
    messageId: (r.message_id as string | null) ?? null,
    channelId: (r.channel_id as string | null) ?? null,
  };
}
