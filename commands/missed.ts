import { ActionRowBuilder, ButtonBuilder, ButtonStyle, MessageFlags, SlashCommandBuilder } from 'discord.js';
import { z } from 'zod';
import { actorOf, type BotContext, type SlashCommand } from '../src/discord/context';
import { neutralise, oneLine, clip } from '../src/discord/text';
import type { Actor } from '../src/domain/opportunity';
import type { Post } from '../src/domain/post';

const Link = z.string().trim().max(500).url();
const MissedKind = z.enum(['opportunity', 'risk']);
const CloseCall = z.object({ kind: MissedKind, platform: z.string().min(1).max(32), id: z.string().min(1).max(64) });

/** Records the "missed" label and says so, with an Undo button. */
async function noteMissed(ctx: BotContext, post: Pick<Post, 'platform' | 'id' | 'author'>, kind: 'opportunity' | 'risk', actor: Actor, before = '') {
  const id = await ctx.store.addLabel(post, kind, 'missed', actor);
  const undo = new ActionRowBuilder<ButtonBuilder>().addComponents(new ButtonBuilder().setCustomId(`missed:undo:${id}`).setLabel('Undo').setStyle(ButtonStyle.Secondary));
  return {
    content: `${before}Noted: @${clip(oneLine(neutralise(post.author.handle)), 64)}’s post should have been ${kind === 'opportunity' ? 'an opportunity' : 'a risk'} card. It teaches the brand’s triage the next time it learns.`,
    components: [undo],
  };
}

/**
 * A post Kairos never stored, read from its platform: checked as every post is, stored with triage's verdict
 * (no card: the person pointing at it has it in hand) so that it can be labelled and learnt from.
 */
async function fetchAndStore(ctx: BotContext, url: string): Promise<{ post: Post; note: string } | { problem: string }> {
  if (!ctx.postFetcher) return { problem: 'Kairos has not read that post, and cannot fetch posts in this setup: only posts it stored can be labelled.' };
  const fetched = await ctx.postFetcher.fetchPost(url);
  if (!fetched.ok) return { problem: `Kairos has not read that post and could not fetch it: ${fetched.problem}` };
  const post = fetched.post;
  const triage = ctx.teaching?.triage(post);
  if (triage) await ctx.store.recordPost(post, triage);
  else return { problem: 'Kairos fetched that post but cannot triage it in this setup, so it is not stored.' };
  return { post, note: `Fetched from ${post.platform} and stored (triage reads it as ${triage.kind}). ` };
}

/**
 * /missed post:<link>: a post that should have been a card; the label teaches the brand's triage. A post Kairos
 * never stored is fetched from its platform. The digest's "Should have been a card" buttons land here too.
 */
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
    const stored = await ctx.store.findPostByUrl(link.data);
    if (stored) return void (await i.reply({ ...(await noteMissed(ctx, stored, kind.data, actorOf(i))), flags: MessageFlags.Ephemeral }));
    // Reading the post from its platform can take longer than Discord's three seconds.
    await i.deferReply({ flags: MessageFlags.Ephemeral });
    const got = await fetchAndStore(ctx, link.data);
    if ('problem' in got) return void (await i.editReply({ content: got.problem }));
    await i.editReply(await noteMissed(ctx, got.post, kind.data, actorOf(i), got.note));
  },

  componentPrefix: 'missed',
  async component(i, ctx) {
    const [, action, ...rest] = i.customId.split(':');
    if (action === 'close') {
      // A digest's "Should have been a card": the digest stays as it is for everyone; the answer is the clicker's.
      const [kind, platform, ...id] = rest;
      const c = CloseCall.safeParse({ kind, platform, id: id.join(':') });
      const post = c.success ? await ctx.store.getPost({ platform: c.data.platform, id: c.data.id }) : null;
      if (!c.success || !post) return void (await i.reply({ content: 'That post is not in the store any more.', flags: MessageFlags.Ephemeral }));
      return void (await i.reply({ ...(await noteMissed(ctx, post, c.data.kind, actorOf(i))), flags: MessageFlags.Ephemeral }));
    }
    const id = z.coerce.number().int().positive().safeParse(rest[0]);
    if (action !== 'undo' || !id.success) return void (await i.reply({ content: 'That button is not valid any more.', flags: MessageFlags.Ephemeral }));
    const undone = await ctx.store.undoLabel(id.data, actorOf(i));
    await i.update({ content: undone ? 'Undone: that post teaches nothing.' : 'Already undone.', components: [] });
  },
};
