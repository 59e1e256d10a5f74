/**
 * One card queued for one sink. Written in the same transaction as the card, delivered from here, so a crash, an
 * outage or a 429 never loses or doubles a card. messageId, channelId and threadId are the sink's own reference
 * to what it posted (for Discord: the message, its channel, the thread under it).
 */
export interface OutboxItem {
  id: number;
  opportunityId: number;
  sink: string;
  status: 'pending' | 'sent' | 'failed';
  attempts: number;
  nextAttemptAt: string;
  lastError: string | null;
  messageId: string | null;
  channelId: string | null;
  threadId: string | null;
  /** When the first post of this card began (null before): a copy of it can only exist from then on. */
  firstAttemptAt: string | null;
  createdAt: string;
}

/**
 * Every message Kairos sends besides a card (a rising moment's card, the digest, a notice, a line in a card's
 * thread): queued once under a key that names what it is, delivered oldest first.
 */
export interface QueuedMessage {
  id: number;
  key: string;
  sink: string;
  /** Where it goes when not the sink's own channel (a card's thread). */
  channelId: string | null;
  body: Record<string, unknown>;
  file: { name: string; data: Buffer } | null;
  status: 'pending' | 'sent' | 'failed';
  attempts: number;
  nextAttemptAt: string;
  lastError: string | null;
  /** When the first post began; null until then. */
  firstAttemptAt: string | null;
  messageId: string | null;
  createdAt: string;
}

export interface NewMessage {
  key: string;
  sink: string;
  channelId?: string;
  body: Record<string, unknown>;
  file?: { name: string; data: Buffer };
}

/** Where a sink put a card. */
export interface DeliveryRef {
  messageId: string;
  channelId?: string;
}
