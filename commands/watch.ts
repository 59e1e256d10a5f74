import { MessageFlags, SlashCommandBuilder } from 'discord.js';
import { z } from 'zod';
import { actorOf, type SlashCommand } from '../src/discord/context';
import { clip, neutralise } from '../src/discord/text';

export const WatchTerm = z
  .string()
  .trim()
  .min(2, 'a term of at least 2 characters')
  .max(64, 'a term of at most 64 characters')
  .refine((t) => !/[\n\r\t]/.test(t), 'a term on one line');

/** /watch add|remove|list: the terms and events the team cares about (triage reads them; X stream rules too). */
export const watch: SlashCommand = {
  data: new SlashCommandBuilder()
    .setName('watch')
    .setDescription('Terms and events Kairos should pay extra attention to')
    .addSubcommand((s) =>
      s
        .setName('add')
        .setDescription('Watch a term or an event')
        .addStringOption((o) => o.setName('term').setDescription('e.g. Elfstedentocht').setRequired(true).setMinLength(2).setMaxLength(64))
        .addStringOption((o) =>
          o.setName('kind').setDescription('term (default) or event').addChoices({ name: 'term', value: 'term' }, { name: 'event', value: 'event' }),
        ),
    )
    .addSubcommand((s) =>
      s
        .setName('remove')
        .setDescription('Stop watching a term')
        .addStringOption((o) => o.setName('term').setDescription('The term').setRequired(true).setAutocomplete(true).setMaxLength(64)),
    )
    .addSubcommand((s) => s.setName('list').setDescription('What is watched'))
    .toJSON(),

  async execute(i, ctx) {
    const sub = i.options.getSubcommand(true);
    if (sub === 'list') {
      const terms = await ctx.store.listWatch();
      const text = terms.length
        ? terms.map((t) => `• ${neutralise(t.term)} (${t.kind}, by ${neutralise(t.addedBy)})`).join('\n')
        : 'Nothing is watched yet. Add a term with /watch add.';
      return void (await i.reply({ content: clip(text, 2000), flags: MessageFlags.Ephemeral, allowedMentions: { parse: [] } }));
    }
    const term = WatchTerm.safeParse(i.options.getString('term', true));
    if (!term.success) return void (await i.reply({ content: `Not changed: expected ${term.error.issues[0]?.message}.`, flags: MessageFlags.Ephemeral }));
    const shown = neutralise(term.data);
    let changed: boolean;
    let answer: string;
    if (sub === 'add') {
      const kind = z.enum(['term', 'event']).parse(i.options.getString('kind') ?? 'term');
      changed = await ctx.store.addWatch(term.data, kind, actorOf(i));
      answer = changed ? `Watching "${shown}" (${kind}).` : `"${shown}" was already watched.`;
    } else {
      changed = await ctx.store.removeWatch(term.data);
      answer = changed ? `No longer watching "${shown}".` : `"${shown}" was not watched.`;
    }
    if (changed) ctx.onWatchChanged?.();
    await i.reply({ content: answer, flags: MessageFlags.Ephemeral, allowedMentions: { parse: [] } });
  },

  async autocomplete(i, ctx) {
    const typed = i.options.getFocused().toLowerCase();
    await i.respond(
      (await ctx.store.listWatch())
        .filter((t) => t.term.toLowerCase().includes(typed))
        .slice(0, 25)
        .map((t) => ({ name: t.term.slice(0, 100), value: t.term.slice(0, 100) })),
    );
  },
};
