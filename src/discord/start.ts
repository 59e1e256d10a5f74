import { once } from 'node:events';
import type { StoryPost } from '../domain/analysis';
import { recordStory } from './actions';
import { Events, type Client } from 'discord.js';
import { Courier, type CourierOptions } from '../outbox/courier';
import { MessageCourier } from '../outbox/messages';
import { DiscordMessageSink } from './message-sink';
import { recordDelivery } from './messages';
import { replyOptions } from './actions';
import { DiscordSink, DISCORD_SINK } from './sink';
import { createBot, type BotDeps } from './bot';

export interface DiscordRuntime {
  /** The outbox sink name to give the pipeline: its cards are queued for this sink. */
  sinkName: typeof DISCORD_SINK;
  sink: DiscordSink;
  courier: Courier;
  /** Every other message (moments, digests, notices, thread lines), through the message outbox. */
  messages: MessageCourier;
  client: Client;
  /** Call when the pipeline stored a card (Pipeline onCard). */
  kick(): void;
  /** Call when a post joined a card's story (Pipeline onJoin): a thread line, the card redrawn. */
  story(opportunityId: number, entry: StoryPost): Promise<void>;
  stop(): Promise<void>;
}

export interface StartDiscordOptions extends BotDeps {
  /** Test hook: the sink's retry delay after a 5xx or network failure. */
  backoff?: (attempts: number) => number;
  /** The courier's claims and polling (several workers on one store). */
  courier?: CourierOptions;
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
  // The bot may queue thread lines before the message courier exists (it needs the bot's user id from login).
  // eslint-disable-next-line prefer-const -- assigned once the login gave the bot's user id; read by the queue before
  let messages: MessageCourier | undefined;
  const queue = (m: Parameters<MessageCourier['send']>[0]) =>
    void (messages ? messages.send(m) : store.queueMessage(m)).catch((err: unknown) => log.error({ err, message: m.key }, 'could not queue a message'));
  const { client, ctx } = createBot({ ...opts, send: queue });
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
    cardOptions: replyOptions(opts.replySender),
    log,
    backoff: opts.backoff,
  });
  // A card whose story grew before it went out opens its thread with that story as soon as it is out.
  const courier = new Courier(store, sink, log, opts.clock, {
    ...opts.courier,
    // Read afresh: posts may have joined while the card was on its way.
    onSent: (opportunity) => recordStory(ctx, opportunity.id),
  });
  const kick = () => void courier.kick().catch((err) => log.error({ err }, 'discord courier failed'));
  kick();
  const messageSink = new DiscordMessageSink({
    token: discord.token,
    channelId: discord.channelId,
    apiUrl: discord.apiUrl,
    botUserId: client.user?.id,
    log,
    backoff: opts.backoff,
  });
  messages = new MessageCourier(store, messageSink, log, recordDelivery(store), opts.clock, opts.courier);
  const courierOfMessages = messages;
  void courierOfMessages.kick().catch((err: unknown) => log.error({ err }, 'message courier failed'));

  return {
    sinkName: DISCORD_SINK,
    sink,
    courier,
    client,
    kick,
    story: (opportunityId, entry) => recordStory(ctx, opportunityId, entry),
    messages: courierOfMessages,
    async stop() {
      await Promise.all([courier.stop(), courierOfMessages.stop()]);
      await client.destroy();
    },
  };
}
