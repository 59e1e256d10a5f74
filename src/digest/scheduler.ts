import type { Logger } from '../log';
import type { DigestStore, LeaseStore } from '../domain/ports';
import type { Teaching } from '../domain/label';
import { renderChartPng } from './chart';
import { readDigestData, type DigestData, type DigestReader, type ReadOptions } from './data';
import { DailyJob, type DailyTick } from '../service/daily';
import { digestWindow } from './time';

/**
 * Where the digest goes. Discord's (src/discord/messages.ts) queues it in the outbox under its day and answers
 * without a message id (the courier records it once sent); a sender that posts at once answers with it.
 */
export interface DigestSender {
  sendDigest(digest: { data: DigestData; late: boolean }, png: Buffer, day: string): Promise<{ messageId: string | null }>;
}

export interface SchedulerOptions {
  store: DigestReader & DigestStore & LeaseStore;
  sender: DigestSender;
  /** This worker's name for the day's lease: with several workers on one store, one of them sends the digest. */
  worker?: string;
  /** HH:MM in timeZone (DIGEST_TIME, TZ). */
  digestTime: string;
  timeZone: string;
  clock?: () => Date;
  log?: Logger;
  /** Card links and the model-usage section. */
  guildId?: string;
  llm?: boolean;
  /** X is read: show its reads and their estimated cost. */
  x?: ReadOptions['x'];
  /** The "came close" list and the team's labels (the brand's triage). */
  teaching?: Pick<Teaching, 'closeness' | 'model'>;
  /** A digest sent more than this after its time is marked late. */
  graceMs?: number;
  /** Wait before trying again after a failed send. */
  retryMs?: number;
  /** false: no timers at all; the caller calls tick() (tests). */
  timers?: boolean;
  /**
   * When Kairos first ran on this store: no digest is owed for a digest time before it, so a new install does
   * not open with a "late" digest of a day it never saw.
   */
  since?: Date;
}

/** Longer than rendering and sending a digest ever takes. */
const DIGEST_LEASE_MS = 10 * 60_000;

export type TickResult = 'sent' | 'already-sent' | 'not-due' | 'busy' | 'failed';

/**
 * Sends one digest a day at DIGEST_TIME in TZ (croner, DST safe). The digests table (day PRIMARY KEY) is the
 * memory: a restart never sends a second one for a day; a bot that was down at digest time sends the missed
 * one when it comes back, marked late. The digest is recorded after the sender took it; Discord's sender queues
 * it in the outbox under the day's key, so a crash in between neither loses nor repeats it.
 */
export class DigestScheduler {
  private readonly job: DailyJob<'sent'>;
  private readonly clock: () => Date;

  constructor(private readonly o: SchedulerOptions) {
    this.clock = o.clock ?? (() => new Date());
    const { store } = o;
    this.job = new DailyJob<'sent'>({
      at: o.digestTime,
      timeZone: o.timeZone,
      // One worker sends a day's digest: the others see the lease and leave it. A worker that dies while sending
      // gives the day back when the lease runs out.
      leases: store,
      leaseName: 'digest',
      leaseMs: DIGEST_LEASE_MS,
      worker: o.worker ?? 'kairos',
      clock: this.clock,
      since: o.since,
      timers: o.timers,
      retryMs: o.retryMs ?? 5 * 60_000,
      done: (day) => store.digestSent(day),
      run: async (day, due, now) => {
        const late = now.getTime() - due.getTime() > (o.graceMs ?? 10 * 60_000);
        const { from, to } = digestWindow(day, o.digestTime, o.timeZone);
        const data = await readDigestData(store, { day, from, to, timeZone: o.timeZone, guildId: o.guildId, llm: o.llm, teaching: o.teaching, x: o.x });
        const png = renderChartPng(data);
        const { messageId } = await o.sender.sendDigest({ data, late }, png, day);
        await store.recordDigest({ day, sentAt: this.clock().toISOString(), late, messageId });
        o.log?.info({ day, late, messageId }, 'digest sent');
        return 'sent' as const;
      },
      failed: (err, day) => o.log?.warn({ err, day }, 'digest not sent; will try again'),
    });
  }

  /** Catches up on a missed digest, then waits for the next digest time. */
  async start(): Promise<TickResult> {
    return result(await this.job.start());
  }

  stop(): void {
    this.job.stop();
  }

  /** The most recent digest time at or before now, or null before the first one. */
  lastDue(now = this.clock()): Date | null {
    return this.job.time.lastDue(now);
  }

  /** The next digest time after now. */
  nextRun(now = this.clock()): Date | null {
    return this.job.time.nextRun(now);
  }

  /** The day key (YYYY-MM-DD in TZ) of a digest time. */
  dayOf(run: Date): string {
    return this.job.time.dayOf(run);
  }

  /** Sends the latest due digest if no digest was sent for its day. Safe to call any time, any number of times. */
  async tick(): Promise<TickResult> {
    return result(await this.job.tick());
  }
}

function result(r: DailyTick<'sent'>): TickResult {
  return r === 'done' ? 'already-sent' : r;
}
