import { Cron } from 'croner';
import { localDay } from '../digest/time';

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
