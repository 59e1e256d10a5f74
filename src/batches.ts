/**
 * Groups items as they arrive into batches of up to `size` and hands them to `run` one batch at a time, in order:
 * a replay writes in few transactions. When nothing is being handled, a batch waits at most `waitMs` for more
 * items, so a live stream that goes quiet still has each item handled within milliseconds; while a batch is being
 * handled, what arrives meanwhile is the next batch, taken as soon as it ends. add() waits while a full batch
 * waits, so the producer never runs ahead of the consumer by more than two batches. An error from `run` stops the
 * batching: the next add() or flush() throws it.
 *
 * With `prepare` (a replay: triage in a worker thread), each full batch is cut and prepared as soon as it is full,
 * and handled only once the next one is full too (or nothing more arrived within `holdMs`, or flush()): `run`
 * gets the batch with what `prepare` returned, while the batch after it is being prepared. A batch that was not
 * full when handled (a quiet stream) is not prepared.
 */
export class Batcher<T, P = never> {
  private items: T[] = [];
  /** Full batches cut and prepared, waiting to be handled (with `prepare` only), oldest first. */
  private ready: { items: T[]; prepared: P }[] = [];
  /** The drain under way handles everything, the prepared batch held for overlap included (timer, flush). */
  private all = false;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private failure: { error: unknown } | undefined;

  constructor(
    private readonly run: (items: T[], prepared?: P) => Promise<void>,
    private readonly size = 256,
    private readonly waitMs = 10,
    private readonly prepare?: (items: T[]) => P,
    /** How long a prepared batch waits for the next one to fill before it is handled anyway. */
    private readonly holdMs = 100,
  ) {}

  /**
   * Adds an item. Returns a promise only when the caller must wait (a full batch) or the batching failed (it
   * rejects); otherwise undefined, so a producer of many items a second does not pay for a promise each.
   */
  add(item: T): Promise<void> | undefined {
    if (this.failure) return Promise.reject(this.failure.error);
    this.items.push(item);
    if (this.items.length >= this.size) {
      if (!this.prepare) return this.drain(true).then(() => this.check());
      const items = this.items.splice(0, this.size);
      this.ready.push({ items, prepared: this.prepare(items) });
      // The one before it is handled now, while this one is prepared; a lone one waits for the next.
      if (this.ready.length > 1) return this.drain(false).then(() => this.check());
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    if (!this.running) this.arm();
    return undefined;
  }

  /** Hands over what waits once nothing more arrived for a while (longer for a prepared batch held). */
  private arm(): void {
    this.timer ??= setTimeout(() => void this.drain(true), this.ready.length ? this.holdMs : this.waitMs);
  }

  /** Hands over what is waiting and resolves once every batch so far is handled. */
  async flush(): Promise<void> {
    await this.drain(true);
    // A drain that was under way may have left the last prepared batch for overlap.
    if (this.ready.length || this.items.length) await this.drain(true);
    this.check();
  }

  private check(): void {
    if (this.failure) throw this.failure.error;
  }

  /** The next batch to handle: prepared ones first (all but the newest unless `all`), then what is waiting. */
  private next(): { items: T[]; prepared?: P } | undefined {
    if (this.ready.length > (this.all ? 0 : 1)) return this.ready.shift();
    if (this.all && this.items.length) return { items: this.items.splice(0, this.size) };
    return undefined;
  }

  /** Runs batches until none waits (`all`: the prepared one held for overlap too); the one loop at a time. */
  private drain(all: boolean): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (all) this.all = true;
    if (this.running || this.failure) return this.running ?? Promise.resolve();
    this.running = (async () => {
      try {
        for (let batch = this.next(); batch && !this.failure; batch = this.next()) {
          try {
            await ('prepared' in batch ? this.run(batch.items, batch.prepared) : this.run(batch.items));
          } catch (error) {
            this.failure ??= { error };
          }
        }
      } finally {
        this.running = undefined;
        this.all = false;
        // A prepared batch held for the next one still goes within waitMs if nothing more arrives.
        if ((this.ready.length || this.items.length) && !this.failure) this.arm();
      }
    })();
    return this.running;
  }
}
