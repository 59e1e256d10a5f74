import { randomUUID } from 'node:crypto';
import type { Clock, Opportunity } from '../domain/opportunity';
import type { DeliveryRef, OutboxItem } from '../domain/outbox';
import type { CardStore, OutboxStore } from '../domain/ports';
import type { Logger } from '../log';
import { SerialRun } from './serial-run';

/** Where cards go: the console, Discord. Delivery goes through the outbox, never straight from the pipeline. */
export interface CardSink {
  readonly name: string;
  /**
   * Delivers one card. Must be idempotent for an item that was already delivered but not marked (a crash between
   * the post and the store write): a sink that can look up what it sent should do so before sending again.
   */
  deliver(opportunity: Opportunity, item: OutboxItem): Promise<DeliveryRef>;
  /**
   * How many cards the sink takes at once (default 1). Several are claimed, marked and written down together, so a
   * crash may deliver a few of them again: only for a sink that prints (the console), never for one that posts.
   */
  readonly batch?: number;
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

/** One queue of an outbox, as a courier drains it: the card outbox, the message outbox. */
export interface Queue<I extends { attempts: number; nextAttemptAt: string }> {
  readonly name: string;
  /** Which outbox: 'cards' or 'messages'. */
  readonly kind: 'cards' | 'messages';
  /**
   * Claims the oldest pending item not held by another worker, for `leaseMs`: it blocks the rest, so items leave
   * in the order they were queued, and an item held by a worker that died is handed out again once its lease ran out.
   */
  next(worker: string, leaseMs: number): Promise<I | null>;
  pending(): Promise<number>;
  /** Delivers one item and writes down where it went; throws (a DeliveryError says whether to retry). */
  deliver(item: I): Promise<void>;
  failed(item: I, error: string, retryAt: Date | null): Promise<void>;
  /** What a log line says about an item. */
  describe(item: I): Record<string, unknown>;
  /** For a sink that takes several items at once (CardSink.batch): used instead of next and deliver. */
  batch?: Batches<I>;
}

/** A queue's items taken several at a time: claimed together, delivered in order, written down together. */
export interface Batches<I> {
  /** Claims up to the sink's batch of the oldest pending items, as next does one. */
  next(worker: string, leaseMs: number): Promise<I[]>;
  /**
   * Delivers the items in order until one fails or `stopped()` says so, and writes down those delivered.
   * `failed` is the error of the item after them, if one failed.
   */
  deliver(items: readonly I[], stopped: () => boolean): Promise<{ delivered: number; failed?: unknown }>;
  /** Gives back the claims of items not delivered. */
  release(items: readonly I[], worker: string): Promise<void>;
}

export interface CourierOptions {
  /** This worker's name in the outbox claims (default: a random id per courier). */
  worker?: string;
  /** How long a claim holds an item: a worker that dies gives it back after this (default 60 s). */
  leaseMs?: number;
  /**
   * Look for work every this many ms besides kick(): with several workers on one store, items another worker
   * queued or gave back (its lease ran out) are delivered without anyone kicking this courier. 0: never.
   */
  pollMs?: number;
  /** Told of every failed attempt (metrics): permanent when the item was given up. */
  onFailed?: (queue: string, permanent: boolean) => void;
}

/** How long a stop waits for the delivery in flight; after that its outcome is left to recovery at the next start. */
const STOP_WAIT_MS = 10_000;

/**
 * Drains one queue, oldest first. The head of the queue blocks the rest, so items arrive in the order they were
 * made even across an outage; an item is marked sent only after the sink confirmed it. Each item is claimed for a
 * lease first, so two workers on one store never deliver the same item at once.
 */
export class Drain<I extends { attempts: number; nextAttemptAt: string }> {
  private stopped = false;
  private readonly run = new SerialRun(() => this.drain(), () => this.stopped);
  private poller: NodeJS.Timeout | null = null;
  readonly worker: string;
  private readonly leaseMs: number;
  private readonly onFailed?: CourierOptions['onFailed'];

