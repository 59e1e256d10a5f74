import type { APIEmbed } from 'discord.js';
import { buildMomentCard } from '../detect/moment-card';
import type { Moment, StoredMoment } from '../domain/moment';
import { buildDigest } from './digest';
import type { DigestSender } from '../digest/scheduler';
import type { OnMessageSent } from '../outbox/messages';
import type { NewMessage } from '../domain/outbox';
import type { DigestStore, MomentStore } from '../domain/ports';
import { DISCORD_SINK } from './sink-name';
import { clip, neutralise, oneLine, safeLink } from './text';

/**
 * Every message Kairos sends to Discord besides a card, as an outbox entry: its key says what it is, so the same
 * moment, digest or notice is queued once however often it is asked for (a resumed replay, a retried tick).
 */
export const messageKeys = {
  moment: (id: number) => `moment:${id}`,
  digest: (day: string) => `digest:${day}`,
  notice: (what: string, at: Date) => `notice:${what}:${at.toISOString().slice(0, 16)}`,
  threadLine: (opportunityId: number, what: string) => `thread:${opportunityId}:${what}`,
};

/** A rising moment as a Discord message: the moment card's content in one embed, pinging nobody. */
export function buildMomentMessage(moment: Moment): { embeds: APIEmbed[]; allowed_mentions: { parse: [] } } {
  const card = buildMomentCard(moment);
  const line = (s: { text: string; author?: string; url?: string }) => {
    const link = s.url ? safeLink(s.url) : null;
    return clip(`${s.author ? `**@${neutralise(s.author)}** ` : ''}${neutralise(oneLine(s.text))}${link ? ` ([post](${link}))` : ''}`, 330);
  };
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
        footer: { text: 'Kairos rising moment' },
      },
    ],
    allowed_mentions: { parse: [] },
  };
}

export function momentMessage(m: StoredMoment, channelId?: string): NewMessage {
  return { key: messageKeys.moment(m.id), sink: DISCORD_SINK, channelId, body: buildMomentMessage(m) };
}

/** A notice to the team (the model budget ran out), as plain text in the card channel. */
export function noticeMessage(what: string, text: string, at: Date = new Date()): NewMessage {
  return { key: messageKeys.notice(what, at), sink: DISCORD_SINK, body: { content: text, allowed_mentions: { parse: [] } } };
}

/** The daily digest through the outbox: queued under its day with the chart attached; sent by the courier. */
export function outboxDigestSender(queue: (m: NewMessage) => void, channelId?: string, brandName?: string): DigestSender {
  return {
    async sendDigest({ data, late }, png: Buffer, day: string) {
      const { chartName, ...body } = buildDigest(data, { brandName, late }).payload;
      queue({ key: messageKeys.digest(day), sink: DISCORD_SINK, channelId, body, file: { name: chartName, data: png } });
      return { messageId: null };
    },
  };
}

/** What a delivered message means to the rest of the store: a moment's card is out, a day's digest has its message. */
export function recordDelivery(store: Pick<MomentStore, 'markMomentPosted'> & Pick<DigestStore, 'setDigestMessage'>): OnMessageSent {
  return async (m, ref) => {
    const [kind, rest] = [m.key.slice(0, m.key.indexOf(':')), m.key.slice(m.key.indexOf(':') + 1)];
    if (kind === 'moment') await store.markMomentPosted(Number(rest), ref);
    if (kind === 'digest') await store.setDigestMessage(rest, ref.messageId);
  };
}
