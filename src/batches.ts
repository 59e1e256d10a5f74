/**
 * Groups items as they arrive into batches of up to `size` and hands them to `run` one batch at a time, in order:
 * a replay writes in few transactions. When nothing is being handled, a batch waits at most `waitMs` for more
 * items, so a live stream that goes quiet still has each item handled within milliseconds; while a batch is being
 * handled, what arrives meanwhile is the next batch, taken as soon as it ends. add() waits while a full batch
 * waits, so the producer never runs ahead of the consumer by more than two batches. An error from `run` stops the
 * batching: the next add() or flush() throws it.
 */
export class Batcher<T> {
  private items: T[] = [];
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private failure: { error: unknown } | undefined;

  constructor(
    private readonly run: (items: T[]) => Promise<void>,
    private readonly size = 256,
    private readonly waitMs = 10,
  ) {}

  /**
   * Adds an item. Returns a promise only when the caller must wait (a full batch) or the batching failed (it
   * rejects); otherwise undefined, so a producer of many items a second does not pay for a promise each.
   */
  add(item: T): Promise<void> | undefined {
    if (this.failure) return Promise.reject(this.failure.error);
    this.items.push(item);
    if (this.items.length >= this.size) return this.drain().then(() => this.check());
    if (!this.running) this.timer ??= setTimeout(() => void this.drain(), this.waitMs);
    return undefined;
  }

  /** Hands over what is waiting and resolves once every batch so far is handled. */
  async flush(): Promise<void> {
    await this.drain();
    this.check();
  }

  private check(): void {
    if (this.failure) throw this.failure.error;
  }

  /** Runs batches until none waits; the one loop at a time. */
  private drain(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.running || !this.items.length || this.failure) return this.running ?? Promise.resolve();
    this.running = (async () => {
      try {
        while (this.items.length && !this.failure) {
          const batch = this.items.splice(0, this.size);
          try {
            await this.run(batch);
          } catch (error) {
            this.failure ??= { error };
          }
        }
      } finally {
        this.running = undefined;
      }
    })();
    return this.running;
  }
}