  constructor(
    private readonly queue: Queue<I>,
    protected readonly log: Logger,
    private readonly now: Clock = () => new Date(),
    opts: CourierOptions = {},
  ) {
    this.worker = opts.worker ?? randomUUID();
    this.leaseMs = opts.leaseMs ?? 60_000;
    this.onFailed = opts.onFailed;
    if (opts.pollMs) {
      this.poller = setInterval(() => void this.kick().catch((err: unknown) => this.log.error({ err }, 'courier poll failed')), opts.pollMs);
      this.poller.unref();
    }
  }

  /** Asks for a drain; concurrent asks coalesce into one running drain plus at most one more. */
  kick(): Promise<void> {
    return this.run.kick();
  }

  /** Resolves when nothing is pending (or the courier was stopped). */
  async idle(): Promise<void> {
    while (!this.stopped && (this.run.running || (await this.queue.pending()) > 0)) {
      await (this.run.running ?? this.kick());
      if ((await this.queue.pending()) > 0 && !this.run.running) await sleep(50);
    }
  }

  /** Takes no new item; resolves once the delivery in flight (if any) finished and was written down. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.poller) clearInterval(this.poller);
    if (this.run.running) await Promise.race([this.run.running.catch(() => undefined), sleep(STOP_WAIT_MS)]);
  }

  private async drain(): Promise<void> {
    for (;;) {
      if (this.stopped) return;
      if (this.queue.batch) {
        if (!(await this.drainBatch(this.queue.batch))) return;
        continue;
      }
      const item = await this.queue.next(this.worker, this.leaseMs);
      if (!item) return;
      const wait = Date.parse(item.nextAttemptAt) - this.now().getTime();
      if (wait > 0) {
        await sleep(Math.min(wait, 1000));
        continue;
      }
      try {
        await this.queue.deliver(item);
        this.log.debug({ sink: this.queue.name, ...this.queue.describe(item) }, 'delivered');
      } catch (err) {
        await this.failed(item, err);
      }
    }
  }

  /**
   * One batch: the due items at its head delivered in order, the rest given back (an item waiting for its retry
   * blocks those behind it, as the head of the queue does; so does one that failed now). False when none was pending.
   */
  private async drainBatch(batch: Batches<I>): Promise<boolean> {
    const items = await batch.next(this.worker, this.leaseMs);
    if (!items.length) return false;
    const now = this.now().getTime();
    let due = items.findIndex((i) => Date.parse(i.nextAttemptAt) > now);
    if (due < 0) due = items.length;
    let done = 0;
    try {
      if (due === 0) {
        await sleep(Math.min(Date.parse(items[0]!.nextAttemptAt) - now, 1000));
        return true;
      }
      const { delivered, failed } = await batch.deliver(items.slice(0, due), () => this.stopped);
      done = delivered;
      if (delivered) this.log.debug({ sink: this.queue.name, items: delivered }, 'delivered');
      if (failed !== undefined && delivered < due) {
        await this.failed(items[delivered]!, failed);
        done++;
      }
    } finally {
      // Claims not used are given back at once (also when stopping), not left to run out.
      await batch.release(items.slice(Math.max(done, due === 0 ? 1 : 0)), this.worker);
    }
    return true;
  }

