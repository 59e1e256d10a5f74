import {
  ActionRowBuilder,
  ButtonBuilder,
  ButtonStyle,
  MessageFlags,
  Routes,
  SlashCommandBuilder,
  type APIEmbed,
} from 'discord.js';
import { z } from 'zod';
import { FIELD_NAMES, LIMITS } from '../src/discord/card';
import type { SlashCommand } from '../src/discord/context';
import { clip, neutralise, oneLine } from '../src/discord/text';

const SHARE = 'draft:share';

export const LangSchema = z
  .string()
  .trim()
  .toLowerCase()
  .regex(/^[a-z]{2,3}(-[a-z0-9]{2,8})?$/, 'a language code such as en, nl or pt-br');

const Options = z.object({
  post: z.string().trim().min(3, 'give a post link or paste its text').max(4000),
  kind: z.enum(['reply', 'announcement']),
  language: LangSchema,
  tone: z.string().trim().max(100).optional(),
});

/** /draft: drafts for a post link or pasted text, shown only to the asker, with a button to share them. */
export const draft: SlashCommand = {
  data: new SlashCommandBuilder()
    .setName('draft')
    .setDescription('Draft a reply or an announcement in the brand voice')
    .addStringOption((o) => o.setName('post').setDescription('A post link, or the text to answer').setRequired(true).setMaxLength(4000))
    .addStringOption((o) =>
      o
        .setName('kind')
        .setDescription('What to draft')
        .addChoices({ name: 'reply', value: 'reply' }, { name: 'announcement', value: 'announcement' }),
    )
    .addStringOption((o) => o.setName('language').setDescription('Language code, e.g. nl').setAutocomplete(true).setMaxLength(16))
    .addStringOption((o) => o.setName('tone').setDescription('e.g. playful, formal, warm').setMaxLength(100))
    .toJSON(),

  async execute(i, ctx) {
    // The language defaults to the linked post's, then to the brand's first.
    const raw = i.options.getString('post', true).trim();
    const linked = /^https?:\/\/\S+$/i.test(raw) ? await ctx.store.findPostByUrl(raw) : null;
    const checked = Options.safeParse({
      post: raw,
      kind: i.options.getString('kind') ?? 'reply',
      language: i.options.getString('language') ?? linked?.lang ?? ctx.config.brand.languages[0] ?? 'en',
      tone: i.options.getString('tone') ?? undefined,
    });
    if (!checked.success) {
      await i.reply({ content: `Cannot draft: ${checked.error.issues[0]?.message}.`, flags: MessageFlags.Ephemeral });
      return;
    }
    const o = checked.data;
    if (/^https?:\/\/\S+$/i.test(o.post) && !linked) {
      await i.reply({ content: 'I have not seen that post; paste its text instead.', flags: MessageFlags.Ephemeral });
      return;
    }
    await i.deferReply({ flags: MessageFlags.Ephemeral });
    const drafts = await ctx.analyst.draft({ text: linked?.text ?? o.post, kind: o.kind, lang: o.language, tone: o.tone });
    const embed: APIEmbed = {
      title: clip(`Draft · ${o.kind} · ${o.language}${o.tone ? ` · ${oneLine(neutralise(o.tone))}` : ''}`, LIMITS.title),
      description: clip(`> ${neutralise(oneLine(linked?.text ?? o.post))}`, 1000),
      fields: [
        { name: FIELD_NAMES[2], value: clip(neutralise(drafts.reply) || '—', LIMITS.fieldValue) },
        { name: FIELD_NAMES[3], value: clip(drafts.publicPost ? neutralise(drafts.publicPost) : 'None', LIMITS.fieldValue) },
      ],
      footer: { text: clip(`analyst: ${drafts.analyst}${drafts.notes.length ? ` · ${drafts.notes.join(' · ')}` : ''}`, 1000) },
      color: 0x3498db,
    };
    await i.editReply({
      embeds: [embed],
      components: [
        new ActionRowBuilder<ButtonBuilder>().addComponents(
          new ButtonBuilder().setCustomId(SHARE).setLabel('Share to the channel').setStyle(ButtonStyle.Primary),
        ),
      ],
      allowedMentions: { parse: [] },
    });
  },

  async autocomplete(i, ctx) {
    const typed = i.options.getFocused().toLowerCase();
    await i.respond(
      ctx.config.brand.languages.filter((l) => l.toLowerCase().startsWith(typed)).slice(0, 25).map((l) => ({ name: l, value: l })),
    );
  },

  componentPrefix: 'draft',
  async component(i, ctx) {
    if (i.customId !== SHARE) return void (await i.reply({ content: 'Unknown button.', flags: MessageFlags.Ephemeral }));
    // The drafts live in the ephemeral message itself: nothing to keep in memory, nothing lost on a restart.
    const embed = i.message.embeds[0]?.toJSON();
    if (!embed) return void (await i.reply({ content: 'Nothing to share.', flags: MessageFlags.Ephemeral }));
    const who = neutralise(i.user.globalName ?? i.user.username);
    await i.deferUpdate();
    await ctx.client.rest.post(Routes.channelMessages(i.channelId), {
      body: {
        content: clip(`Draft shared by ${who}`, 200),
        embeds: [embed],
        allowed_mentions: { parse: [] },
      },
    });
    await i.editReply({ content: 'Shared to the channel.', components: [] });
  },
};
