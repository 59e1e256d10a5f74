import type { DismissReason, Status } from '../domain/opportunity';
import type { Store } from './store';

/** Queries for /stats and /draft. Ranges are [from, to) ISO instants; undefined means unbounded. */
export interface Range {
  from?: string;
  to?: string;
}

const between = (col: string) => `(? IS NULL OR ${col} >= ?) AND (? IS NULL OR ${col} < ?)`;
const args = (r: Range) => [r.from ?? null, r.from ?? null, r.to ?? null, r.to ?? null];

/** Posts Kairos read (received) in the range. */
export function postsRead(store: Store, r: Range = {}): number {
  return (store.db.prepare(`SELECT COUNT(*) AS n FROM posts WHERE ${between('received_at')}`).get(...args(r)) as { n: number }).n;
}

export type CardCounts = Record<'opportunity' | 'risk', Record<Status, number>>;

/** Cards made in the range, by kind and current status. */
export function cardsByKindAndStatus(store: Store, r: Range = {}): CardCounts {
  const zero = (): Record<Status, number> => ({ new: 0, flagged: 0, claimed: 0, approved: 0, dismissed: 0 });
  const out: CardCounts = { opportunity: zero(), risk: zero() };
  const rows = store.db
    .prepare(`SELECT kind, status, COUNT(*) AS n FROM opportunities WHERE ${between('created_at')} GROUP BY kind, status`)
    .all(...args(r)) as { kind: 'opportunity' | 'risk'; status: Status; n: number }[];
  for (const row of rows) out[row.kind][row.status] = row.n;
  return out;
}

export interface Decisions {
  approved: number;
  claimed: number;
  edited: number;
  regenerated: number;
  dismissed: number;
  dismissedBy: Partial<Record<DismissReason | 'unknown', number>>;
}

/** What people did in the range, from the audit trail. */
export function decisions(store: Store, r: Range = {}): Decisions {
  const rows = store.db
    .prepare(`SELECT action, reason, COUNT(*) AS n FROM actions WHERE ${between('at')} GROUP BY action, reason`)
    .all(...args(r)) as { action: string; reason: string | null; n: number }[];
  const out: Decisions = { approved: 0, claimed: 0, edited: 0, regenerated: 0, dismissed: 0, dismissedBy: {} };
  for (const row of rows) {
    if (row.action === 'dismissed') {
      out.dismissed += row.n;
      const key = (row.reason ?? 'unknown') as DismissReason | 'unknown';
      out.dismissedBy[key] = (out.dismissedBy[key] ?? 0) + row.n;
    } else if (row.action in out && row.action !== 'dismissedBy') {
      (out as unknown as Record<string, number>)[row.action] += row.n;
    }
  }
  return out;
}

/** A post the store has seen, found by its URL (or, for X links, its status id), for /draft. */
export function findPostByUrl(store: Store, url: string): { text: string; lang?: string } | null {
  const byUrl = store.db.prepare(`SELECT json FROM posts WHERE json_extract(json, '$.url') = ? LIMIT 1`).get(url) as
    | { json: string }
    | undefined;
  const xId = /^https?:\/\/(?:www\.|mobile\.)?(?:x|twitter)\.com\/[^/]+\/status\/(\d+)/i.exec(url)?.[1];
  const row =
    byUrl ??
    (xId ? (store.db.prepare('SELECT json FROM posts WHERE id = ?').get(`x:${xId}`) as { json: string } | undefined) : undefined);
  if (!row) return null;
  const post = JSON.parse(row.json) as { text: string; lang?: string };
  return { text: post.text, lang: post.lang };
}
