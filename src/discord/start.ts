import { once } from 'node:events';
import { Events, type Client } from 'discord.js';
import { Courier } from '../outbox/courier';
import { DiscordSink, DISCORD_SINK } from './sink';
import { createBot, type BotDeps } from './bot';

export interface DiscordRuntime {
  /** The outbox sink name to give the pipeline: its cards are queued for this sink. */
  sinkName: typeof DISCORD_SINK;
  sink: DiscordSink;
  courier: Courier;
  client: Client;
  /** Call when the pipeline stored a card (Pipeline onCard). */
  kick(): void;
  stop(): Promise<void>;
}

export interface StartDiscordOptions extends BotDeps {
  /** Test hook: the sink's retry delay after a 5xx or network failure. */
  backoff?: (attempts: number) => number;
  /** How long to wait for the gateway before giving up (ms). */
  readyTimeoutMs?: number;
}

/**
 * Logs in, waits for the gateway, and starts delivering cards: pending ones at once (crash recovery), new ones
 * whenever kick() is called.
 */
export async function startDiscord(opts: StartDiscordOptions): Promise<DiscordRuntime> {
  const { config, store, log } = opts;
  const discord = config.discord;
  if (!discord) throw new Error('Discord is not configured (DISCORD_TOKEN and friends)');
  const { client } = createBot(opts);
  const ready = once(client, Events.ClientReady, { signal: AbortSignal.timeout(opts.readyTimeoutMs ?? 60_000) });
  try {
    await client.login(discord.token);
    await ready;
  } catch (err) {
    await client.destroy();
    throw new Error(`Discord login failed: ${err instanceof Error ? err.message : String(err)}`);
  }
  log.info({ user: client.user?.tag, guild: discord.guildId, channel: discord.channelId }, 'discord connected');

  const sink = new DiscordSink({
    token: discord.token,
    channelId: discord.channelId,
    apiUrl: discord.apiUrl,
    botUserId: client.user?.id,
    history: (id) => store.actionsFor(id),
    cardOptions: { canSendReply: Boolean(opts.replySender) },
    log,
    backoff: opts.backoff,
  });
  const courier = new Courier(store, sink, log, opts.clock);
  const kick = () => void courier.kick().catch((err) => log.error({ err }, 'discord courier failed'));
  kick();

  return {
    sinkName: DISCORD_SINK,
    sink,
    courier,
    client,
    kick,
    async stop() {
      await courier.stop();
      await client.destroy();
    },
  };
}
