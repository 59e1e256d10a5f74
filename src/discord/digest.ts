import type { APIActionRowComponent, APIButtonComponentWithCustomId, APIEmbed, APIEmbedField } from 'discord.js';
import { ButtonStyle, ComponentType } from './components';
import { describeTeaching } from '../domain/label';
import { clip, neutralise, oneLine, safeLink } from './text';
import { dateFormat } from '../domain/date-format';
import type { Kind } from '../domain/verdict';
import type { CloseCallLine, DigestData } from '../digest/data';
import { xReadsText } from '../domain/x-reads';
import { bySourceText } from '../domain/sources';

/**
 * The daily digest as content: a Discord message (within Discord's limits, never pinging anyone) with the chart
 * attached, and the same as plain text for the terminal. Pure: everything comes in through DigestData.
 */

export interface DigestPayload {
  content: string;
  embeds: APIEmbed[];
  /** A "Should have been a card" button for each post that came close (none when none did). */
  components: APIActionRowComponent<APIButtonComponentWithCustomId>[];
  allowed_mentions: { parse: [] };
  /** The chart's file name; the embed shows it as attachment://<chartName>. */
  chartName: string;
}

export interface Digest {
  payload: DigestPayload;
  text: string;
}

export interface BuildOptions {
  brandName?: string;
  /** Sent after the bot was down at digest time. */
  late?: boolean;
  /** Lines per section. */
  maxLines?: number;
}

const LIMIT = { title: 256, description: 4096, fieldValue: 1024, total: 6000, content: 2000 } as const;
const KIND_ORDER: Kind[] = ['opportunity', 'risk', 'service', 'noise'];

function safe(text: string, max: number): string {
  return clip(neutralise(oneLine(text)), max);
}

function score(n: number): string {
  return n.toFixed(2);
}

function when(iso: string, timeZone: string): string {
  return dateFormat('sv-SE', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).format(new Date(iso));
}

