import { ActionRowBuilder, ButtonBuilder, ButtonStyle, MessageFlags, SlashCommandBuilder, type APIEmbed } from 'discord.js';
import { z } from 'zod';
import { actorOf, type BotContext, type SlashCommand } from '../src/discord/context';
import { clip, neutralise, oneLine } from '../src/discord/text';
import { LABEL_KINDS } from '../src/domain/label';

/** How far down the least-sure queue a skip may go (the queue is read again on every answer). */
const QUEUE = 25;
const KIND_BUTTONS = [
  ['opportunity', 'Opportunity', ButtonStyle.Success],
  ['risk', 'Risk', ButtonStyle.Danger],
  ['service', 'Service', ButtonStyle.Secondary],
  ['noise', 'Noise', ButtonStyle.Secondary],
] as const;
const Answer = z.object({
  what: z.enum([...LABEL_KINDS, 'skip', 'undo']),
  n: z.coerce.number().int().min(0).max(QUEUE),
  platform: z.string().min(1).max(20),
  id: z.string().min(1).max(80),
});

/** The post at position `n` of the least-sure queue, with the four kinds and Skip as buttons. */
export async function labelPage(ctx: BotContext, n: number, note?: string, undoId?: number) {
  const queue = (await ctx.teaching?.leastSure(QUEUE + 1)) ?? [];
  const post = queue[Math.min(n, queue.length - 1)];
  const extra = undoId ? [new ActionRowBuilder<ButtonBuilder>().addComponents(new ButtonBuilder().setCustomId(`label:undo:${n}:x:${undoId}`).setLabel('Undo the last').setStyle(ButtonStyle.Secondary))] : [];
  if (!post) return { content: `${note ? `${note}\n` : ''}Nothing left to label: every stored post has a label.`, embeds: [], components: extra };
  const t = ctx.teaching!.triage(post);
  const embed: APIEmbed = {
    title: clip(`@${oneLine(neutralise(post.author.handle))} · ${post.platform}`, 256),
    description: clip(neutralise(post.text), 1500),
    fields: [{ name: 'Triage says', value: `${t.kind}${t.signals.length ? ` (${t.signals.join(', ')})` : ''}` }],
    footer: { text: 'The post triage is least sure of. Your answer teaches the brand’s triage (kairos learn).' },
  };
  // A custom id is at most 100 characters: ids longer than that (rare) can only be skipped.
  const ref = `${post.platform}:${post.id}`;
  const row = new ActionRowBuilder<ButtonBuilder>().addComponents(
    ...KIND_BUTTONS.map(([kind, label, style]) =>
      new ButtonBuilder().setCustomId(`label:${kind}:${n}:${ref}`.slice(0, 100)).setLabel(label).setStyle(style).setDisabled(`label:${kind}:${n}:${ref}`.length > 100),
    ),
    new ButtonBuilder().setCustomId(`label:skip:${n}:${ref}`.slice(0, 100)).setLabel('Skip').setStyle(ButtonStyle.Secondary).setDisabled(n >= QUEUE),
  );
  return { content: note ?? '', embeds: [embed], components: [row, ...extra] };
}

/** /label: one stored post at a time that triage is least sure of, answered with a button. */
export const label: SlashCommand = {
  data: new SlashCommandBuilder().setName('label').setDescription('Teach triage: say what the posts it is least sure of are').toJSON(),

  async execute(i, ctx) {
    if (!ctx.teaching) return void (await i.reply({ content: 'Labelling is not available in this setup.', flags: MessageFlags.Ephemeral }));
    await i.reply({ ...(await labelPage(ctx, 0)), flags: MessageFlags.Ephemeral });
  },

  componentPrefix: 'label',
  async component(i, ctx) {
    const [, what, n, platform, ...rest] = i.customId.split(':');
    const a = Answer.safeParse({ what, n, platform, id: rest.join(':') });
    if (!a.success || !ctx.teaching) return void (await i.reply({ content: 'That answer is not valid any more; run /label again.', flags: MessageFlags.Ephemeral }));
    const { what: w, n: at, platform: p, id } = a.data;
    if (w === 'skip') return void (await i.update(await labelPage(ctx, at + 1)));
    if (w === 'undo') {
      const undone = await ctx.store.undoLabel(Number(id), actorOf(i));
      return void (await i.update(await labelPage(ctx, at, undone ? 'Undone.' : 'Nothing to undo.')));
    }
    // 'not-a-card' is a dismissal's label, never a button here.
    if (w === 'not-a-card') return void (await i.reply({ content: 'Pick one of the four kinds.', flags: MessageFlags.Ephemeral }));
    const labelId = await ctx.store.addLabel({ platform: p, id }, w, 'label', actorOf(i));
    await i.update(await labelPage(ctx, at, `Labelled ${w}. Next:`, labelId));
  },
};
