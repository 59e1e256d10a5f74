import { Client, Events, GatewayIntentBits } from 'discord.js';
import { commands as allCommands } from '../../commands/index';
import type { Analyst } from '../analyse/analyst';
import type { Gesture } from '../analyse/catalogue';
import type { Config } from '../config';
import type { Logger } from '../log';
import type { Clock, Store } from '../store/store';
import type { BotContext, ReplySender, SlashCommand } from './context';
import { createInteractionHandler } from './interactions';

export interface BotDeps {
  config: Config;
  store: Store;
  analyst: Analyst;
  catalogue: readonly Gesture[];
  log: Logger;
  clock?: Clock;
  replySender?: ReplySender;
  onWatchChanged?: () => void;
  commands?: readonly SlashCommand[];
}

/**
 * The discord.js client and its handlers. Guilds is the only intent: interactions carry the member's roles and
 * permissions, and cards are posted over REST, so no privileged intent is needed.
 */
export function createBot(deps: BotDeps): { client: Client; ctx: BotContext } {
  const discord = deps.config.discord;
  if (!discord) throw new Error('Discord is not configured (DISCORD_TOKEN and friends)');
  const client = new Client({
    intents: [GatewayIntentBits.Guilds],
    rest: discord.apiUrl ? { api: discord.apiUrl } : {},
    allowedMentions: { parse: [] },
  });
  const ctx: BotContext = {
    client,
    store: deps.store,
    analyst: deps.analyst,
    catalogue: deps.catalogue,
    config: { brand: deps.config.brand, timeZone: deps.config.timeZone, discord },
    log: deps.log,
    clock: deps.clock ?? (() => new Date()),
    replySender: deps.replySender,
    onWatchChanged: deps.onWatchChanged,
  };
  const handle = createInteractionHandler(ctx, deps.commands ?? allCommands);
  client.on(Events.InteractionCreate, (i) => void handle(i));
  client.on(Events.Error, (err) => deps.log.error({ err }, 'discord client error'));
  client.on(Events.Warn, (msg) => deps.log.warn({ msg }, 'discord client warning'));
  return { client, ctx };
}