function hhmm(iso: string, timeZone: string): string {
  return dateFormat('en-GB', { timeZone, hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).format(new Date(iso));
}

function money(usd: number): string {
  return usd < 0.01 && usd > 0 ? `$${usd.toFixed(4)}` : `$${usd.toFixed(2)}`;
}

/** Joins lines into a field value of at most 1024 characters, saying how many did not fit. */
function fieldValue(lines: string[], empty: string): string {
  if (!lines.length) return empty;
  const out: string[] = [];
  let used = 0;
  for (let i = 0; i < lines.length; i++) {
    const more = `…and ${lines.length - i} more`;
    if (used + lines[i]!.length + 1 + more.length + 1 > LIMIT.fieldValue) {
      out.push(more);
      break;
    }
    out.push(lines[i]!);
    used += lines[i]!.length + 1;
  }
  return out.join('\n');
}

function busiest(data: DigestData): { label: string; n: number } | null {
  let best: { label: string; n: number } | null = null;
  for (const h of data.hours) {
    const n = KIND_ORDER.reduce((a, k) => a + h.counts[k], 0);
    if (n > 0 && (!best || n > best.n)) best = { label: `${h.label}:00`, n };
  }
  return best;
}

export function buildDigest(data: DigestData, options: BuildOptions = {}): Digest {
  const max = options.maxLines ?? 8;
  const tz = data.timeZone;
  const total = KIND_ORDER.reduce((a, k) => a + data.totals[k], 0);
  const peak = busiest(data);
  const sources = data.bySource ? bySourceText(data.bySource) : null;
  const window = `${when(data.from, tz)} → ${when(data.to, tz)} (${tz})`;
  const summary =
    `${total} posts: ${data.totals.opportunity} opportunities, ${data.totals.risk} risks, ` +
    `${data.totals.service} service, ${data.totals.noise} noise` +
    (peak ? ` · busiest hour ${peak.label} (${peak.n})` : '') +
    (sources ? `\nBy source: ${sources}` : '');

  const link = (id: number, url: string | null) => (url ? `[#${id}](${url})` : `#${id}`);
  const opp = data.opportunities.slice(0, max).map(
    (o) => `**${score(o.score)}** ${link(o.id, o.link)} ${o.status}${o.claimedBy ? ` (${safe(o.claimedBy, 40)})` : ''} · ${safe(o.summary, 110)}`,
  );
  const risks = data.risks.slice(0, max).map(
    (r) => `**${score(r.score)}** ${link(r.id, r.link)} **${r.status}**${r.claimedBy ? ` by ${safe(r.claimedBy, 40)}` : ''} · ${safe(r.summary, 100)}`,
  );
  const approved = data.decisions.filter((d) => d.action === 'approved');
  const dismissed = data.decisions.filter((d) => d.action === 'dismissed');
  const decisions = data.decisions.slice(0, max).map(
    (d) =>
      `${d.action === 'approved' ? '✅' : '✖️'} ${link(d.opportunityId, d.link)} ${d.action} by ${safe(d.actor, 40)}` +
      (d.reason ? ` — ${safe(d.reason, 40)}` : '') +
      (d.detail ? ` (“${safe(d.detail, 60)}”)` : '') +
      ` · ${safe(d.summary, 70)}`,
  );
  const moments = data.moments.slice(0, max).map(
    (m) =>
      `**${safe(m.term, 40)}** ${hhmm(m.at, tz)} · ${fmt(m.nowPerHour)}/h vs ${fmt(m.baselinePerHour)}/h (×${fmt(m.ratio)}), ${m.authors} people` +
      (m.event ? ` · ${safe(m.event, 40)}` : ''),
  );
  // Discord allows five rows of buttons: one post a row, its number as on the list.
  const close = data.closeCalls.slice(0, Math.min(max, 5));
  const closeLines = close.map(
    (c, n) => `${n + 1}. **${score(c.p)}** ${c.kind}? **@${safe(c.author, 40)}** ${safe(c.text, 110)}${c.url && safeLink(c.url) ? ` ([post](${safeLink(c.url)}))` : ''}`,
  );
  const llm = data.llm
    ? `${data.llm.calls} calls (${data.llm.failedCalls} unusable) · ${data.llm.promptTokens + data.llm.completionTokens} tokens · ${money(data.llm.costUsd)}` +
      (data.llm.byModel.length ? `\n${data.llm.byModel.map((m) => `${safe(m.model, 40)}: ${m.calls} calls, ${money(m.costUsd)}`).join('\n')}` : '')
    : null;

  const fields: APIEmbedField[] = [
    { name: `Open opportunities (${data.opportunities.length})`, value: fieldValue(opp, 'None open.') },
    { name: `Risks (${data.risks.length})`, value: fieldValue(risks, 'None.') },
    {
      name: `Decisions: ${approved.length} approved, ${dismissed.length} dismissed`,
      value: fieldValue(decisions, 'No decisions in this window.'),
    },
    { name: `Rising moments (${data.moments.length})`, value: fieldValue(moments, 'Nothing rose above its baseline.') },
  ];
  if (data.closeCalls.length) {
    fields.push({ name: `Came close (${close.length}): no card, but nearly`, value: fieldValue(closeLines, '') });
  }
  if (llm) fields.push({ name: 'Model usage', value: clip(llm, LIMIT.fieldValue) });
  if (data.x) fields.push({ name: 'X reads', value: clip(xReadsText(data.x), LIMIT.fieldValue) });
  if (data.learning) {
    const l = data.learning;
    fields.push({ name: 'Team labels · triage', value: safe(describeTeaching('in this window', l.given, l.total, l.last, l.model), LIMIT.fieldValue) });
  }
  const components = close.map((c, n) => ({
    type: ComponentType.ActionRow,
    components: [closeCallButton(c, n)],
  }));

  const chartName = `digest-${data.day}.png`;
  const title = clip(`${options.brandName ? `${options.brandName} · ` : ''}Daily digest · ${data.day}${options.late ? ' (late)' : ''}`, LIMIT.title);
  const embed: APIEmbed = {
    title,
    description: clip(`${window}\n${summary}`, LIMIT.description),
    color: 0x3498db,
    fields,
    image: { url: `attachment://${chartName}` },
    footer: { text: options.late ? 'Sent late: Kairos was not running at digest time.' : 'Kairos daily digest' },
  };
  shrinkToTotal(embed);
  const content = clip(`Daily digest for ${data.day}${options.late ? ' — sent late' : ''}`, LIMIT.content);

  const text = [
    `${title}`,
    `${window}`,
    summary,
    '',
    'Posts per hour (o=opportunity r=risk s=service n=noise)',
    ...data.hours.map((h) => {
      const n = KIND_ORDER.reduce((a, k) => a + h.counts[k], 0);
      const parts = KIND_ORDER.filter((k) => h.counts[k]).map((k) => `${k[0]}${h.counts[k]}`).join(' ');
      return `  ${h.label}:00 ${'█'.repeat(Math.min(40, n))}${n ? ` ${n}  ${parts}` : ''}`;
    }),
    '',
    ...fields.flatMap((f) => [`${f.name}`, ...f.value.split('\n').map((l) => `  ${plain(l)}`), '']),
  ].join('\n');

  return { payload: { content, embeds: [embed], components, allowed_mentions: { parse: [] }, chartName }, text: text.trimEnd() };
}

/** The custom id of a post's "Should have been a card" button (the /missed command answers it). */
export function closeCallId(c: Pick<CloseCallLine, 'kind' | 'platform' | 'postId'>): string {
  return `missed:close:${c.kind}:${c.platform}:${c.postId}`;
}

function closeCallButton(c: CloseCallLine, n: number): APIButtonComponentWithCustomId {
  const id = closeCallId(c);
  // A custom id is at most 100 characters: a post with a longer id (rare) can be labelled with /missed only.
  return { type: ComponentType.Button, style: ButtonStyle.Secondary, custom_id: id.slice(0, 100), label: `${n + 1}. Should have been a card`, disabled: id.length > 100 };
}

function fmt(n: number): string {
  return n >= 10 ? String(Math.round(n)) : n.toFixed(1);
}

/** Markdown back to plain text for the terminal: links show their address, bold and escapes go. */
function plain(line: string): string {
  return line.replace(/\[([^\]]+)\]\(([^)]+)\)/g, '$1 <$2>').replace(/\*\*/g, '').replace(/\\([\\*_~`|[\]>#-])/g, '$1');
}

/** Discord refuses an embed over 6,000 characters in all: shorten the longest field until it fits. */
function shrinkToTotal(embed: APIEmbed): void {
  const size = () =>
    (embed.title?.length ?? 0) +
    (embed.description?.length ?? 0) +
    (embed.footer?.text.length ?? 0) +
    (embed.fields ?? []).reduce((n, f) => n + f.name.length + f.value.length, 0);
  while (size() > LIMIT.total && embed.fields?.length) {
    const longest = embed.fields.reduce((a, b) => (b.value.length > a.value.length ? b : a));
    longest.value = clip(longest.value, Math.max(20, longest.value.length - (size() - LIMIT.total) - 10));
  }
}
