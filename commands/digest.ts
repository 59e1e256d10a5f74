import { MessageFlags, SlashCommandBuilder } from 'discord.js';
import { z } from 'zod';
import { buildShortDigest, today } from '../src/discord/digest';
import type { SlashCommand } from '../src/discord/context';

const Day = z
  .string()
  .trim()
  .regex(/^\d{4}-\d{2}-\d{2}$/, 'a day as YYYY-MM-DD')
  .refine((d) => !Number.isNaN(Date.parse(`${d}T00:00:00Z`)) && new Date(`${d}T00:00:00Z`).toISOString().startsWith(d), 'a real calendar day');

/** /digest: the day's summary now (today, or a chosen day). */
export const digest: SlashCommand = {
  data: new SlashCommandBuilder()
    .setName('digest')
    .setDescription('A short digest: posts by kind, open cards, decisions')
    .addStringOption((o) => o.setName('day').setDescription('YYYY-MM-DD (default: today)').setMinLength(10).setMaxLength(10))
    .toJSON(),

  async execute(i, ctx) {
    const day = Day.safeParse(i.options.getString('day') ?? today(ctx.clock(), ctx.config.timeZone));
    if (!day.success) return void (await i.reply({ content: `Cannot make that digest: expected ${day.error.issues[0]?.message}.`, flags: MessageFlags.Ephemeral }));
    const m = buildShortDigest(ctx.store, day.data, ctx.config.timeZone);
    await i.reply({ embeds: m.embeds, allowedMentions: { parse: [] }, flags: MessageFlags.Ephemeral });
  },
};
