/**
 * Groups items as they arrive into batches of up to `size`, or of what arrived within `waitMs` of a batch's first
 * item, and hands them to `run` one batch at a time, in order: a replay writes in few transactions, and a slow
 * live stream still has each item handled within `waitMs`. add() waits while a full batch is being handled, so
 * the producer never runs far ahead (at most two batches are held). An error from `run` stops the batching: the
 * next add() or flush() throws it.
 */
export class Batcher<T> {
  private items: T[] = [];
  private timer: NodeJS.Timeout | undefined;
  private chain: Promise<void> = Promise.resolve();
  private failure: { error: unknown } | undefined;

  constructor(
    private readonly run: (items: T[]) => Promise<void>,
    private readonly size = 256,
    private readonly waitMs = 10,
  ) {}

  async add(item: T): Promise<void> {
    this.check();
    this.items.push(item);
    if (this.items.length >= this.size) await this.cut();
    else this.timer ??= setTimeout(() => void this.cut(), this.waitMs);
    this.check();
  }

  /** Hands over what is waiting and resolves once every batch so far is handled. */
  async flush(): Promise<void> {
    await this.cut();
    this.check();
  }

  private check(): void {
    if (this.failure) throw this.failure.error;
  }

  private cut(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    const items = this.items;
    this.items = [];
    if (items.length && !this.failure) {
      this.chain = this.chain.then(() => (this.failure ? undefined : this.run(items))).catch((error: unknown) => void (this.failure ??= { error }));
    }
    return this.chain;
  }
}
