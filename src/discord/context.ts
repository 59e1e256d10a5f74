import type {
  AutocompleteInteraction,
  ButtonInteraction,
  ChatInputCommandInteraction,
  Client,
  RESTPostAPIChatInputApplicationCommandsJSONBody,
} from 'discord.js';
import type { Analyst } from '../analyse/analyst';
import type { Gesture } from '../analyse/catalogue';
import type { Config } from '../config';
import type { Logger } from '../log';
import type { Actor, Clock } from '../domain/opportunity';
import type { NewMessage } from '../domain/outbox';
import type { PostFetcher, Store } from '../domain/ports';
import type { Teaching } from '../domain/label';

export type { Teaching };
/**
 * The platforms' extension point: sends an approved card's reply where the post was made (X, Facebook,
 * Instagram, Bluesky, Mastodon). Given the actor, the sender records the '<platform>-reply-sent' audit itself (atomically with its
 * own bookkeeping). Errors named ReplyRefused or ReplyFailed carry a message that is safe to show.
 */
export interface ReplySender {
  /** The post platforms it replies on; a card on another gets its approved reply ready to copy. Unset: all. */
  readonly platforms?: readonly string[];
  send(opportunityId: number, actor?: { id: string; name: string }): Promise<{ url: string; alreadySent?: boolean }>;
}

/** Everything a command or a card action may use; built once in bot.ts. */
export interface BotContext {
  client: Client;
  store: Store;
  analyst: Analyst;
  catalogue: readonly Gesture[];
  config: Pick<Config, 'brand' | 'timeZone' | 'llm'> & { discord: NonNullable<Config['discord']>; x?: Config['x'] };
  log: Logger;
  clock: Clock;
  replySender?: ReplySender;
  onWatchChanged?: () => void;
  teaching?: Teaching;
  /** Each live source and whether it reads now (null) or why not, for /stats. */
  sourceHealth?: () => Promise<Record<string, string | null>>;
  /** Reads a post Kairos never stored from its platform, by its link (/missed). */
  postFetcher?: PostFetcher;
  /** Queues a message in the outbox (a line in a card's thread); the message courier delivers it once. */
  send(message: NewMessage): void;
}

/** One slash command: its definition as data, its handler, and optionally its autocomplete and buttons. */
export interface SlashCommand {
  data: RESTPostAPIChatInputApplicationCommandsJSONBody;
  execute(interaction: ChatInputCommandInteraction, ctx: BotContext): Promise<void>;
  autocomplete?(interaction: AutocompleteInteraction, ctx: BotContext): Promise<void>;
  /** Buttons this command puts on its replies: custom ids starting with `${componentPrefix}:`. */
  componentPrefix?: string;
  component?(interaction: ButtonInteraction, ctx: BotContext): Promise<void>;
}

/** A person, as the store records them. */
export function actorOf(interaction: { user: { id: string; username: string; globalName?: string | null }; member?: unknown }): Actor {
  const member = interaction.member as { displayName?: string; nick?: string | null } | null | undefined;
  const name = member?.displayName ?? member?.nick ?? interaction.user.globalName ?? interaction.user.username;
  return { id: interaction.user.id, name: name.slice(0, 64) };
}
