import type { Logger } from '../log';
import type { Db } from '../store/db';
import {
  markMessageAttempt,
  markMessageFailed,
  markMessageSent,
  nextPendingMessage,
  pendingMessages,
  queueMessage,
  type NewMessage,
  type QueuedMessage,
} from '../store/messages';
import type { Clock } from '../store/store';
import { Drain, type Queue } from './courier';

/** Where queued messages go (Discord). Like a CardSink, it must find a copy an earlier attempt made before posting again. */
export interface MessageSink {
  readonly name: string;
  deliver(message: QueuedMessage): Promise<{ messageId: string; channelId?: string }>;
}

/** Told once a message is out, with where it went (a moment's card, the day's digest record it). */
export type OnMessageSent = (message: QueuedMessage, ref: { messageId: string; channelId?: string }) => void;

export function messageQueue(db: Db, sink: MessageSink, onSent: OnMessageSent = () => {}, now: Clock = () => new Date()): Queue<QueuedMessage> {
  return {
    name: sink.name,
    next: () => nextPendingMessage(db, sink.name),
    pending: () => pendingMessages(db, sink.name),
    describe: (m) => ({ message: m.key }),
    failed: (m, error, retryAt) => markMessageFailed(db, m.id, error, retryAt, now()),
    async deliver(m) {
      // Written before the post: from now on a copy may exist. The sink gets the message as it was.
      markMessageAttempt(db, m.id, now());
      const ref = await sink.deliver(m);
      db.transaction(() => {
        markMessageSent(db, m.id, ref.messageId, now());
        onSent(m, ref);
      })();
    },
  };
}

/** Drains the message outbox of one sink, as the Courier does the cards. */
export class MessageCourier extends Drain<QueuedMessage> {
  constructor(
    private readonly db: Db,
    sink: MessageSink,
    log: Logger,
    onSent?: OnMessageSent,
    now?: Clock,
  ) {
    super(messageQueue(db, sink, onSent, now), log, now);
  }

  /** Queues a message (once per key) and starts delivering it. */
  send(message: NewMessage): boolean {
    const added = queueMessage(this.db, message);
    void this.kick().catch((err: unknown) => this.log.error({ err, message: message.key }, 'message courier failed'));
    return added;
  }
}
