import type { Config } from '../config';
import type { StoredMoment } from '../domain/moment';
import { isClosed } from '../domain/opportunity';
import type { OutboxItem } from '../domain/outbox';
import type { CardView, Store } from '../domain/ports';
import type { LlmUsageTotals } from '../domain/usage';
import { summariseXReads, utcDay, type XPrices, type XReadSummary } from '../domain/x-reads';
import type { Teaching } from '../domain/label';
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
  /** Posts received in the window by the source they came in through. */
  bySource?: Record<string, number>;
  opportunities: CardLine[];
  risks: CardLine[];
  decisions: DecisionLine[];
  moments: StoredMoment[];
  llm: LlmUsageTotals | null;
  /** What reading X cost in the window's UTC days, and the month's estimate; null without X. */
  x: XReadSummary | null;
  /** Posts that were not cards but came closest, closest first (empty without a model to say how close). */
  closeCalls: CloseCallLine[];
  /** What the team taught triage: labels given, and the model triage runs on. */
  learning: LearningLine | null;
}

export interface CloseCallLine {
  platform: string;
  postId: string;
  /** The card it came close to being, and the model's probability of it. */
  kind: 'opportunity' | 'risk';
  p: number;
  author: string;
  text: string;
  url: string | null;
}

export interface LearningLine {
  /** Labels given in the window, and in all (with the last one's time). */
  given: number;
  total: number;
  last: string | null;
  model: Teaching['model'];
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
  /** X is read: its prices and daily cap, for the reads and their estimated cost. */
  x?: { prices: XPrices; maxPerDay?: number };
  /** How many open opportunities and risks to list. */
  limit?: number;
  /** How close posts came to a card, and which model triage runs on (the "came close" list, the labels line). */
  teaching?: Pick<Teaching, 'closeness' | 'model'>;
  /** How many posts that came close to list. */
  closeCalls?: number;
}

/** How many of the window's posts that were no card are weighed for the "came close" list (the newest). */
const CLOSE_CANDIDATES = 5_000;

const HOUR = 3_600_000;
const zero = (): Record<Kind, number> => ({ opportunity: 0, risk: 0, service: 0, noise: 0 });

/** The parts of the store a digest reads. */
export type DigestReader = Pick<Store, 'verdictTimes' | 'digestCards' | 'decisionsBetween' | 'listMoments' | 'llmUsageTotals' | 'uncardedPosts' | 'labelSummary' | 'xReads' | 'postsBySource'>;

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

  const cards = await store.digestCards(range, limit);
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
  const closeCalls: CloseCallLine[] = [];
  const closeness = o.teaching?.closeness;
  if (closeness) {
    for (const post of await store.uncardedPosts(range, CLOSE_CANDIDATES)) {
      const c = closeness(post);
      if (c) closeCalls.push({ platform: post.platform, postId: post.id, kind: c.kind, p: c.p, author: post.author.handle, text: post.text, url: post.url ?? null });
    }
    closeCalls.sort((a, b) => b.p - a.p || a.postId.localeCompare(b.postId));
    closeCalls.splice(o.closeCalls ?? 5);
  }
  const [given, all] = o.teaching ? await Promise.all([store.labelSummary(range), store.labelSummary()]) : [];
  return {
    day: o.day,
    from,
    to,
    timeZone: o.timeZone,
    hours,
    totals,
    bySource: await store.postsBySource(range),
    opportunities: open,
    risks,
    decisions,
    moments: await store.listMoments(range),
    llm: o.llm || usage.calls > 0 ? usage : null,
    closeCalls,
    learning: o.teaching && given && all ? { given: given.given, total: all.given, last: all.last, model: o.teaching.model } : null,
    x: o.x ? await xReadsSummary(store, o.x, o.from, o.to) : null,
  };
}

/** What the digest needs of X's settings, when X is read. */
export function xDigestOptions(x: Pick<Config['x'], 'mode' | 'prices' | 'maxReadsPerDay'> | undefined): ReadOptions['x'] {
  return x && x.mode !== 'off' ? { prices: x.prices, ...(x.maxReadsPerDay !== undefined ? { maxPerDay: x.maxReadsPerDay } : {}) } : undefined;
}

/** The X reads of the UTC days a window touches, and the month's estimate as of the window's end. */
export async function xReadsSummary(store: Pick<Store, 'xReads'>, x: { prices: XPrices; maxPerDay?: number }, from: Date | null, to: Date): Promise<XReadSummary> {
  const last = utcDay(new Date(to.getTime() - 1));
  const period = await store.xReads({ fromDay: from ? utcDay(from) : '0000-00-00', toDay: last });
  const month = await store.xReads({ fromDay: `${last.slice(0, 7)}-01`, toDay: last });
  return summariseXReads(period, month, x.prices, to, x.maxPerDay);
}