  /** A failed attempt: retried later (with backoff unless the sink said when) or given up, and logged. */
  private async failed(item: I, err: unknown): Promise<void> {
    const what = { sink: this.queue.name, ...this.queue.describe(item) };
    const retryAfter = err instanceof DeliveryError ? err.retryAfterMs : backoffMs(item.attempts);
    const message = err instanceof Error ? err.message : String(err);
    const retryAt = retryAfter === null ? null : new Date(this.now().getTime() + retryAfter);
    await this.queue.failed(item, message, retryAt);
    this.onFailed?.(this.queue.kind, retryAt === null);
    if (retryAt) this.log.warn({ ...what, retryInMs: retryAfter, err: message }, 'delivery failed; will retry');
    else this.log.error({ ...what, err: message }, 'delivery failed permanently');
  }
}

type CardQueueStore = Pick<
  OutboxStore,
  'claimNext' | 'claimBatch' | 'releaseClaims' | 'pendingCount' | 'markAttempt' | 'markAttempts' | 'markSent' | 'markSentMany' | 'markAttemptFailed'
> &
  Pick<CardStore, 'getOpportunity'>;

/** The card outbox of one sink: each card is read from the store when its turn comes, and marked flagged once out. */
/** Told once a card is out and marked so (a card whose story grew before it went out opens its thread). */
export type OnCardSent = (opportunity: Opportunity, item: OutboxItem, ref: DeliveryRef) => Promise<void>;

export function cardQueue(store: CardQueueStore, sink: CardSink, onSent?: OnCardSent): Queue<OutboxItem> {
  return {
    name: sink.name,
    kind: 'cards',
    next: (worker, leaseMs) => store.claimNext(sink.name, worker, leaseMs),
    pending: () => store.pendingCount(sink.name),
    describe: (item) => ({ opportunity: item.opportunityId }),
    failed: (item, error, retryAt) => store.markAttemptFailed(item, error, retryAt),
    async deliver(item) {
      const opportunity = await store.getOpportunity(item.opportunityId);
      if (!opportunity) throw new DeliveryError('card not found in the store', null);
      // From now on a copy may exist: a later attempt looks for one from this time on. The sink gets the item as
      // it was, so it knows whether an earlier attempt (perhaps of a process that crashed) began.
      await store.markAttempt(item);
      const ref = await sink.deliver(opportunity, item);
      await store.markSent(item, ref);
      await onSent?.(opportunity, item, ref);
    },
    batch: (sink.batch ?? 1) > 1 ? cardBatches(store, sink, onSent) : undefined,
  };
}

/** The card outbox of a sink that takes several cards at once: the same steps as one card, a write for them all. */
function cardBatches(store: CardQueueStore, sink: CardSink, onSent?: OnCardSent): Batches<OutboxItem> {
  return {
    next: (worker, leaseMs) => store.claimBatch(sink.name, worker, leaseMs, sink.batch ?? 1),
    release: (items, worker) => store.releaseClaims(items, worker),
    async deliver(items, stopped) {
      const cards: Opportunity[] = [];
      for (const item of items) {
        const opportunity = await store.getOpportunity(item.opportunityId);
        if (!opportunity) break;
        cards.push(opportunity);
      }
      await store.markAttempts(items.slice(0, cards.length));
      const sent: { item: OutboxItem; ref: DeliveryRef }[] = [];
      let thrown: unknown;
      try {
        for (const [i, opportunity] of cards.entries()) {
          if (stopped()) break;
          sent.push({ item: items[i]!, ref: await sink.deliver(opportunity, items[i]!) });
        }
      } catch (err) {
        thrown = err ?? new Error('delivery failed');
      }
      await store.markSentMany(sent);
      for (const [i, { item, ref }] of sent.entries()) await onSent?.(cards[i]!, item, ref);
      // The item after those delivered failed if the sink threw, or if it is the card not found (not when stopped).
      const notFound = sent.length === cards.length && cards.length < items.length;
      return { delivered: sent.length, failed: thrown ?? (notFound ? new DeliveryError('card not found in the store', null) : undefined) };
    },
  };
}

/** Drains the card outbox of one sink (see Drain). */
export class Courier extends Drain<OutboxItem> {
  constructor(store: CardQueueStore, sink: CardSink, log: Logger, now: Clock = () => new Date(), opts: CourierOptions & { onSent?: OnCardSent } = {}) {
    super(cardQueue(store, sink, opts.onSent), log, now, opts);
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
