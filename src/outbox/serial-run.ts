/**
 * One run of `work` at a time: asks that come while it runs coalesce into one more run after it (a queue drained
 * by kicks from new items, timers and pollers, never twice at once).
 */
export class SerialRun {
  private current: Promise<void> | null = null;
  private again = false;

  constructor(
    private readonly work: () => Promise<void>,
    private readonly stopped: () => boolean,
  ) {}

  /** The run under way, if any. */
  get running(): Promise<void> | null {
    return this.current;
  }

  kick(): Promise<void> {
    if (this.stopped()) return Promise.resolve();
    if (this.current) {
      this.again = true;
      return this.current;
    }
    this.current = (async () => {
      try {
        do {
          this.again = false;
          await this.work();
        } while (this.again && !this.stopped());
      } finally {
        this.current = null;
      }
    })();
    return this.current;
  }
}
