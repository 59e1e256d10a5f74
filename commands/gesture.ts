import { MessageFlags, SlashCommandBuilder, type APIEmbed } from 'discord.js';
import type { Gesture } from '../src/analyse/catalogue';
import type { SlashCommand } from '../src/discord/context';
import { clip } from '../src/discord/text';

function describeGesture(g: Gesture, used: number): string {
  return `**${g.name}** (\`${g.id}\`) · about €${g.costEur} · ${used}/${g.capPerMonth} this month${g.needsApproval ? ' · needs a lead’s approval' : ''}\n${g.fits}`;
}

/** /gesture: the brand's catalogue, with costs and monthly caps (and how much of each cap is used). */
export const gesture: SlashCommand = {
  data: new SlashCommandBuilder()
    .setName('gesture')
    .setDescription('The gesture catalogue: costs and monthly caps')
    .addStringOption((o) => o.setName('id').setDescription('One gesture').setAutocomplete(true).setMaxLength(64))
    .toJSON(),

  async execute(i, ctx) {
    const usage = await ctx.store.gestureUsageThisMonth();
    const id = i.options.getString('id');
    const list = id ? ctx.catalogue.filter((g) => g.id === id) : ctx.catalogue;
    if (id && list.length === 0) return void (await i.reply({ content: 'No gesture with that id; pick one from the list.', flags: MessageFlags.Ephemeral }));
    const embed: APIEmbed = {
      title: id ? 'Gesture' : `Gesture catalogue (${ctx.catalogue.length})`,
      description: clip(list.map((g) => describeGesture(g, usage(g.id))).join('\n\n'), 4000),
      color: 0xf1c40f,
    };
    await i.reply({ embeds: [embed], flags: MessageFlags.Ephemeral });
  },

  async autocomplete(i, ctx) {
    const typed = i.options.getFocused().toLowerCase();
    await i.respond(
      ctx.catalogue
        .filter((g) => g.id.includes(typed) || g.name.toLowerCase().includes(typed))
        .slice(0, 25)
        .map((g) => ({ name: clip(`${g.name} (€${g.costEur})`, 100), value: g.id })),
    );
  },
};
