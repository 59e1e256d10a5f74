import { AnalysisSchema, type Analysis } from '../domain/analysis';
import type { DismissReason, Opportunity, Status } from '../domain/opportunity';
import { canTransition } from '../domain/opportunity';
import { PostSchema, type Post } from '../domain/post';
import type { Kind, Signal, Triage } from '../domain/verdict';
import { openDb, type Db } from './db';

export type Clock = () => Date;

/** A post's key in the store: ids are only unique within a platform. */
export function postKey(post: Pick<Post, 'platform' | 'id'>): string {
  return `${post.platform}:${post.id}`;
}

export interface OutboxItem {
  id: number;
  opportunityId: number;
  sink: string;
  status: 'pending' | 'sent' | 'failed';
  attempts: number;
  nextAttemptAt: string;
  lastError: string | null;
  messageId: string | null;
  channelId: string | null;
  threadId: string | null;
  /** When the first post of this card began (null before): a copy of it can only exist from then on. */
  firstAttemptAt: string | null;
  createdAt: string;
}

export interface ActionRecord {
  id: number;
  opportunityId: number;
  actorId: string;
  actorName: string;
  action: string;
  reason: string | null;
  detail: string | null;
  at: string;
}

export interface Actor {
  id: string;
  name: string;
}

/** The result of asking for a status change: what the card is now, and whether this call changed it. */
export type TransitionResult =
  | { ok: true; opportunity: Opportunity }
  | { ok: false; opportunity: Opportunity; reason: 'closed' | 'not-found' | 'not-allowed' };

type OppRow = {
  id: number;
  post_id: string;
  kind: 'opportunity' | 'risk';
  score: number;
  signals: string;
  status: Status;
  analysis: string;
  claimed_by: string | null;
  created_at: string;
  updated_at: string;
  post_json: string;
};

const OPP_SELECT = `SELECT o.*, p.json AS post_json FROM opportunities o JOIN posts p ON p.id = o.post_id`;

