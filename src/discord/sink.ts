import { createHash } from 'node:crypto';
import { DiscordAPIError, HTTPError, RateLimitError, REST, Routes, type APIMessage } from 'discord.js';
import type { ActionRecord, Opportunity } from '../domain/opportunity';
import type { DeliveryRef, OutboxItem } from '../domain/outbox';
import type { Logger } from '../log';
import { backoffMs, DeliveryError, type CardSink } from '../outbox/courier';
import { buildCard, cardMarker, type CardOptions } from './card';
import { findPosted } from './recovery';

import { DISCORD_SINK } from './sink-name';

export { DISCORD_SINK };

export interface DiscordSinkOptions {
  token: string;
  channelId: string;
  /** REST base such as http://127.0.0.1:PORT/api (tests, REST proxies). */
  apiUrl?: string;
  /** The bot's own user id, to recognise its messages when checking for a card posted before a crash. */
  botUserId?: string;
  history?: (opportunityId: number) => Promise<ActionRecord[]>;
  cardOptions?: CardOptions;
  log?: Logger;
  /** Per-request timeout. */
  timeoutMs?: number;
  /** Wait before retrying after a 5xx or a network failure (default: the Courier's exponential backoff). */
  backoff?: (attempts: number) => number;
}

/**
 * Discord's nonce (at most 25 characters): with enforce_nonce, Discord answers a repeated post within a few
 * minutes with the message it already made instead of a second one.
 */
export function cardNonce(opp: Pick<Opportunity, 'id' | 'postId' | 'createdAt'>): string {
  return `k${createHash('sha256').update(`${opp.id}\n${opp.postId}\n${opp.createdAt}`).digest('base64url').slice(0, 24)}`;
}

/**
 * Posts cards to the team channel. Has its own REST client that never waits or retries by itself: a 429 or a
 * 5xx goes back to the Courier, which keeps the queue in order and the retry schedule in the store.
 */
export class DiscordSink implements CardSink {
  readonly name = DISCORD_SINK;
  readonly rest: REST;
  /**
   * Until the first post of this process, the head of the queue may have been posted by a process that crashed
   * before it could write down either the attempt or the result (one from before attempts were recorded).
   */
  private recovering = true;
  private readonly startedAt = Date.now();

  constructor(private readonly opts: DiscordSinkOptions) {
    this.rest = outboxRest(opts.token, opts.apiUrl, opts.timeoutMs ?? 15_000);
  }

  async deliver(opportunity: Opportunity, item: OutboxItem): Promise<DeliveryRef> {
    const channelId = this.opts.channelId;
    try {
      // An attempt began before (this process's, or one that crashed): the card may be out already.
      if (item.firstAttemptAt || item.attempts > 0 || (this.recovering && Date.parse(item.createdAt) < this.startedAt)) {
        const marker = cardMarker(opportunity);
        const found = await findPosted(
          this.rest,
          channelId,
          item.firstAttemptAt ?? item.createdAt,
          (m) => Boolean(m.embeds?.some((e) => e.footer?.text?.startsWith(marker))),
          this.opts.botUserId,
        );
        if (found) {
          this.opts.log?.info({ opportunity: opportunity.id, messageId: found }, 'card was already posted; not posting again');
          this.recovering = false;
          return { messageId: found, channelId };
        }
      }
      const body = {
        ...buildCard(opportunity, (await this.opts.history?.(opportunity.id)) ?? [], this.opts.cardOptions),
        nonce: cardNonce(opportunity),
        enforce_nonce: true,
      };
      const msg = (await this.rest.post(Routes.channelMessages(channelId), { body })) as APIMessage;
      this.recovering = false;
      return { messageId: msg.id, channelId };
    } catch (err) {
      throw toDeliveryError(err, item.attempts, this.opts.backoff);
    }
  }
}

/** A REST client for an outbox sink: it never waits or retries by itself (the courier does, in order). */
export function outboxRest(token: string, apiUrl: string | undefined, timeoutMs: number): REST {
  return new REST({ api: apiUrl ?? 'https://discord.com/api', rejectOnRateLimit: () => true, retries: 0, timeout: timeoutMs }).setToken(token);
}

/** 429 → wait what Discord asked; 5xx and network trouble → back off; any other 4xx will never work. */
export function toDeliveryError(err: unknown, attempts: number, backoff: (attempts: number) => number = backoffMs): DeliveryError {
  if (err instanceof DeliveryError) return err;
  if (err instanceof RateLimitError) {
    return new DeliveryError(`Discord rate limit on ${err.route}; retry in ${err.retryAfter} ms`, Math.max(err.retryAfter, 250));
  }
  if (err instanceof DiscordAPIError) {
    if (err.status === 429) return new DeliveryError('Discord rate limit', backoff(attempts));
    if (err.status >= 500) return new DeliveryError(`Discord ${err.status}: ${err.message}`, backoff(attempts));
    return new DeliveryError(`Discord refused the card (${err.status} ${err.code}): ${err.message}`, null);
  }
  if (err instanceof HTTPError) return new DeliveryError(`Discord ${err.status}: ${err.message}`, backoff(attempts));
  const message = err instanceof Error ? err.message : String(err);
  return new DeliveryError(`Discord unreachable: ${message}`, backoff(attempts));
}
