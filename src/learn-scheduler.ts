import type { Config } from './config';
import type { CursorStore, LeaseStore, Store } from './domain/ports';
import { describeLearn, learnBrand, type LearningConfig, type LearnOptions, type LearnOutcome } from './learning';
import type { Logger } from './log';
import { DailyJob, type DailyTick } from './service/daily';

export interface LearnSchedulerOptions {
  store: Pick<Store, 'activeLabels'> & LeaseStore & CursorStore;
  config: LearningConfig & Pick<Config, 'timeZone'> & { learnAt: string };
  /** The triage that runs: told to read the brand model again once a learn kept one. */
  triage: { reload(): boolean };
  /** This worker's name for the night's lease: with several workers on one store, one of them learns. */
  worker: string;
  clock?: () => Date;
  log?: Logger;
  /** false: no timers; the caller calls tick() (tests). */
  timers?: boolean;
  /** When Kairos first ran on this store: no learn is owed for a night before it. */
  since?: Date;
  /** The learn itself (default: the one `kairos learn` runs); tests pass a counted or quicker one. */
  learn?: (opts: LearnOptions) => Promise<LearnOutcome>;
  /** Wait before trying again after a learn that failed. */
  retryMs?: number;
}

/** Longer than a learn ever takes (a minute or two); a worker that dies mid-learn gives the night back after it. */
const LEARN_LEASE_MS = 60 * 60_000;
/** The store's memory of the last night learnt (a cursor): one learn a night, across restarts and workers. */
export const LEARN_CURSOR = 'learn:last-night';

export type LearnTick = 'kept' | 'not-better' | 'too-few' | 'already-done' | 'not-due' | 'busy' | 'failed';

/**
 * The nightly learn (KAIROS_LEARN_AT in TZ): once a night, the same learn as `kairos learn`, trained giving the
 * event loop a turn after each epoch; the brand model is kept only when it measures better, and triage switches
 * to it at once. The night is recorded in the store (a cursor) and taken under a lease, so with several workers on
 * one store one of them learns; a worker that was down at the time learns when it comes back, once.
 */
export class LearnScheduler {
  private readonly job: DailyJob<LearnTick>;

  constructor(private readonly o: LearnSchedulerOptions) {
    const clock = o.clock ?? (() => new Date());
    const { store, log } = o;
    this.job = new DailyJob<LearnTick>({
      at: o.config.learnAt,
      timeZone: o.config.timeZone,
      leases: store,
      leaseName: 'learn',
      leaseMs: LEARN_LEASE_MS,
      worker: o.worker,
      clock,
      since: o.since,
      timers: o.timers,
      retryMs: o.retryMs ?? 30 * 60_000,
      done: async (night) => (await store.getCursor(LEARN_CURSOR)) === night,
      run: async (night) => {
        log?.info({ night }, 'nightly learn: training the brand’s triage on the team’s labels');
        const learn = o.learn ?? ((opts: LearnOptions) => learnBrand(store, o.config, opts));
        const outcome = await learn({ yieldEachEpoch: true, now: clock, progress: (line) => log?.debug(`nightly learn: ${line}`) });
        await store.setCursor(LEARN_CURSOR, night);
        return this.report(night, outcome);
      },
      failed: (err, night) => log?.warn({ err, night }, 'nightly learn failed; triage keeps its model and tries again later'),
    });
  }

  /** Learns now if tonight's learn is owed (Kairos was down at the time), then waits for the next night. */
  async start(): Promise<LearnTick> {
    return result(await this.job.start());
  }

  stop(): void {
    this.job.stop();
  }

  /** Learns if the latest learn time has passed and nobody learnt that night. Safe to call any time. */
  async tick(): Promise<LearnTick> {
    return result(await this.job.tick());
  }

  private report(night: string, o: LearnOutcome): LearnTick {
    const log = this.o.log;
    if (o.status === 'no-shipped-model') {
      log?.error({ night }, 'nightly learn: the shipped model is missing; nothing to start from');
      return 'failed';
    }
    if (o.status === 'too-few') {
      log?.info({ night, labels: o.labels }, `nightly learn: ${o.labels} labels so far, too few to learn from; triage keeps its model`);
      return 'too-few';
    }
    const figures = { before: o.figures.incumbent ?? o.figures.shipped, after: o.figures.brand, shipped: o.figures.shipped };
    if (!o.kept) {
      log?.info({ night, labels: o.labels, kept: false, ...figures }, `nightly learn: not better, triage keeps its model\n${describeLearn(o)}`);
      return 'not-better';
    }
    const swapped = this.o.triage.reload();
    log?.info({ night, labels: o.labels, kept: true, swapped, path: o.kept.path, ...figures }, `nightly learn: kept the brand's new model; triage uses it now\n${describeLearn(o)}`);
    return 'kept';
  }
}

function result(r: DailyTick<LearnTick>): LearnTick {
  return r === 'done' ? 'already-done' : r;
}
