import type { LeaseStore } from '../domain/ports';
import type { Logger } from '../log';
import type { Emit, Source } from './source';

export interface LeaseOptions {
  leases: LeaseStore;
  /** The lease's name: one per live connection (e.g. 'source:x:stream'). */
  name: string;
  /** This worker. */
  holder: string;
  /** A holder that stops renewing (it died) is replaced after this (default 30 s). */
  ttlMs?: number;
  log?: Logger;
}

/**
 * Runs a live source on one worker at a time (several workers on one store, one X stream connection between them):
 * the worker holding the lease runs the source and renews the lease every third of its time; the others try as
 * often, and one of them takes over once the holder stopped renewing. A holder that finds the lease taken (it was
 * paused past the lease) stops its source. Each turn builds a fresh source from `make`, so it resumes from the
 * stored cursor.
 */
export class LeasedSource implements Source {
  readonly name: string;
  private current: Source | null = null;
  private stopped = false;
  private wake: (() => void) | null = null;
  private running: Promise<void> | null = null;

  constructor(
    private readonly make: () => Source,
    private readonly o: LeaseOptions,
  ) {
    this.name = `${o.name} (leased)`;
  }

  /** The source this worker runs now, or null while another worker holds the lease. */
  get active(): Source | null {
    return this.current;
  }

  async start(emit: Emit): Promise<void> {
    const ttl = this.o.ttlMs ?? 30_000;
    let ended = false;
    while (!this.stopped && !ended) {
      const mine = await this.o.leases.acquireLease(this.o.name, this.o.holder, ttl).catch((err: unknown) => {
        this.o.log?.warn({ err, lease: this.o.name }, 'could not renew the source lease');
        return false;
      });
      if (mine && !this.current) {
        const source = this.make();
        this.current = source;
        this.o.log?.info({ lease: this.o.name, holder: this.o.holder }, 'this worker holds the source');
        this.running = source.start(emit).finally(() => {
          // A source that ends on its own (an auth error) is not restarted by the next renewal.
          if (this.current === source) {
            this.current = null;
            ended = !this.stopped;
            this.wake?.();
          }
        });
      } else if (!mine && this.current) {
        this.o.log?.warn({ lease: this.o.name }, 'another worker took the source over; stopping it here');
        await this.stopCurrent();
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, ttl / 3);
        this.wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
    await this.stopCurrent();
    await this.o.leases.releaseLease(this.o.name, this.o.holder).catch(() => undefined);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.wake?.();
    await this.stopCurrent();
  }

  private async stopCurrent(): Promise<void> {
    const source = this.current;
    this.current = null;
    if (!source) return;
    await source.stop();
    await this.running?.catch(() => undefined);
  }
}
