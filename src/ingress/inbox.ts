import type { InboxStore } from '../domain/ports';
import type { Post } from '../domain/post';
import type { Logger } from '../log';
import { SerialRun } from '../outbox/serial-run';
import { isDatabaseLost } from '../service/boundary';

export interface InboxDeps {
  store: InboxStore;
  /** The pipeline (triage, analysis, card): the post is stored with its verdict before this resolves. */
  process: (post: Post, source: string) => Promise<unknown>;
  log: Logger;
  /** This process's name in the inbox's claims. */
  worker: string;
  /** How long a claim holds without being renewed (a worker that dies gives its posts back after it). */
  leaseMs?: number;
  /** Look for posts other workers received or gave back every this many ms besides kick(). 0: never. */
  pollMs?: number;
  /** The wait before a failed post is tried again, doubled each time up to maxRetryMs. */
  retryMs?: number;
  maxRetryMs?: number;
}

/**
 * Pushed posts are answered for once they are in the store, and processed afterwards: the sender (Meta, a tool)
 * never waits for the model, and a post a crash caught between the answer and its card is processed at the next
 * start. One post at a time, in the order received (a reply after the post it answers, as every source hands
 * posts over). The pipeline skips a post already recorded, so each is processed once however often it comes.
 */
export class Inbox {
  private readonly leaseMs: number;
  private readonly retryMs: number;
  private readonly maxRetryMs: number;
  private stopped = false;
  private readonly run = new SerialRun(() => this.drainOrWait(), () => this.stopped);
  private readonly timers = new Set<NodeJS.Timeout>();

  constructor(private readonly deps: InboxDeps) {
    this.leaseMs = deps.leaseMs ?? 60_000;
    this.retryMs = deps.retryMs ?? 1_000;
    this.maxRetryMs = deps.maxRetryMs ?? 300_000;
    if (deps.pollMs) this.every(deps.pollMs);
  }

  /** Keeps the posts (all or none); true for each one that is new. Processing starts at once, after the answer. */
  async accept(posts: readonly Post[], source: string): Promise<boolean[]> {
    const fresh = await this.deps.store.receive(posts.map((post) => ({ post, source })));
    if (fresh.some(Boolean)) void this.kick();
    return fresh;
  }

  /**
   * Processes what is waiting, the posts a crashed run left included. `exclusive`: no other worker shares the
   * store, so claims still held are a dead run's and are given back at once instead of after their lease.
   */
  async start(opts: { exclusive?: boolean } = {}): Promise<void> {
    if (opts.exclusive) {
      const released = await this.deps.store.releaseInboxClaims();
      if (released) this.deps.log.info({ released }, 'took over pushed posts an earlier run was processing');
    }
    const waiting = await this.deps.store.inboxPending();
    if (waiting) this.deps.log.info({ waiting }, `${waiting} pushed posts wait to be processed`);
    void this.kick();
  }

  /** Drains the inbox now (one drain at a time; a kick during one runs another after it). */
  kick(): Promise<void> {
    return this.run.kick();
  }

  /** Resolves when nothing due is waiting (or the inbox was stopped). */
  async idle(): Promise<void> {
    while (!this.stopped && (this.run.running || (await this.deps.store.inboxPending()) > 0)) {
      await (this.run.running ?? this.kick());
      if (!this.run.running) await new Promise((r) => setTimeout(r, 10));
    }
  }

  /** Finishes the post in flight and processes no more; what waits stays for the next start. */
  async stop(): Promise<void> {
    this.stopped = true;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    await this.run.running;
  }

  /** A store that cannot be read now (the database away) is tried again later rather than given up on. */
  private async drainOrWait(): Promise<void> {
    try {
      await this.drain();
    } catch (err) {
      this.deps.log.error({ err }, 'the inbox could not be read; trying again');
      this.later(this.retryMs);
    }
  }

  private async drain(): Promise<void> {
    const { store, log, worker } = this.deps;
    while (!this.stopped) {
      const item = await store.claimInbox(worker, this.leaseMs);
      if (!item) return;
      // A slow model must not let the claim run out while the post is being processed.
      const renew = setInterval(() => void store.renewInbox(item.seq, worker, this.leaseMs).catch(() => undefined), this.leaseMs / 3);
      try {
        await this.deps.process(item.post, item.source);
        await store.inboxDone(item.seq);
      } catch (err) {
        if (isDatabaseLost(err)) throw err;
        const wait = Math.min(this.maxRetryMs, this.retryMs * 2 ** item.attempts);
        log.error({ err, post: item.post.id, source: item.source, attempts: item.attempts + 1, retryInMs: wait }, 'a pushed post could not be processed; it stays in the inbox');
        await store.inboxRetry(item.seq, (err as Error).message ?? String(err), new Date(Date.now() + wait));
        this.later(wait);
      } finally {
        clearInterval(renew);
      }
    }
  }

  private later(ms: number): void {
    const t = setTimeout(() => {
      this.timers.delete(t);
      void this.kick();
    }, ms);
    t.unref();
    this.timers.add(t);
  }

  private every(ms: number): void {
    const t = setInterval(() => void this.kick(), ms);
    t.unref();
    this.timers.add(t);
  }
}