function toOpportunity(r: OppRow): Opportunity {
  return {
    id: r.id,
    postId: r.post_id,
    kind: r.kind,
    score: r.score,
    signals: JSON.parse(r.signals) as Signal[],
    status: r.status,
    analysis: AnalysisSchema.parse(JSON.parse(r.analysis)),
    post: PostSchema.parse(JSON.parse(r.post_json)),
    claimedBy: r.claimed_by,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
}

function toOutbox(r: Record<string, unknown>): OutboxItem {
  return {
    id: r.id as number,
    opportunityId: r.opportunity_id as number,
    sink: r.sink as string,
    status: r.status as OutboxItem['status'],
    attempts: r.attempts as number,
    nextAttemptAt: r.next_attempt_at as string,
    lastError: (r.last_error as string | null) ?? null,
    messageId: (r.message_id as string | null) ?? null,
    channelId: (r.channel_id as string | null) ?? null,
    threadId: (r.thread_id as string | null) ?? null,
    firstAttemptAt: (r.first_attempt_at as string | null) ?? null,
    createdAt: r.created_at as string,
  };
}

/**
 * Kairos's memory, in one SQLite file. Every write that must not be half-done (a post, its verdict, its card and
 * the card's outbox entry) happens in one transaction.
 */
export class Store {
  readonly db: Db;
  private readonly now: Clock;

  constructor(pathOrDb: string | Db, clock: Clock = () => new Date()) {
    this.db = typeof pathOrDb === 'string' ? openDb(pathOrDb) : pathOrDb;
    this.now = clock;
  }

  close(): void {
    this.db.close();
  }

  /** When this store was created: the first migration's time, i.e. Kairos's first run on it. */
  createdAt(): Date {
    const r = this.db.prepare('SELECT applied_at FROM schema_migrations ORDER BY version LIMIT 1').get() as
      | { applied_at: string }
      | undefined;
    return r ? new Date(r.applied_at) : new Date();
  }

  private iso(): string {
    return this.now().toISOString();
  }

  // ── posts and verdicts ────────────────────────────────────────────────────────────────────────────────────

  hasPost(post: Pick<Post, 'platform' | 'id'>): boolean {
    return this.db.prepare('SELECT 1 FROM posts WHERE id = ?').get(postKey(post)) !== undefined;
  }

  /** The kind a post seen before was given, or null for a new post. */
  seenKind(post: Pick<Post, 'platform' | 'id'>): Kind | null {
    const r = this.db.prepare('SELECT kind FROM verdicts WHERE post_id = ?').get(postKey(post)) as { kind: Kind } | undefined;
    return r?.kind ?? null;
  }

  /**
   * Records a post and its verdict, and for an opportunity or a risk its card and an outbox entry per sink, all
   * at once. Returns null when the post was already seen (it is then not processed again).
   */
  recordPost(
    post: Post,
    triage: Triage,
    card?: { analysis: Analysis; sinks: string[] },
  ): { opportunityId: number | null } | null {
    return this.db.transaction(() => {
      const at = this.iso();
      const key = postKey(post);
      const inserted = this.db
        .prepare(
          'INSERT OR IGNORE INTO posts (id, platform, author_handle, created_at, received_at, json) VALUES (?, ?, ?, ?, ?, ?)',
        )
        .run(key, post.platform, post.author.handle, post.createdAt, at, JSON.stringify(post));
      if (inserted.changes === 0) return null;
      this.db
        .prepare('INSERT INTO verdicts (post_id, kind, score, signals, lang, at, review) VALUES (?, ?, ?, ?, ?, ?, ?)')
        .run(key, triage.kind, triage.score, JSON.stringify(triage.signals), triage.lang, at, triage.review ? JSON.stringify(triage.review) : null);
      if (!card || (triage.kind !== 'opportunity' && triage.kind !== 'risk')) return { opportunityId: null };
      const opp = this.db
        .prepare(
          `INSERT INTO opportunities (post_id, kind, score, signals, status, analysis, gesture_id, created_at, updated_at)
           VALUES (?, ?, ?, ?, 'new', ?, ?, ?, ?)`,
        )
        .run(
          key,
          triage.kind,
          triage.score,
          JSON.stringify(triage.signals),
          JSON.stringify(card.analysis),
          card.analysis.gesture?.id ?? null,
          at,
          at,
        );
      const opportunityId = Number(opp.lastInsertRowid);
      for (const sink of card.sinks) this.enqueue(opportunityId, sink);
      return { opportunityId };
    })();
  }

  /** Kinds counted over [from, to) by post creation time (or all time). */
  countByKind(from?: string, to?: string): Record<Kind, number> {
    const rows = this.db
      .prepare(
        `SELECT v.kind, COUNT(*) AS n FROM verdicts v JOIN posts p ON p.id = v.post_id
         WHERE (? IS NULL OR p.created_at >= ?) AND (? IS NULL OR p.created_at < ?) GROUP BY v.kind`,
      )
      .all(from ?? null, from ?? null, to ?? null, to ?? null) as { kind: Kind; n: number }[];
    const out: Record<Kind, number> = { opportunity: 0, risk: 0, service: 0, noise: 0 };
    for (const r of rows) out[r.kind] = r.n;
    return out;
  }

  // ── opportunities ─────────────────────────────────────────────────────────────────────────────────────────

  getOpportunity(id: number): Opportunity | null {
    const r = this.db.prepare(`${OPP_SELECT} WHERE o.id = ?`).get(id) as OppRow | undefined;
    return r ? toOpportunity(r) : null;
  }

  getOpportunityByPost(post: Pick<Post, 'platform' | 'id'>): Opportunity | null {
    const r = this.db.prepare(`${OPP_SELECT} WHERE o.post_id = ?`).get(postKey(post)) as OppRow | undefined;
    return r ? toOpportunity(r) : null;
  }

  listOpportunities(
    filter: { status?: Status[]; kind?: 'opportunity' | 'risk'; from?: string; to?: string; limit?: number; offset?: number } = {},
  ): Opportunity[] {
    const where: string[] = [];
    const args: unknown[] = [];
    if (filter.status?.length) {
      where.push(`o.status IN (${filter.status.map(() => '?').join(',')})`);
      args.push(...filter.status);
    }
    if (filter.kind) {
      where.push('o.kind = ?');
      args.push(filter.kind);
    }
    if (filter.from) {
      where.push('o.created_at >= ?');
      args.push(filter.from);
    }
    if (filter.to) {
      where.push('o.created_at < ?');
      args.push(filter.to);
    }
    const sql = `${OPP_SELECT} ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
      ORDER BY o.created_at DESC, o.id DESC LIMIT ? OFFSET ?`;
    args.push(filter.limit ?? 50, filter.offset ?? 0);
    return (this.db.prepare(sql).all(...args) as OppRow[]).map(toOpportunity);
  }

  /** Replaces a card's content (an edit, a regenerated draft) and records who did it. */
  updateAnalysis(id: number, analysis: Analysis, actor: Actor, action: string, detail?: string): TransitionResult {
    return this.db.transaction((): TransitionResult => {
      const current = this.getOpportunity(id);
      if (!current) return { ok: false, opportunity: undefined as never, reason: 'not-found' };
      if (current.status === 'approved' || current.status === 'dismissed') {
        return { ok: false, opportunity: current, reason: 'closed' };
      }
      this.db
        .prepare('UPDATE opportunities SET analysis = ?, gesture_id = ?, updated_at = ? WHERE id = ?')
        .run(JSON.stringify(analysis), analysis.gesture?.id ?? null, this.iso(), id);
      this.audit(id, actor, action, null, detail ?? null);
      return { ok: true, opportunity: this.getOpportunity(id) as Opportunity };
    })();
  }

  /**
   * Moves a card along its lifecycle, atomically: two people clicking at once get one change and one "already
   * done". 'flagged' is the delivery step and is not audited as a person's action.
   */
  transition(id: number, to: Status, actor: Actor, reason?: DismissReason | string, detail?: string): TransitionResult {
    return this.db.transaction((): TransitionResult => {
      const current = this.getOpportunity(id);
      if (!current) return { ok: false, opportunity: undefined as never, reason: 'not-found' };
      if (!canTransition(current.status, to)) {
        return {
          ok: false,
          opportunity: current,
          reason: current.status === 'approved' || current.status === 'dismissed' ? 'closed' : 'not-allowed',
        };
      }
      const claimedBy = to === 'claimed' ? actor.name : current.claimedBy;
      this.db
        .prepare('UPDATE opportunities SET status = ?, claimed_by = ?, updated_at = ? WHERE id = ? AND status = ?')
        .run(to, claimedBy, this.iso(), id, current.status);
      if (to !== 'flagged') this.audit(id, actor, to, reason ?? null, detail ?? null);
      return { ok: true, opportunity: this.getOpportunity(id) as Opportunity };
    })();
  }

  audit(opportunityId: number, actor: Actor, action: string, reason: string | null, detail: string | null): void {
    this.db
      .prepare(
        'INSERT INTO actions (opportunity_id, actor_id, actor_name, action, reason, detail, at) VALUES (?, ?, ?, ?, ?, ?, ?)',
      )
      .run(opportunityId, actor.id, actor.name, action, reason, detail, this.iso());
  }

  actionsFor(opportunityId: number): ActionRecord[] {
    return (
      this.db.prepare('SELECT * FROM actions WHERE opportunity_id = ? ORDER BY id').all(opportunityId) as Record<
        string,
        unknown
      >[]
    ).map((r) => ({
      id: r.id as number,
      opportunityId: r.opportunity_id as number,
      actorId: r.actor_id as string,
      actorName: r.actor_name as string,
      action: r.action as string,
      reason: (r.reason as string | null) ?? null,
      detail: (r.detail as string | null) ?? null,
      at: r.at as string,
    }));
  }

  /** Gestures proposed on cards created in the current calendar month (UTC), for the catalogue's caps. */
  gestureUsageThisMonth(): (gestureId: string) => number {
    const now = this.now();
    const start = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1)).toISOString();
    const rows = this.db
      .prepare(
        `SELECT gesture_id, COUNT(*) AS n FROM opportunities
         WHERE gesture_id IS NOT NULL AND created_at >= ? AND status != 'dismissed' GROUP BY gesture_id`,
      )
      .all(start) as { gesture_id: string; n: number }[];
    const counts = new Map(rows.map((r) => [r.gesture_id, r.n]));
    return (id) => counts.get(id) ?? 0;
  }

  // ── outbox ────────────────────────────────────────────────────────────────────────────────────────────────

  enqueue(opportunityId: number, sink: string): void {
    const at = this.iso();
    this.db
      .prepare(
        `INSERT OR IGNORE INTO outbox (opportunity_id, sink, status, next_attempt_at, created_at)
         VALUES (?, ?, 'pending', ?, ?)`,
      )
      .run(opportunityId, sink, at, at);
  }

  /** The oldest pending item of a sink: cards leave in the order they were made. */
  nextPending(sink: string): OutboxItem | null {
    const r = this.db
      .prepare(`SELECT * FROM outbox WHERE sink = ? AND status = 'pending' ORDER BY id LIMIT 1`)
      .get(sink) as Record<string, unknown> | undefined;
    return r ? toOutbox(r) : null;
  }

  pendingCount(sink?: string): number {
    const r = this.db
      .prepare(`SELECT COUNT(*) AS n FROM outbox WHERE status = 'pending' AND (? IS NULL OR sink = ?)`)
      .get(sink ?? null, sink ?? null) as { n: number };
    return r.n;
  }

  outboxFor(opportunityId: number, sink: string): OutboxItem | null {
    const r = this.db.prepare('SELECT * FROM outbox WHERE opportunity_id = ? AND sink = ?').get(opportunityId, sink) as
      | Record<string, unknown>
      | undefined;
    return r ? toOutbox(r) : null;
  }

  findOutboxByMessage(messageId: string): OutboxItem | null {
    const r = this.db.prepare('SELECT * FROM outbox WHERE message_id = ?').get(messageId) as
      | Record<string, unknown>
      | undefined;
    return r ? toOutbox(r) : null;
  }

  /** Written before a card's first post (and kept): from then on a copy of it may exist. */
  markAttempt(item: OutboxItem): void {
    if (item.firstAttemptAt) return;
    this.db.prepare('UPDATE outbox SET first_attempt_at = COALESCE(first_attempt_at, ?) WHERE id = ?').run(this.iso(), item.id);
  }

  /** Delivered: remember where, so a restart never posts it again, and mark the card flagged. */
  markSent(item: OutboxItem, ref: { messageId: string; channelId?: string }): void {
    this.db.transaction(() => {
      this.db
        .prepare(`UPDATE outbox SET status = 'sent', message_id = ?, channel_id = ?, sent_at = ?, attempts = attempts + 1 WHERE id = ?`)
        .run(ref.messageId, ref.channelId ?? null, this.iso(), item.id);
      this.db
        .prepare(`UPDATE opportunities SET status = 'flagged', updated_at = ? WHERE id = ? AND status = 'new'`)
        .run(this.iso(), item.opportunityId);
    })();
  }

  /** A failed attempt: try again at `retryAt`, or give up (status failed) when the failure is permanent. */
  markAttemptFailed(item: OutboxItem, error: string, retryAt: Date | null): void {
    this.db
      .prepare(
        `UPDATE outbox SET attempts = attempts + 1, last_error = ?, next_attempt_at = ?, status = ? WHERE id = ?`,
      )
      .run(error.slice(0, 500), (retryAt ?? this.now()).toISOString(), retryAt ? 'pending' : 'failed', item.id);
  }

  setThread(outboxId: number, threadId: string): void {
    this.db.prepare('UPDATE outbox SET thread_id = ? WHERE id = ?').run(threadId, outboxId);
  }

  // ── cursors (newest id seen per source) ───────────────────────────────────────────────────────────────────

  getCursor(source: string): string | null {
    const r = this.db.prepare('SELECT value FROM cursors WHERE source = ?').get(source) as { value: string } | undefined;
    return r?.value ?? null;
  }

  setCursor(source: string, value: string): void {
    this.db
      .prepare(
        'INSERT INTO cursors (source, value, updated_at) VALUES (?, ?, ?) ON CONFLICT (source) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at',
      )
      .run(source, value, this.iso());
  }

  // ── watch terms ───────────────────────────────────────────────────────────────────────────────────────────

  addWatch(term: string, kind: 'term' | 'event', actor: Actor): boolean {
    return (
      this.db
        .prepare('INSERT OR IGNORE INTO watch_terms (term, kind, added_by, added_at) VALUES (?, ?, ?, ?)')
        .run(term, kind, actor.name, this.iso()).changes > 0
    );
  }

  removeWatch(term: string): boolean {
    return this.db.prepare('DELETE FROM watch_terms WHERE term = ?').run(term).changes > 0;
  }

  listWatch(): { term: string; kind: 'term' | 'event'; addedBy: string; addedAt: string }[] {
    return (
      this.db.prepare('SELECT * FROM watch_terms ORDER BY term').all() as {
        term: string;
        kind: 'term' | 'event';
        added_by: string;
        added_at: string;
      }[]
    ).map((r) => ({ term: r.term, kind: r.kind, addedBy: r.added_by, addedAt: r.added_at }));
  }
}
