import { REST, Routes, type APIEmbed, type APIMessage } from 'discord.js';
import { buildMomentCard } from '../detect/moment-card';
import type { Moment } from '../detect/trends';
import type { DigestPayload } from '../digest/build';
import type { DigestSender } from '../digest/scheduler';
import { clip, neutralise, oneLine } from './text';

export interface DiscordDigestSenderOptions {
  token: string;
  /** DISCORD_DIGEST_CHANNEL_ID, or the card channel. */
  channelId: string;
  /** Where moment cards go (the card channel). */
  momentChannelId?: string;
  apiUrl?: string;
  timeoutMs?: number;
}

/**
 * Posts the daily digest (with its chart attached) and rising-moment cards. Retries are the scheduler's job
 * (it records a digest only once Discord confirmed it), so the REST client does not retry by itself.
 */
export class DiscordDigestSender implements DigestSender {
  readonly rest: REST;

  constructor(private readonly o: DiscordDigestSenderOptions) {
    this.rest = new REST({ api: o.apiUrl ?? 'https://discord.com/api', retries: 0, timeout: o.timeoutMs ?? 30_000 }).setToken(o.token);
  }

  async sendDigest(payload: DigestPayload, png: Buffer): Promise<{ messageId: string }> {
    const { chartName, ...body } = payload;
    const msg = (await this.rest.post(Routes.channelMessages(this.o.channelId), {
      body: { ...body, attachments: [{ id: 0, filename: chartName }] },
      files: [{ name: chartName, data: png, contentType: 'image/png' }],
    })) as APIMessage;
    return { messageId: msg.id };
  }

  async sendMoment(moment: Moment): Promise<{ messageId: string; channelId: string }> {
    const channelId = this.o.momentChannelId ?? this.o.channelId;
    const msg = (await this.rest.post(Routes.channelMessages(channelId), { body: buildMomentMessage(moment) })) as APIMessage;
    return { messageId: msg.id, channelId };
  }
}

/** A rising moment as a Discord message: the moment card's content in one embed, pinging nobody. */
export function buildMomentMessage(moment: Moment): { embeds: APIEmbed[]; allowed_mentions: { parse: [] } } {
  const card = buildMomentCard(moment);
  const line = (s: { text: string; author?: string; url?: string }) =>
    clip(`${s.author ? `**@${neutralise(s.author)}** ` : ''}${neutralise(oneLine(s.text))}${s.url ? ` ([post](${s.url}))` : ''}`, 330);
  const fields = [];
  if (card.stories.length) fields.push({ name: 'Brand stories riding it', value: clip(card.stories.map(line).join('\n'), 1024) });
  if (card.samples.length) fields.push({ name: 'What people say', value: clip(card.samples.map(line).join('\n'), 1024) });
  return {
    embeds: [
      {
        title: clip(neutralise(card.title), 256),
        description: clip(`${card.volume}\n${card.source}`, 4096),
        color: 0xf39c12,
        fields,
        timestamp: moment.at,
      },
    ],
    allowed_mentions: { parse: [] },
  };
}
