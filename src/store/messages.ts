import type { Db } from './db';

/**
 * The outbox of every message that is not a card (the messages table): a rising moment's card, the digest, a
 * notice, a line in a card's thread. Queued once under a key that names what it is, delivered oldest first.
 */
export interface QueuedMessage {
  id: number;
  key: string;
  sink: string;
  /** Where it goes when not the sink's own channel (a card's thread). */
  channelId: string | null;
  body: Record<string, unknown>;
  file: { name: string; data: Buffer } | null;
  status: 'pending' | 'sent' | 'failed';
  attempts: number;
  nextAttemptAt: string;
  lastError: string | null;
  /** When the first post began; null until then. */
  firstAttemptAt: string | null;
  messageId: string | null;
  createdAt: string;
}

export interface NewMessage {
  key: string;
  sink: string;
  channelId?: string;
  body: Record<string, unknown>;
  file?: { name: string; data: Buffer };
}

/** Queues a message; a key already queued (a resumed replay, a retried tick) is kept as it is. Returns whether it was new. */
export function queueMessage(db: Db, m: NewMessage, at: Date = new Date()): boolean {
  const iso = at.toISOString();
  return (
    db
      .prepare(
        `INSERT OR IGNORE INTO messages (key, sink, channel_id, body, file_name, file_data, status, next_attempt_at, created_at)
         VALUES (?, ?, ?, ?, ?, ?, 'pending', ?, ?)`,
      )
      .run(m.key, m.sink, m.channelId ?? null, JSON.stringify(m.body), m.file?.name ?? null, m.file?.data ?? null, iso, iso).changes > 0
  );
}

export function messageByKey(db: Db, key: string): QueuedMessage | null {
  const r = db.prepare('SELECT * FROM messages WHERE key = ?').get(key) as Record<string, unknown> | undefined;
  return r ? toMessage(r) : null;
}

export function nextPendingMessage(db: Db, sink: string): QueuedMessage | null {
  const r = db.prepare(`SELECT * FROM messages WHERE sink = ? AND status = 'pending' ORDER BY id LIMIT 1`).get(sink) as
    | Record<string, unknown>
    | undefined;
  return r ? toMessage(r) : null;
}

export function pendingMessages(db: Db, sink?: string): number {
  return (
    db.prepare(`SELECT COUNT(*) AS n FROM messages WHERE status = 'pending' AND (? IS NULL OR sink = ?)`).get(sink ?? null, sink ?? null) as {
      n: number;
    }
  ).n;
}

/** Written before the first post: from then on a copy may exist, and recovery looks for it from this time. */
export function markMessageAttempt(db: Db, id: number, at: Date): string {
  db.prepare('UPDATE messages SET first_attempt_at = COALESCE(first_attempt_at, ?) WHERE id = ?').run(at.toISOString(), id);
  return (db.prepare('SELECT first_attempt_at AS t FROM messages WHERE id = ?').get(id) as { t: string }).t;
}

export function markMessageSent(db: Db, id: number, messageId: string, at: Date): void {
  db.prepare(`UPDATE messages SET status = 'sent', message_id = ?, sent_at = ?, attempts = attempts + 1 WHERE id = ?`).run(
    messageId,
    at.toISOString(),
    id,
  );
}

export function markMessageFailed(db: Db, id: number, error: string, retryAt: Date | null, now: Date): void {
  db.prepare(`UPDATE messages SET attempts = attempts + 1, last_error = ?, next_attempt_at = ?, status = ? WHERE id = ?`).run(
    error.slice(0, 500),
    (retryAt ?? now).toISOString(),
    retryAt ? 'pending' : 'failed',
    id,
  );
}

function toMessage(r: Record<string, unknown>): QueuedMessage {
  return {
    id: r.id as number,
    key: r.key as string,
    sink: r.sink as string,
    channelId: (r.channel_id as string | null) ?? null,
    body: JSON.parse(r.body as string) as Record<string, unknown>,
    file: r.file_name ? { name: r.file_name as string, data: r.file_data as Buffer } : null,
    status: r.status as QueuedMessage['status'],
    attempts: r.attempts as number,
    nextAttemptAt: r.next_attempt_at as string,
    lastError: (r.last_error as string | null) ?? null,
    firstAttemptAt: (r.first_attempt_at as string | null) ?? null,
    messageId: (r.message_id as string | null) ?? null,
    createdAt: r.created_at as string,
  };
}
