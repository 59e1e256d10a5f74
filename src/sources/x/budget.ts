import type { Logger } from '../../log';
import type { Emit, Source } from '../source';
import { sleep } from './client';
import { utcDay } from '../../domain/x-reads';
import type { XReadMeter } from './reads';
import { grouped } from '../../domain/numbers';

export interface BudgetOptions {
  log: Logger;
  /** Tells the team (through the outbox): once a day, keyed by the day. */
  notify: (day: string, text: string) => void;
  /**
   * A live connection (the stream) is closed once the budget is spent, after handing over what it already read (it
   * is paid for); a poll ends by itself before its next request (it asks `mayRead`), so it is left to finish.
   */
  stopWhenSpent: boolean;
  now?: () => Date;
}

/** The next midnight UTC after `at`, when X's day (and the daily cap) starts again. */
export function nextUtcDay(at: Date): Date {
  return new Date(Date.UTC(at.getUTCFullYear(), at.getUTCMonth(), at.getUTCDate() + 1));
}

/**
 * Runs the X source while the day's reads stay under X_MAX_READS_PER_DAY: once they reach it the source is stopped
 * (X bills every post read, so nothing more is read), the team is told once, and a fresh source starts at midnight
 * UTC, resuming from the stored cursor. A source that ends on its own (an auth error) is not restarted.
 */
export class BudgetedSource<S extends Source> implements Source {
  readonly name: string;
  private current: S | null = null;
  private stopped = false;
  private readonly abort = new AbortController();
  /** While the day's budget is spent: when reading starts again. */
  pausedUntil: Date | null = null;

  constructor(
    private readonly make: () => S,
    private readonly meter: XReadMeter,
    private readonly o: BudgetOptions,
  ) {
    this.name = 'x (daily read budget)';
  }

  /** The source reading now (or the last one, once it ended); null while paused. */
  get active(): S | null {
    return this.current;
  }

  async start(emit: Emit): Promise<void> {
    const now = this.o.now ?? (() => new Date());
    await this.meter.load().catch((err: unknown) => this.o.log.warn({ err }, "could not read today's X read count; counting from 0"));
    this.meter.onSpent = () => {
      const source = this.current;
      if (!source || !this.o.stopWhenSpent) return;
      void (async () => {
        await (source as { idle?: () => Promise<void> }).idle?.();
        await source.stop();
      })().catch((err: unknown) => this.o.log.error({ err }, 'could not stop the X source at the read budget'));
    };
    while (!this.stopped) {
      if (this.meter.spent) {
        const at = now();
        const until = nextUtcDay(at);
        this.pausedUntil = until;
        this.current = null;
        const reads = this.meter.reads;
        this.o.log.warn({ reads: reads.posts, max: this.meter.maxPerDay, until: until.toISOString() }, 'X read budget for today spent: not reading X until midnight UTC');
        this.o.notify(
          utcDay(at),
          `Kairos stopped reading X for today: ${grouped(reads.posts)} posts read, the daily budget (X_MAX_READS_PER_DAY=${this.meter.maxPerDay}) is reached. ` +
            `It reads again from ${until.toISOString().slice(0, 16).replace('T', ' ')} UTC and then fetches what was posted meanwhile. Bluesky, Mastodon and the webhooks go on.`,
        );
        // A second past midnight, so the new day has surely begun.
        await sleep(until.getTime() - at.getTime() + 1_000, this.abort.signal);
        this.pausedUntil = null;
        continue;
      }
      const source = this.make();
      this.current = source;
      // The last source stays `active` after it ended on its own, so its state (failed, and why) can be read.
      await source.start(emit);
      if (!this.meter.spent) return;
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.abort.abort();
    await this.current?.stop();
  }
}
