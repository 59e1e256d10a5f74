import { MessageFlags, type Interaction } from 'discord.js';
import { parseCardCustomId } from './card';
import { DISMISS_SELECT, EDIT_MODAL, handleCardButton, handleDismissReason, handleEditSubmit, handleXReply } from './actions';
import type { BotContext, SlashCommand } from './context';
import { mayAct, NOT_ALLOWED } from './permissions';

const idAfter = (customId: string, prefix: string): number | null => {
  const m = new RegExp(`^${prefix}:(\\d{1,15})$`).exec(customId);
  return m ? Number(m[1]) : null;
};

/**
 * The one error boundary for interactions: routes each to its handler; whatever goes wrong, the person gets a
 * short answer and the log gets the stack.
 */
export function createInteractionHandler(ctx: BotContext, commands: readonly SlashCommand[]) {
  const byName = new Map(commands.map((c) => [c.data.name, c]));
  const byPrefix = new Map(commands.filter((c) => c.componentPrefix).map((c) => [c.componentPrefix as string, c]));
  const { guildId, teamRoleId } = ctx.config.discord;

  return async function handle(i: Interaction): Promise<void> {
    const started = Date.now();
    try {
      if (i.isAutocomplete()) {
        const cmd = byName.get(i.commandName);
        // Outsiders learn nothing from autocomplete either.
        if (!cmd?.autocomplete || !mayAct(i, guildId, teamRoleId)) return void (await i.respond([]));
        return await cmd.autocomplete(i, ctx);
      }
      if (!i.isRepliable()) return;
      if (!mayAct(i, guildId, teamRoleId)) {
        ctx.log.info({ user: i.user.id, kind: i.type }, 'interaction refused: not on the team');
        await i.reply({ content: NOT_ALLOWED, flags: MessageFlags.Ephemeral });
        return;
      }
      if (i.isChatInputCommand()) {
        const cmd = byName.get(i.commandName);
        if (!cmd) return void (await i.reply({ content: 'Unknown command.', flags: MessageFlags.Ephemeral }));
        return await cmd.execute(i, ctx);
      }
      if (i.isButton()) {
        const card = parseCardCustomId(i.customId);
        if (card) return await handleCardButton(ctx, i, card.action, card.opportunityId);
        const xId = idAfter(i.customId, 'x-reply');
        if (xId !== null) return await handleXReply(ctx, i, xId);
        const cmd = byPrefix.get(i.customId.split(':')[0] ?? '');
        if (cmd?.component) return await cmd.component(i, ctx);
      }
      if (i.isStringSelectMenu()) {
        const id = idAfter(i.customId, DISMISS_SELECT);
        if (id !== null) return await handleDismissReason(ctx, i, id);
      }
      if (i.isModalSubmit()) {
        const id = idAfter(i.customId, EDIT_MODAL);
        if (id !== null) return await handleEditSubmit(ctx, i, id);
      }
      await i.reply({ content: 'This button is not known (any more).', flags: MessageFlags.Ephemeral });
    } catch (err) {
      ctx.log.error({ err, interaction: describe(i) }, 'interaction failed');
      await answerFailure(i).catch((e) => ctx.log.warn({ err: e }, 'could not tell the user about a failed interaction'));
    } finally {
      ctx.log.debug({ interaction: describe(i), ms: Date.now() - started }, 'interaction handled');
    }
  };
}

const SORRY = 'Something went wrong on our side; nothing was changed unless the card says so. The details are in the log.';

async function answerFailure(i: Interaction): Promise<void> {
  if (i.isAutocomplete()) {
    if (!i.responded) await i.respond([]);
    return;
  }
  if (!i.isRepliable()) return;
  if (i.deferred || i.replied) await i.followUp({ content: SORRY, flags: MessageFlags.Ephemeral });
  else await i.reply({ content: SORRY, flags: MessageFlags.Ephemeral });
}

function describe(i: Interaction): string {
  if (i.isChatInputCommand() || i.isAutocomplete()) return `/${i.commandName}`;
  if (i.isMessageComponent() || i.isModalSubmit()) return i.customId;
  return String(i.type);
}
