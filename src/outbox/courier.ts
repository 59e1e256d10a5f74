import type { Opportunity } from '../domain/opportunity';
import type { Logger } from '../log';
import type { Clock, OutboxItem, Store } from '../store/store';

/** Where cards go: the console, Discord. Delivery goes through the outbox, never straight from the pipeline. */
export interface CardSink {
  readonly name: string;
  /**
   * Delivers one card. Must be idempotent for an item that was already delivered but not marked (a crash between
   * the post and the store write): a sink that can look up what it sent should do so before sending again.
   */
  deliver(opportunity: Opportunity, item: OutboxItem): Promise<{ messageId: string; channelId?: string }>;
}

/** A delivery failure. retryAfterMs null means it will never succeed (the card is marked failed and logged). */
export class DeliveryError extends Error {
  constructor(
    message: string,
    readonly retryAfterMs: number | null,
  ) {
    super(message);
    this.name = 'DeliveryError';
  }
}

const MAX_BACKOFF_MS = 5 * 60_000;

/** Exponential backoff for transient failures: 1 s, 2 s, 4 s … capped at five minutes. */
export function backoffMs(attempts: number): number {
  return Math.min(MAX_BACKOFF_MS, 1000 * 2 ** Math.min(attempts, 20));
}

/**
 * Drains the outbox of one sink, oldest first. The head of the queue blocks the rest, so cards arrive in the
 * order they were made even across an outage; a card is marked sent only after the sink confirmed it.
 */
export class Courier {
  private running: Promise<void> | null = null;
  private again = false;
  private stopped = false;

  constructor(
    private readonly store: Store,
    private readonly sink: CardSink,
    private readonly log: Logger,
    private readonly now: Clock = () => new Date(),
  ) {}

  /** Asks for a drain; concurrent asks coalesce into one running drain plus at most one more. */
  kick(): Promise<void> {
    if (this.stopped) return Promise.resolve();
    if (this.running) {
      this.again = true;
      return this.running;
    }
    this.running = (async () => {
      try {
        do {
          this.again = false;
          await this.drain();
        } while (this.again && !this.stopped);
      } finally {
        this.running = null;
      }
    })();
    return this.running;
  }

  /** Resolves when nothing is pending for this sink (or the courier was stopped). */
  async idle(): Promise<void> {
    while (!this.stopped && (this.running || this.store.pendingCount(this.sink.name) > 0)) {
      await (this.running ?? this.kick());
      if (this.store.pendingCount(this.sink.name) > 0 && !this.running) await sleep(50);
    }
  }

  /** Takes no new item; resolves once the delivery in flight (if any) finished and was written down. */
  async stop(): Promise<void> {
    this.stopped = true;
    await this.running?.catch(() => undefined);
  }

  private async drain(): Promise<void> {
    for (;;) {
      if (this.stopped) return;
      const item = this.store.nextPending(this.sink.name);
      if (!item) return;
      const wait = Date.parse(item.nextAttemptAt) - this.now().getTime();
      if (wait > 0) {
        await sleep(Math.min(wait, 1000));
        continue;
      }
      const opportunity = this.store.getOpportunity(item.opportunityId);
      if (!opportunity) {
        this.store.markAttemptFailed(item, 'card not found in the store', null);
        continue;
      }
      try {
        const ref = await this.sink.deliver(opportunity, item);
        this.store.markSent(item, ref);
        this.log.debug({ opportunity: opportunity.id, sink: this.sink.name, messageId: ref.messageId }, 'card delivered');
      } catch (err) {
        const retryAfter = err instanceof DeliveryError ? err.retryAfterMs : backoffMs(item.attempts);
        const message = err instanceof Error ? err.message : String(err);
        const retryAt = retryAfter === null ? null : new Date(this.now().getTime() + retryAfter);
        this.store.markAttemptFailed(item, message, retryAt);
        if (retryAt) {
          this.log.warn({ opportunity: opportunity.id, sink: this.sink.name, retryInMs: retryAfter, err: message }, 'card delivery failed; will retry');
        } else {
          this.log.error({ opportunity: opportunity.id, sink: this.sink.name, err: message }, 'card delivery failed permanently');
        }
      }
    }
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
