import { ActionRowBuilder, ButtonBuilder, ButtonStyle, MessageFlags, SlashCommandBuilder, type APIEmbed } from 'discord.js';
import { z } from 'zod';
import { discordTime } from '../src/discord/card';
import type { BotContext, SlashCommand } from '../src/discord/context';
import { DISCORD_SINK } from '../src/discord/sink';
import { clip, neutralise, oneLine, safeLink } from '../src/discord/text';
import { STATUSES, type Status } from '../src/domain/opportunity';

export const PAGE_SIZE = 5;
const StatusFilter = z.enum(['open', 'any', ...STATUSES]);
const KindFilter = z.enum(['any', 'opportunity', 'risk']);
const PageId = z.object({ page: z.coerce.number().int().min(0).max(10_000), status: StatusFilter, kind: KindFilter });

function statuses(filter: z.infer<typeof StatusFilter>): Status[] | undefined {
  if (filter === 'any') return undefined;
  if (filter === 'open') return ['new', 'flagged', 'claimed'];
  return [filter];
}

/** One page of cards, newest first, with Previous/Next buttons that carry the filter in their custom ids. */
export async function opportunitiesPage(ctx: BotContext, page: number, status: z.infer<typeof StatusFilter>, kind: z.infer<typeof KindFilter>) {
  const rows = await ctx.store.listCards({
    status: statuses(status),
    kind: kind === 'any' ? undefined : kind,
    limit: PAGE_SIZE + 1,
    offset: page * PAGE_SIZE,
  });
  const shown = rows.slice(0, PAGE_SIZE);
  const { guildId } = ctx.config.discord;
  const lines = shown.map(({ opportunity: o, deliveries }) => {
    const out = deliveries.find((d) => d.sink === DISCORD_SINK);
    const card = out?.messageId && out.channelId ? ` · [card](https://discord.com/channels/${guildId}/${out.channelId}/${out.messageId})` : '';
    const link = safeLink(o.post.url);
    const post = link ? ` · [post](${link})` : '';
    return `**#${o.id}** ${o.kind} · ${o.status}${o.claimedBy ? ` (${neutralise(o.claimedBy)})` : ''} · score ${o.score.toFixed(2)} · ${discordTime(o.createdAt, 'R')}\n${clip(neutralise(oneLine(o.analysis.summary)), 200)}${post}${card}`;
  });
  const embed: APIEmbed = {
    title: `Cards · ${status} · ${kind} · page ${page + 1}`,
    description: lines.length ? lines.join('\n\n') : 'No cards match.',
    color: 0x3498db,
  };
  const nav = new ActionRowBuilder<ButtonBuilder>().addComponents(
    new ButtonBuilder().setCustomId(`opps:${page - 1}:${status}:${kind}`).setLabel('Newer').setStyle(ButtonStyle.Secondary).setDisabled(page === 0),
    new ButtonBuilder().setCustomId(`opps:${page + 1}:${status}:${kind}`).setLabel('Older').setStyle(ButtonStyle.Secondary).setDisabled(rows.length <= PAGE_SIZE),
  );
  return { embeds: [embed], components: [nav], allowedMentions: { parse: [] as [] } };
}

/** /opportunities: the cards, filtered by status and kind, newest first, paged. */
export const opportunities: SlashCommand = {
  data: new SlashCommandBuilder()
    .setName('opportunities')
    .setDescription('List cards, newest first')
    .addStringOption((o) =>
      o
        .setName('status')
        .setDescription('Which cards (default: open)')
        .addChoices(...['open', 'any', ...STATUSES].map((s) => ({ name: s, value: s }))),
    )
    .addStringOption((o) =>
      o.setName('kind').setDescription('Opportunities or risks').addChoices(...['any', 'opportunity', 'risk'].map((k) => ({ name: k, value: k }))),
    )
    .toJSON(),

  async execute(i, ctx) {
    const status = StatusFilter.safeParse(i.options.getString('status') ?? 'open');
    const kind = KindFilter.safeParse(i.options.getString('kind') ?? 'any');
    if (!status.success || !kind.success) return void (await i.reply({ content: 'Unknown status or kind.', flags: MessageFlags.Ephemeral }));
    await i.reply({ ...(await opportunitiesPage(ctx, 0, status.data, kind.data)), flags: MessageFlags.Ephemeral });
  },

  componentPrefix: 'opps',
  async component(i, ctx) {
    const [, page, status, kind] = i.customId.split(':');
    const parsed = PageId.safeParse({ page, status, kind });
    if (!parsed.success) return void (await i.reply({ content: 'That page is not valid.', flags: MessageFlags.Ephemeral }));
    await i.update(await opportunitiesPage(ctx, parsed.data.page, parsed.data.status, parsed.data.kind));
  },
};
