import { Cron } from 'croner';
import { localDay } from '../digest/time';
import type { LeaseStore } from '../domain/ports';

/**
 * A time of day in a time zone (HH:MM, DST safe through croner): the digest's and the nightly learn's. Answers
 * when it last came and which local day that was, and runs a callback each time it comes.
 */
export class DailyTime {
  private readonly cron: Cron;
  private job: Cron | null = null;

  constructor(
    readonly hhmm: string,
    readonly timeZone: string,
  ) {
    const [h, m] = hhmm.split(':').map(Number) as [number, number];
    this.cron = new Cron(`${m} ${h} * * *`, { timezone: timeZone, paused: true });
  }

  /** The most recent time at or before now, or null before the first one. */
  lastDue(now: Date): Date | null {
    return this.cron.previousRuns(1, new Date(now.getTime() + 1))[0] ?? null;
  }

  /** The next time after now. */
  nextRun(now: Date): Date | null {
    return this.cron.nextRun(now);
  }

  /** The local day (YYYY-MM-DD in the time zone) of a run. */
  dayOf(run: Date): string {
    return localDay(run, this.timeZone);
  }

  /** Calls `run` each time the time comes, until stop(). */
  every(run: () => void): void {
    this.job?.stop();
    this.job = new Cron(this.cron.getPattern()!, { timezone: this.timeZone }, run);
  }

  stop(): void {
    this.job?.stop();
    this.cron.stop();
  }
}

export interface DailyJobOptions<T> {
  /** HH:MM in timeZone. */
  at: string;
  timeZone: string;
  /** With several workers on one store, the one holding `<leaseName>:<day>` runs the day's job. */
  leases: LeaseStore;
  leaseName: string;
  leaseMs: number;
  worker: string;
  clock?: () => Date;
  /** No job is owed for a time before this (Kairos's first run on the store). */
  since?: Date;
  /** false: no timers at all; the caller calls tick() (tests). */
  timers?: boolean;
  /** Wait before trying again after a failed run. */
  retryMs: number;
  /** Whether the day's job was done (by this worker or another, before a restart or not). */
  done(day: string): Promise<boolean>;
  /** Does the day's job and records it done; throws when it could not (the lease is given back, retried later). */
  run(day: string, due: Date, now: Date): Promise<T>;
  /** Told of a failed run. */
  failed(err: unknown, day: string): void;
}

export type DailyTick<T> = T | 'not-due' | 'done' | 'busy' | 'failed';

/**
 * A job done once a day at a time of day (the digest, the nightly learn): on start it catches up on a day whose
 * time passed while nothing ran; with several workers the day's lease decides who runs it, and the store's record
 * of it (`done`) keeps it once across restarts. A failed run gives the lease back and is tried again later.
 */
export class DailyJob<T> {
  private readonly daily: DailyTime;
  private readonly clock: () => Date;
  private retry: NodeJS.Timeout | null = null;
  private busy = false;
  private stopped = false;

  constructor(private readonly o: DailyJobOptions<T>) {
    this.daily = new DailyTime(o.at, o.timeZone);
    this.clock = o.clock ?? (() => new Date());
  }

  get time(): DailyTime {
    return this.daily;
  }

  async start(): Promise<DailyTick<T>> {
    const result = await this.tick();
    if (this.o.timers !== false && !this.stopped) this.daily.every(() => void this.tick());
    return result;
  }

  stop(): void {
    this.stopped = true;
    this.daily.stop();
    if (this.retry) clearTimeout(this.retry);
  }

  /** Runs the latest due day's job if it was not done. Safe to call any time, any number of times. */
  async tick(): Promise<DailyTick<T>> {
    if (this.busy) return 'busy';
    const now = this.clock();
    const due = this.daily.lastDue(now);
    if (!due || (this.o.since && due.getTime() < this.o.since.getTime())) return 'not-due';
    const day = this.daily.dayOf(due);
    if (await this.o.done(day)) return 'done';
    const lease = `${this.o.leaseName}:${day}`;
    if (!(await this.o.leases.acquireLease(lease, this.o.worker, this.o.leaseMs))) return 'busy';
    this.busy = true;
    try {
      if (await this.o.done(day)) return 'done';
      return await this.o.run(day, due, now);
    } catch (err) {
      this.o.failed(err, day);
      if (this.o.timers !== false && !this.stopped) {
        if (this.retry) clearTimeout(this.retry);
        this.retry = setTimeout(() => void this.tick(), this.o.retryMs);
        this.retry.unref();
      }
      await this.o.leases.releaseLease(lease, this.o.worker).catch(() => undefined);
      return 'failed';
    } finally {
      this.busy = false;
    }
  }
}
