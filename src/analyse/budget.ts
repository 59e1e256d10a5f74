/**
 * The cap on model calls: at most `perHour` in any 60 minutes and `perDay` in any 24 hours (sliding windows, so
 * a burst at 23:59 cannot spend two days' budget). Past either cap the caller writes the card offline; the first
 * refusal of an episode fires `onExhausted` once, and the next granted call after it fires `onRestored`.
 */

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

export interface BudgetLimits {
  perHour: number;
  perDay: number;
}

export interface BudgetStatus {
  state: 'ok' | 'exhausted';
  callsLastHour: number;
  callsLastDay: number;
  limits: BudgetLimits;
  /** When a call will be allowed again (ISO), while exhausted. */
  until: string | null;
  /** Which cap was hit, while exhausted. */
  cap: 'hour' | 'day' | null;
}

export interface BudgetOptions {
  clock?: () => Date;
  /** Call times already spent (e.g. from llm_usage after a restart), any order. */
  spent?: readonly Date[];
  onExhausted?: (status: BudgetStatus) => void;
  onRestored?: (status: BudgetStatus) => void;
}

export class CallBudget {
  private readonly clock: () => Date;
  /** Times of calls in the last 24 hours, oldest first. */
  private calls: number[];
  private exhausted = false;

  constructor(
    readonly limits: BudgetLimits,
    private readonly options: BudgetOptions = {},
  ) {
    this.clock = options.clock ?? (() => new Date());
    const now = this.clock().getTime();
    this.calls = (options.spent ?? [])
      .map((d) => d.getTime())
      .filter((t) => t > now - DAY && t <= now)
      .sort((a, b) => a - b);
  }

  /** Takes one call from the budget if there is one; false means: do it offline. */
  tryTake(): boolean {
    const now = this.clock().getTime();
    this.prune(now);
    const cap = this.capHit(now);
    if (cap) {
      if (!this.exhausted) {
        this.exhausted = true;
        this.options.onExhausted?.(this.statusAt(now));
      }
      return false;
    }
    this.calls.push(now);
    if (this.exhausted) {
      this.exhausted = false;
      this.options.onRestored?.(this.statusAt(now));
    }
    return true;
  }

  status(): BudgetStatus {
    const now = this.clock().getTime();
    this.prune(now);
    return this.statusAt(now);
  }

  private prune(now: number): void {
    let i = 0;
    while (i < this.calls.length && (this.calls[i] as number) <= now - DAY) i++;
    if (i) this.calls.splice(0, i);
  }

  private lastHour(now: number): number[] {
    return this.calls.filter((t) => t > now - HOUR);
  }

  private capHit(now: number): 'hour' | 'day' | null {
    if (this.calls.length >= this.limits.perDay) return 'day';
    if (this.lastHour(now).length >= this.limits.perHour) return 'hour';
    return null;
  }

  private statusAt(now: number): BudgetStatus {
    const hour = this.lastHour(now);
    const cap = this.capHit(now);
    let until: number | null = null;
    // The window frees a slot when the call that filled it ages out.
    if (cap === 'day') until = (this.calls[this.calls.length - this.limits.perDay] ?? now) + DAY;
    else if (cap === 'hour') until = (hour[hour.length - this.limits.perHour] ?? now) + HOUR;
    return {
      state: cap ? 'exhausted' : 'ok',
      callsLastHour: hour.length,
      callsLastDay: this.calls.length,
      limits: this.limits,
      until: until === null ? null : new Date(until).toISOString(),
      cap,
    };
  }
}
