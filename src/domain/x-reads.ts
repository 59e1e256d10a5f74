import { grouped } from './numbers';
/**
 * What reading X costs. X bills every post and every user a response carries (pay-per-use, once per UTC day for the
 * same resource); Kairos counts them as it reads and prices them at X_COST_PER_READ_USD and X_COST_PER_USER_READ_USD.
 * Pure: the figures /stats and the digest show.
 */

/** What the X source read on one UTC day. */
export interface XReadDay {
  day: string;
  posts: number;
  users: number;
}

export interface XPrices {
  postUsd: number;
  userUsd: number;
}

/** The day an instant falls on in UTC: X counts and deduplicates reads per UTC day. */
export function utcDay(at: Date): string {
  return at.toISOString().slice(0, 10);
}

export function xReadCost(reads: Pick<XReadDay, 'posts' | 'users'>, prices: XPrices): number {
  return reads.posts * prices.postUsd + reads.users * prices.userUsd;
}

function sum(days: readonly XReadDay[]): { posts: number; users: number } {
  return days.reduce((a, d) => ({ posts: a.posts + d.posts, users: a.users + d.users }), { posts: 0, users: 0 });
}

export interface XReadSummary {
  /** Reads in the period asked for, and their cost. */
  posts: number;
  users: number;
  costUsd: number;
  /** This UTC calendar month so far, and the month at the same daily pace (an estimate). */
  monthPosts: number;
  monthSoFarUsd: number;
  monthEstimateUsd: number;
  prices: XPrices;
  maxPerDay?: number;
}

/** The period's reads and the month's estimate: what was read this month so far, carried on at its pace to the end. */
export function summariseXReads(period: readonly XReadDay[], month: readonly XReadDay[], prices: XPrices, now: Date, maxPerDay?: number): XReadSummary {
  const p = sum(period);
  const m = sum(month);
  const start = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1);
  const end = Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + 1, 1);
  // A day at least, so the first hours of a month do not extrapolate wildly.
  const elapsed = Math.max(86_400_000, now.getTime() - start);
  const monthSoFarUsd = xReadCost(m, prices);
  return {
    posts: p.posts,
    users: p.users,
    costUsd: xReadCost(p, prices),
    monthPosts: m.posts,
    monthSoFarUsd,
    monthEstimateUsd: monthSoFarUsd * Math.max(1, (end - start) / elapsed),
    prices,
    ...(maxPerDay !== undefined ? { maxPerDay } : {}),
  };
}

const usd = (n: number) => `$${n.toFixed(2)}`;
const num = grouped;

/** One line for /stats and the digest. */
export function xReadsText(s: XReadSummary): string {
  return (
    `${num(s.posts)} posts and ${num(s.users)} authors read ≈ ${usd(s.costUsd)} · this month ${num(s.monthPosts)} posts ≈ ${usd(s.monthSoFarUsd)}, ` +
    `on course for ≈ ${usd(s.monthEstimateUsd)} (estimate at $${s.prices.postUsd}/post, $${s.prices.userUsd}/author; X's bill is the reference)` +
    (s.maxPerDay !== undefined ? ` · cap ${num(s.maxPerDay)} posts a day` : '')
  );
}
