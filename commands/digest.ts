import { MessageFlags, SlashCommandBuilder } from 'discord.js';
import { z } from 'zod';
import { buildDigest } from '../src/discord/digest';
import { renderChartPng } from '../src/digest/chart';
import { readDigestData, xDigestOptions } from '../src/digest/data';
import { localDay, zonedTime } from '../src/digest/time';
import type { SlashCommand } from '../src/discord/context';

const Day = z
  .string()
  .trim()
  .regex(/^\d{4}-\d{2}-\d{2}$/, 'a day as YYYY-MM-DD')
  .refine((d) => !Number.isNaN(Date.parse(`${d}T00:00:00Z`)) && new Date(`${d}T00:00:00Z`).toISOString().startsWith(d), 'a real calendar day');

function nextDay(day: string): string {
  const d = new Date(`${day}T12:00:00Z`);
  d.setUTCDate(d.getUTCDate() + 1);
  return d.toISOString().slice(0, 10);
}

/**
 * /digest: the full digest with its chart, now (the last 24 hours) or for a chosen calendar day in TZ. Only the
 * person who asked sees it; the scheduled digest is the one the whole channel gets.
 */
export const digest: SlashCommand = {
  data: new SlashCommandBuilder()
    .setName('digest')
    .setDescription('The digest with its chart: the last 24 hours, or a chosen day')
    .addStringOption((o) => o.setName('day').setDescription('YYYY-MM-DD (default: the last 24 hours)').setMinLength(10).setMaxLength(10))
    .toJSON(),

  async execute(i, ctx) {
    const tz = ctx.config.timeZone;
    const asked = i.options.getString('day');
    const day = asked === null ? null : Day.safeParse(asked);
    if (day && !day.success) {
      return void (await i.reply({ content: `Cannot make that digest: expected ${day.error.issues[0]?.message}.`, flags: MessageFlags.Ephemeral }));
    }
    // Rendering the chart takes a moment: defer so Discord's three seconds never run out.
    await i.deferReply({ flags: MessageFlags.Ephemeral });
    const now = ctx.clock();
    const window = day
      ? { day: day.data, from: zonedTime(day.data, '00:00', tz), to: zonedTime(nextDay(day.data), '00:00', tz) }
      : { day: localDay(now, tz), from: new Date(now.getTime() - 24 * 3_600_000), to: now };
    const data = await readDigestData(ctx.store, { ...window, timeZone: tz, guildId: ctx.config.discord.guildId, llm: Boolean(ctx.config.llm), teaching: ctx.teaching, x: xDigestOptions(ctx.config.x) });
    const { payload } = buildDigest(data, { brandName: ctx.config.brand.name });
    await i.editReply({
      content: payload.content,
      embeds: payload.embeds,
      components: payload.components,
      files: [{ attachment: renderChartPng(data), name: payload.chartName }],
      allowedMentions: { parse: [] },
    });
  },
};
