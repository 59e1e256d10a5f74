import { ActionRowBuilder, ButtonBuilder, ButtonStyle, MessageFlags, SlashCommandBuilder } from 'discord.js';
import { z } from 'zod';
import { actorOf, type SlashCommand } from '../src/discord/context';
import { neutralise, oneLine, clip } from '../src/discord/text';

const Link = z.string().trim().max(500).url();
const MissedKind = z.enum(['opportunity', 'risk']);

/** /missed post:<link>: a post Kairos read that should have been a card; the label teaches the brand's triage. */
export const missed: SlashCommand = {
  data: new SlashCommandBuilder()
    .setName('missed')
    .setDescription('A post that should have been a card: teaches the brand’s triage')
    .addStringOption((o) => o.setName('post').setDescription('The link to the post').setRequired(true).setMaxLength(500))
    .addStringOption((o) =>
      o.setName('kind').setDescription('What card it should have been (default: opportunity)').addChoices({ name: 'opportunity', value: 'opportunity' }, { name: 'risk', value: 'risk' }),
    )
    .toJSON(),

  async execute(i, ctx) {
    const link = Link.safeParse(i.options.getString('post', true));
    const kind = MissedKind.safeParse(i.options.getString('kind') ?? 'opportunity');
    if (!link.success || !kind.success) return void (await i.reply({ content: 'post: expected the link to a post (https://…).', flags: MessageFlags.Ephemeral }));
    const post = await ctx.store.findPostByUrl(link.data);
    if (!post) {
      return void (await i.reply({
        content: 'Kairos has not read that post, so it cannot learn from it: only posts from the sources Kairos reads (and replayed files) can be labelled.',
        flags: MessageFlags.Ephemeral,
      }));
    }
    const id = await ctx.store.addLabel(post, kind.data, 'missed', actorOf(i));
    const undo = new ActionRowBuilder<ButtonBuilder>().addComponents(new ButtonBuilder().setCustomId(`missed:undo:${id}`).setLabel('Undo').setStyle(ButtonStyle.Secondary));
    await i.reply({
      content: `Noted: @${clip(oneLine(neutralise(post.author.handle)), 64)}’s post should have been a ${kind.data} card. It teaches the brand’s triage the next time \`kairos learn\` runs.`,
      components: [undo],
      flags: MessageFlags.Ephemeral,
    });
  },

  componentPrefix: 'missed',
  async component(i, ctx) {
    const id = z.coerce.number().int().positive().safeParse(i.customId.split(':')[2]);
    if (!id.success) return void (await i.reply({ content: 'That button is not valid any more.', flags: MessageFlags.Ephemeral }));
    const undone = await ctx.store.undoLabel(id.data, actorOf(i));
    await i.update({ content: undone ? 'Undone: that post teaches nothing.' : 'Already undone.', components: [] });
  },
};
