import { createHash } from 'node:crypto';
import { Routes, type APIEmbed, type APIMessage, type REST } from 'discord.js';
import type { Logger } from '../log';
import { backoffMs } from '../outbox/courier';
import type { MessageSink } from '../outbox/messages';
import type { QueuedMessage } from '../domain/outbox';
import { findPosted } from './recovery';
import { DISCORD_SINK, outboxRest, toDeliveryError } from './sink';

export interface DiscordMessageSinkOptions {
  token: string;
  /** The channel of a message that names none (the card channel). */
  channelId: string;
  apiUrl?: string;
  botUserId?: string;
  log?: Logger;
  timeoutMs?: number;
  backoff?: (attempts: number) => number;
}

/** One queued message in one database: its nonce and the marker it carries, for Discord and for recovery. */
export function messageFingerprint(m: Pick<QueuedMessage, 'id' | 'key' | 'createdAt'>): string {
  return createHash('sha256').update(`${m.id}\n${m.key}\n${m.createdAt}`).digest('hex').slice(0, 12);
}

/**
 * The message with its marker: in the last embed's footer, or as a small line under plain text. After a crash
 * the marker is how the sink recognises a copy it already posted (Discord keeps no nonce on stored messages).
 */
export function withMarker(body: Record<string, unknown>, fingerprint: string): Record<string, unknown> {
  const ref = `ref ${fingerprint}`;
  const embeds = body.embeds as APIEmbed[] | undefined;
  if (embeds?.length) {
    const last = embeds[embeds.length - 1]!;
    const footer = last.footer?.text ? `${last.footer.text} · ${ref}` : `Kairos · ${ref}`;
    return { ...body, embeds: [...embeds.slice(0, -1), { ...last, footer: { ...last.footer, text: footer.slice(0, 2048) } }] };
  }
  return { ...body, content: `${String(body.content ?? '')}\n-# ${ref}` };
}

function carries(m: APIMessage, ref: string): boolean {
  return m.content?.includes(ref) || Boolean(m.embeds?.some((e) => e.footer?.text?.includes(ref)));
}

/**
 * Posts queued messages (rising moments, digests, notices, thread lines). Like the card sink, it never retries on
 * its own, sends a nonce Discord deduplicates, and after an attempt that may have gone out reads the channel
 * from that attempt on for the message's marker before posting again.
 */
export class DiscordMessageSink implements MessageSink {
  readonly name = DISCORD_SINK;
  readonly rest: REST;
  private readonly startedAt = Date.now();

  constructor(private readonly opts: DiscordMessageSinkOptions) {
    this.rest = outboxRest(opts.token, opts.apiUrl, opts.timeoutMs ?? 30_000);
  }

  async deliver(m: QueuedMessage): Promise<{ messageId: string; channelId: string }> {
    const channelId = m.channelId ?? this.opts.channelId;
    const fingerprint = messageFingerprint(m);
    try {
      if (m.firstAttemptAt || m.attempts > 0 || Date.parse(m.createdAt) < this.startedAt - 1000) {
        const found = await findPosted(this.rest, channelId, m.firstAttemptAt ?? m.createdAt, (x) => carries(x, `ref ${fingerprint}`), this.opts.botUserId);
        if (found) {
          this.opts.log?.info({ message: m.key, messageId: found }, 'message was already posted; not posting again');
          return { messageId: found, channelId };
        }
      }
      const body = { ...withMarker(m.body, fingerprint), nonce: `m${fingerprint}`, enforce_nonce: true, allowed_mentions: { parse: [] } };
      const msg = (await this.rest.post(Routes.channelMessages(channelId), {
        body: m.file ? { ...body, attachments: [{ id: 0, filename: m.file.name }] } : body,
        ...(m.file ? { files: [{ name: m.file.name, data: m.file.data, contentType: 'image/png' }] } : {}),
      })) as APIMessage;
      return { messageId: msg.id, channelId };
    } catch (err) {
      throw toDeliveryError(err, m.attempts, this.opts.backoff ?? backoffMs);
    }
  }
}
