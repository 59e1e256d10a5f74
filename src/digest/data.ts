import type { StoredMoment } from '../domain/moment';
import { isClosed } from '../domain/opportunity';
import type { OutboxItem } from '../domain/outbox';
import type { CardView, Store } from '../domain/ports';
import type { LlmUsageTotals } from '../domain/usage';
import { KINDS, type Kind } from '../domain/verdict';
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

/** The parts of the store a digest reads. */
export type DigestReader = Pick<Store, 'verdictTimes' | 'digestCards' | 'decisionsBetween' | 'listMoments' | 'llmUsageTotals'>;

export async function readDigestData(store: DigestReader, o: ReadOptions): Promise<DigestData> {
  const from = o.from.toISOString();
  const to = o.to.toISOString();
  const range = { from, to };
  const limit = o.limit ?? 10;

  // Volume by hour and kind, by when the posts were written (stream time).
  const hours: DigestData['hours'] = [];
  for (let t = o.from.getTime(); t < o.to.getTime(); t += HOUR) {
    hours.push({ start: new Date(t).toISOString(), label: localHour(new Date(t), o.timeZone), counts: zero() });
  }
  const totals = zero();
  for (const r of await store.verdictTimes(range)) {
    const i = Math.floor((Date.parse(r.at) - o.from.getTime()) / HOUR);
    const h = hours[i];
    if (!h || !KINDS.includes(r.kind)) continue;
    h.counts[r.kind]++;
    totals[r.kind]++;
  }

  const linkOf = (deliveries: readonly OutboxItem[]): string | null => {
    const d = deliveries.find((x) => x.sink === 'discord' && x.messageId);
    return o.guildId && d?.channelId ? `https://discord.com/channels/${o.guildId}/${d.channelId}/${d.messageId}` : null;
  };
  const line = ({ opportunity: x, deliveries }: CardView): CardLine => ({
    id: x.id,
    kind: x.kind,
    score: x.score,
    status: x.status,
    summary: x.analysis.summary,
    author: x.post.author.handle,
    claimedBy: x.claimedBy,
    createdAt: x.createdAt,
    link: linkOf(deliveries),
  });

  const cards = await store.digestCards(range);
  // Open opportunities posted before the end of the window, best first.
  const open = cards.opportunities
    .sort((a, b) => b.opportunity.score - a.opportunity.score || a.opportunity.createdAt.localeCompare(b.opportunity.createdAt))
    .slice(0, limit)
    .map(line);
  // Risks: the window's, whatever their status, and older ones still open; open ones first.
  const risks = cards.risks
    .sort((a, b) => Number(!isClosed(b.opportunity.status)) - Number(!isClosed(a.opportunity.status)) || b.opportunity.score - a.opportunity.score)
    .slice(0, limit)
    .map(line);
  const decisions = (await store.decisionsBetween(range)).map((r) => ({
    opportunityId: r.opportunityId,
    action: r.action as DecisionLine['action'],
    reason: r.reason,
    detail: r.detail,
    actor: r.actorName,
    at: r.at,
    summary: r.summary,
    link: linkOf(r.deliveries),
  }));

  const usage = await store.llmUsageTotals(range);
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
    moments: await store.listMoments(range),
    llm: o.llm || usage.calls > 0 ? usage : null,
  };
}
