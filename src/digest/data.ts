import type { Opportunity } from '../domain/opportunity';
import { KINDS, type Kind } from '../domain/verdict';
import { llmUsageTotals, type LlmUsageTotals } from '../store/llm-usage';
import { listMoments, type StoredMoment } from '../store/moments';
import type { Store } from '../store/store';
import { localHour } from './time';

/** Everything a digest shows, read from the store for one window; the builder and the chart are pure over it. */
export interface DigestData {
  /** The digest's day (YYYY-MM-DD in timeZone) and its window [from, to). */
  day: string;
  from: string;
  to: string;
  timeZone: string;
  hours: { start: string; label: string; counts: Record<Kind, number> }[];
  totals: Record<Kind, number>;
  opportunities: CardLine[];
  risks: CardLine[];
  decisions: DecisionLine[];
  moments: StoredMoment[];
  llm: LlmUsageTotals | null;
}

export interface CardLine {
  id: number;
  kind: 'opportunity' | 'risk';
  score: number;
  status: string;
  summary: string;
  author: string;
  claimedBy: string | null;
  createdAt: string;
  /** The card's Discord message, when it was posted there. */
  link: string | null;
}

export interface DecisionLine {
  opportunityId: number;
  action: 'approved' | 'dismissed';
  reason: string | null;
  detail: string | null;
  actor: string;
  at: string;
  summary: string;
  link: string | null;
}

export interface ReadOptions {
  day: string;
  from: Date;
  to: Date;
  timeZone: string;
  /** For card links (https://discord.com/channels/GUILD/CHANNEL/MESSAGE). */
  guildId?: string;
  /** Show model usage (an LLM is configured). */
  llm?: boolean;
  /** How many open opportunities and risks to list. */
  limit?: number;
}

const HOUR = 3_600_000;
const zero = (): Record<Kind, number> => ({ opportunity: 0, risk: 0, service: 0, noise: 0 });

export function readDigestData(store: Store, o: ReadOptions): DigestData {
  const db = store.db;
  const from = o.from.toISOString();
  const to = o.to.toISOString();
  const limit = o.limit ?? 10;

  // Volume by hour and kind, by when the posts were written (stream time).
  const hours: DigestData['hours'] = [];
  for (let t = o.from.getTime(); t < o.to.getTime(); t += HOUR) {
    hours.push({ start: new Date(t).toISOString(), label: localHour(new Date(t), o.timeZone), counts: zero() });
  }
  const totals = zero();
  const rows = db
    .prepare(
      `SELECT p.created_at AS at, v.kind AS kind FROM posts p JOIN verdicts v ON v.post_id = p.id
       WHERE p.created_at >= ? AND p.created_at < ?`,
    )
    .all(from, to) as { at: string; kind: Kind }[];
  for (const r of rows) {
    const i = Math.floor((Date.parse(r.at) - o.from.getTime()) / HOUR);
    const h = hours[i];
    if (!h || !KINDS.includes(r.kind)) continue;
    h.counts[r.kind]++;
    totals[r.kind]++;
  }

  const linkOf = (opportunityId: number): string | null => {
    if (!o.guildId) return null;
    const r = db
      .prepare(`SELECT message_id, channel_id FROM outbox WHERE opportunity_id = ? AND sink = 'discord' AND message_id IS NOT NULL`)
      .get(opportunityId) as { message_id: string; channel_id: string | null } | undefined;
    return r?.channel_id ? `https://discord.com/channels/${o.guildId}/${r.channel_id}/${r.message_id}` : null;
  };
  const line = (x: Opportunity): CardLine => ({
    id: x.id,
    kind: x.kind,
    score: x.score,
    status: x.status,
    summary: x.analysis.summary,
    author: x.post.author.handle,
    claimedBy: x.claimedBy,
    createdAt: x.createdAt,
    link: linkOf(x.id),
  });

  // Cards are placed in time by their post (stream time), so a replay of old posts gets the right day.
  const ids = (sql: string, ...args: unknown[]) =>
    (db.prepare(`SELECT o.id FROM opportunities o JOIN posts p ON p.id = o.post_id WHERE ${sql}`).all(...args) as { id: number }[])
      .map((r) => store.getOpportunity(r.id))
      .filter((x): x is NonNullable<typeof x> => x !== null);
  const OPEN = `o.status IN ('new', 'flagged', 'claimed')`;

  // Open opportunities posted before the end of the window, best first.
  const open = ids(`o.kind = 'opportunity' AND ${OPEN} AND p.created_at < ?`, to)
    .sort((a, b) => b.score - a.score || a.createdAt.localeCompare(b.createdAt))
    .slice(0, limit)
    .map(line);

  // Risks: the window's, whatever their status, and older ones still open; open ones first.
  const risks = ids(`o.kind = 'risk' AND ((p.created_at >= ? AND p.created_at < ?) OR (${OPEN} AND p.created_at < ?))`, from, to, from)
    .sort((a, b) => Number(isOpen(b.status)) - Number(isOpen(a.status)) || b.score - a.score)
    .slice(0, limit)
    .map(line);

  const decisions = (
    db
      .prepare(
        `SELECT a.opportunity_id, a.action, a.reason, a.detail, a.actor_name, a.at, o.analysis
         FROM actions a JOIN opportunities o ON o.id = a.opportunity_id
         WHERE a.action IN ('approved', 'dismissed') AND a.at >= ? AND a.at < ? ORDER BY a.at, a.id`,
      )
      .all(from, to) as { opportunity_id: number; action: 'approved' | 'dismissed'; reason: string | null; detail: string | null; actor_name: string; at: string; analysis: string }[]
  ).map((r) => ({
    opportunityId: r.opportunity_id,
    action: r.action,
    reason: r.reason,
    detail: r.detail,
    actor: r.actor_name,
    at: r.at,
    summary: summaryOf(r.analysis),
    link: linkOf(r.opportunity_id),
  }));

  const hasUsage = (db.prepare('SELECT COUNT(*) AS n FROM llm_usage WHERE at >= ? AND at < ?').get(from, to) as { n: number }).n > 0;
  return {
    day: o.day,
    from,
    to,
    timeZone: o.timeZone,
    hours,
    totals,
    opportunities: open,
    risks,
    decisions,
    moments: listMoments(db, from, to),
    llm: o.llm || hasUsage ? llmUsageTotals(db, from, to) : null,
  };
}

function isOpen(status: string): boolean {
  return status !== 'approved' && status !== 'dismissed';
}

function summaryOf(analysisJson: string): string {
  try {
    const a = JSON.parse(analysisJson) as { summary?: unknown };
    return typeof a.summary === 'string' ? a.summary : '';
  } catch {
    return '';
  }
}
