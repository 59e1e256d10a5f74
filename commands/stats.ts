import { MessageFlags, SlashCommandBuilder, type APIEmbed } from 'discord.js';
import { z } from 'zod';
import type { SlashCommand } from '../src/discord/context';
import { describeTeaching } from '../src/domain/label';
import { clip, neutralise } from '../src/discord/text';
import { xDigestOptions, xReadsSummary } from '../src/digest/data';
import type { Range } from '../src/domain/ports';
import { bySourceText, sourceName, sourceStatesText } from '../src/domain/sources';
import { xReadsText } from '../src/domain/x-reads';

export const PERIODS = { today: 1, '7d': 7, '30d': 30, all: 0 } as const;
const Period = z.enum(['today', '7d', '30d', 'all']);

export function periodRange(period: keyof typeof PERIODS, now: Date): Range {
  const days = PERIODS[period];
  // Ranges end before `to`: one past now, so a post stored in the same millisecond as the command counts.
  return days ? { from: new Date(now.getTime() - days * 86_400_000).toISOString(), to: new Date(now.getTime() + 1).toISOString() } : {};
}

/** /stats: posts read, cards by kind and status, approvals and dismissals by reason, over a period. */
export const stats: SlashCommand = {
  data: new SlashCommandBuilder()
    .setName('stats')
    .setDescription('Posts read, cards, approvals and dismissals over a period')
    .addStringOption((o) =>
      o
        .setName('period')
        .setDescription('default: 7d')
        .addChoices(...Object.keys(PERIODS).map((p) => ({ name: p === 'today' ? 'last 24 h' : p, value: p }))),
    )
    .toJSON(),

  async execute(i, ctx) {
    const period = Period.safeParse(i.options.getString('period') ?? '7d');
    if (!period.success) return void (await i.reply({ content: 'Unknown period.', flags: MessageFlags.Ephemeral }));
    const range = periodRange(period.data, ctx.clock());
    const cards = await ctx.store.cardsByKindAndStatus(range);
    const d = await ctx.store.decisions(range);
    const sources = bySourceText(await ctx.store.postsBySource(range));
    const row = (k: 'opportunity' | 'risk') =>
      Object.entries(cards[k])
        .map(([s, n]) => `${s} ${n}`)
        .join(' · ');
    const embed: APIEmbed = {
      title: `Kairos stats · ${period.data}`,
      color: 0x9b59b6,
      fields: [
        { name: 'Posts read', value: String(await ctx.store.postsRead(range)) },
        { name: 'Posts by source', value: sources ?? 'None' },
        { name: 'Opportunities', value: row('opportunity') },
        { name: 'Risks', value: row('risk') },
        { name: 'Approvals', value: String(d.approved) },
        {
          name: 'Dismissals',
          value: `${d.dismissed}${d.dismissed ? ` (${Object.entries(d.dismissedBy).map(([r, n]) => `${r} ${n}`).join(', ')})` : ''}`,
        },
        { name: 'Claims · edits · regenerations', value: `${d.claimed} · ${d.edited} · ${d.regenerated}` },
      ],
    };
    // Model usage and its estimated cost, when a model has been used in the period.
    const llm = await ctx.store.llmUsageTotals(range);
    if (llm.calls > 0) {
      embed.fields?.push({
        name: 'Model usage',
        value:
          `${llm.calls} calls (${llm.failedCalls} without a usable answer) · ` +
          `${(llm.promptTokens + llm.completionTokens).toLocaleString('en-US')} tokens · ≈ $${llm.costUsd.toFixed(2)}`,
      });
    }
    // Each live source and whether it reads now: a source that is down shows here as in /healthz.
    const states = ctx.sourceHealth ? sourceStatesText(Object.fromEntries(Object.entries(await ctx.sourceHealth()).map(([s, why]) => [sourceName(s), why]))) : null;
    if (states) embed.fields?.push({ name: 'Sources', value: states.slice(0, 1024) });
    // What reading X cost (X bills every post read), when X is read.
    const x = xDigestOptions(ctx.config.x);
    if (x) {
      const now = ctx.clock();
      const summary = await xReadsSummary(ctx.store, x, range.from ? new Date(range.from) : null, now);
      embed.fields?.push({ name: 'X reads', value: xReadsText(summary).slice(0, 1024) });
    }
    // What the team taught triage, and which model it runs on.
    const labels = await ctx.store.labelSummary(range);
    const all = await ctx.store.labelSummary();
    embed.fields?.push({ name: 'Team labels · triage', value: clip(neutralise(describeTeaching('in the period', labels.given, all.given, all.last, ctx.teaching?.model)), 1024) });
    await i.reply({ embeds: [embed], flags: MessageFlags.Ephemeral });
  },
};
