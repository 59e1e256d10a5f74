import type { APIEmbed } from 'discord.js';
import { cardsByKindAndStatus, decisions, openCards, postsRead } from '../store/stats';
import type { Store } from '../store/store';
import type { DiscordMessage } from './card';
import { clip, neutralise, oneLine } from './text';
import { llmUsageTotals } from '../store/llm-usage';

/** The UTC offset (ms) of a time zone at an instant. */
function offsetMs(at: number, timeZone: string): number {
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    })
      .formatToParts(new Date(at))
      .map((p) => [p.type, p.value]),
  );
  const local = Date.UTC(+parts.year!, +parts.month! - 1, +parts.day!, +parts.hour!, +parts.minute!, +parts.second!);
  return local - Math.floor(at / 1000) * 1000;
}

/** [from, to) of a calendar day (YYYY-MM-DD) in a time zone, as ISO instants; DST days are 23 or 25 hours. */
export function dayRange(day: string, timeZone: string): { from: string; to: string } {
  const [y, m, d] = day.split('-').map(Number) as [number, number, number];
  const midnight = (dd: number) => {
    const guess = Date.UTC(y, m - 1, dd);
    const first = guess - offsetMs(guess, timeZone);
    return guess - offsetMs(first, timeZone);
  };
  return { from: new Date(midnight(d)).toISOString(), to: new Date(midnight(d + 1)).toISOString() };
}

/** Today's date (YYYY-MM-DD) in a time zone. */
export function today(now: Date, timeZone: string): string {
  return new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' }).format(now);
}

/**
 * The short digest for /digest until the full digest builder (src/digest/) replaces it: posts by kind, open
 * cards, decisions, and the day's cards. Pure apart from reading the store.
 */
export function buildShortDigest(store: Store, day: string, timeZone = 'UTC'): DiscordMessage {
  const range = dayRange(day, timeZone);
  const kinds = store.countByKind(range.from, range.to);
  const cards = cardsByKindAndStatus(store, range);
  const d = decisions(store, range);
  const reasons = Object.entries(d.dismissedBy)
    .map(([r, n]) => `${r} ${n}`)
    .join(', ');
  const made = store.listOpportunities({ from: range.from, to: range.to, limit: 5 });
  const total = Object.values(kinds).reduce((a, b) => a + b, 0);
  const sum = (k: 'opportunity' | 'risk') => Object.values(cards[k]).reduce((a, b) => a + b, 0);
  const lines = [
    `**Posts:** ${total} (opportunities ${kinds.opportunity}, risks ${kinds.risk}, service ${kinds.service}, noise ${kinds.noise})`,
    `**Cards made:** ${sum('opportunity')} opportunities, ${sum('risk')} risks · **open now:** ${openCards(store)}`,
    `**Decisions:** ${d.approved} approved, ${d.dismissed} dismissed${reasons ? ` (${reasons})` : ''}, ${d.claimed} claimed, ${d.edited + d.regenerated} drafts reworked`,
  ];
  const llm = llmUsageTotals(store.db, range.from, range.to);
  if (llm.calls > 0) {
    lines.push(
      `**Model usage:** ${llm.calls} calls (${llm.failedCalls} without a usable answer), ` +
        `${(llm.promptTokens + llm.completionTokens).toLocaleString('en-US')} tokens, ≈ $${llm.costUsd.toFixed(2)}`,
    );
  }
  if (made.length) {
    lines.push('', '**Cards of the day**');
    for (const o of made) lines.push(`• #${o.id} ${o.kind} · ${o.status} · ${clip(neutralise(oneLine(o.analysis.summary)), 120)}`);
  }
  const embed: APIEmbed = { title: `Kairos digest · ${day}`, description: clip(lines.join('\n'), 4000), color: 0x3498db };
  return { embeds: [embed], components: [], allowed_mentions: { parse: [] } };
}
