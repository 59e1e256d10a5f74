import { Client, Events, GatewayIntentBits } from 'discord.js';
import type { Analyst } from '../analyse/analyst';
import type { Gesture } from '../analyse/catalogue';
import type { Config } from '../config';
import type { Logger } from '../log';
import type { Clock } from '../domain/opportunity';
import type { NewMessage } from '../domain/outbox';
import type { PostFetcher, Store } from '../domain/ports';
import type { BotContext, ReplySender, SlashCommand, Teaching } from './context';
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
  teaching?: Teaching;
  postFetcher?: PostFetcher;
  sourceHealth?: BotContext['sourceHealth'];
  /** The slash commands to answer (commands/index.ts, handed in by the composition root). */
  commands: readonly SlashCommand[];
  /** Where the bot's own messages go (default: queued in the store for the message courier). */
  send?: (message: NewMessage) => void;
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
    config: { brand: deps.config.brand, timeZone: deps.config.timeZone, x: deps.config.x, discord },
    log: deps.log,
    clock: deps.clock ?? (() => new Date()),
    replySender: deps.replySender,
    onWatchChanged: deps.onWatchChanged,
    teaching: deps.teaching,
    sourceHealth: deps.sourceHealth,
    postFetcher: deps.postFetcher,
    send: deps.send ?? ((m) => void deps.store.queueMessage(m).catch((err: unknown) => deps.log.error({ err, message: m.key }, 'could not queue a message'))),
  };
  const handle = createInteractionHandler(ctx, deps.commands);
  client.on(Events.InteractionCreate, (i) => void handle(i));
  guardGateway(client, deps.log);
  client.on(Events.Error, (err) => deps.log.error({ err }, 'discord client error'));
  client.on(Events.Warn, (msg) => deps.log.warn({ msg }, 'discord client warning'));
  return { client, ctx };
}

type GatewayPacket = { t?: string; d?: { id?: string; type?: number; data?: { custom_id?: string; name?: string } } };

/**
 * The gateway's error boundary. discord.js builds its objects from each packet inside its own event handler, so a
 * malformed event (a button interaction without its message) throws where nothing of ours can catch it, as an
 * unhandled rejection that would end the process. Each packet is handled in a try: one that cannot be built is
 * logged with what it was and dropped, and the next one is handled as usual.
 */
export function guardGateway(client: Client, log: Logger): void {
  const ws = client.ws as unknown as { handlePacket(packet?: GatewayPacket, shard?: unknown): boolean };
  const handlePacket = ws.handlePacket.bind(ws);
  ws.handlePacket = (packet, shard) => {
    try {
      return handlePacket(packet, shard);
    } catch (err) {
      const d = packet?.d;
      log.error(
        { err, event: packet?.t, id: d?.id, interactionType: d?.type, customId: d?.data?.custom_id, command: d?.data?.name },
        'a gateway event could not be handled; dropped it',
      );
      return false;
    }
  };
}
