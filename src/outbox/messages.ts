import type { Clock } from '../domain/opportunity';
import type { DeliveryRef, NewMessage, QueuedMessage } from '../domain/outbox';
import type { MessageStore } from '../domain/ports';
import type { Logger } from '../log';
import { Drain, type CourierOptions, type Queue } from './courier';

/** Where queued messages go (Discord). Like a CardSink, it must find a copy an earlier attempt made before posting again. */
export interface MessageSink {
  readonly name: string;
  deliver(message: QueuedMessage): Promise<DeliveryRef>;
}

/** Told once a message is out, with where it went (a moment's card, the day's digest record it). */
export type OnMessageSent = (message: QueuedMessage, ref: DeliveryRef) => Promise<void>;

export function messageQueue(store: MessageStore, sink: MessageSink, onSent: OnMessageSent = async () => {}): Queue<QueuedMessage> {
  return {
    name: sink.name,
    kind: 'messages',
    next: (worker, leaseMs) => store.claimNextMessage(sink.name, worker, leaseMs),
    pending: () => store.pendingMessages(sink.name),
    describe: (m) => ({ message: m.key }),
    failed: (m, error, retryAt) => store.markMessageFailed(m.id, error, retryAt),
    async deliver(m) {
      // Written before the post: from now on a copy may exist. The sink gets the message as it was.
      await store.markMessageAttempt(m.id);
      const ref = await sink.deliver(m);
      await store.markMessageSent(m.id, ref.messageId);
      await onSent(m, ref);
    },
  };
}

/** Drains the message outbox of one sink, as the Courier does the cards. */
export class MessageCourier extends Drain<QueuedMessage> {
  constructor(
    private readonly store: MessageStore,
    sink: MessageSink,
    log: Logger,
    onSent?: OnMessageSent,
    now?: Clock,
    opts?: CourierOptions,
  ) {
    super(messageQueue(store, sink, onSent), log, now, opts);
  }

  /** Queues a message (once per key) and starts delivering it. */
  async send(message: NewMessage): Promise<boolean> {
    const added = await this.store.queueMessage(message);
    void this.kick().catch((err: unknown) => this.log.error({ err, message: message.key }, 'message courier failed'));
    return added;
  }
}
