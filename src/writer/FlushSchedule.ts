/**
 * When the writer writes next: after the flush interval, at once when a batch is full, or, after
 * failures, once an exponential backoff has passed. One unref()'d timer; the writer's health is
 * whether the last attempt succeeded.
 */
export class FlushSchedule {
  private timer: NodeJS.Timeout | null = null;
  private timerDue = 0;
  private consecutiveFailures = 0;
  private retryAt = 0;
  private stopped = false;

  constructor(
    /** Called when the timer fires. */
    private readonly fire: () => void,
    private readonly options: { retryDelayMs: number; maxRetryDelayMs: number },
  ) {}

  get healthy(): boolean {
    return this.consecutiveFailures === 0;
  }

  /** Milliseconds until a retry may start; zero or less when a write may start now. */
  get retryWaitMs(): number {
    return this.retryAt - Date.now();
  }

  /** Fires after `delayMs`, unless the timer is due sooner already. */
  after(delayMs: number): void {
    if (this.stopped) return;
    const due = Date.now() + delayMs;
    if (this.timer !== null && this.timerDue <= due) return;
    this.clear();
    this.timerDue = due;
    this.timer = setTimeout(() => {
      this.timer = null;
      this.fire();
    }, delayMs);
    // The history must never keep a finished program alive; shutdown() is how to write the tail.
    this.timer.unref();
  }

  clear(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
  }

  /** No more timers: the writer is closing. */
  stop(): void {
    this.stopped = true;
    this.clear();
  }

  /** An explicit flush is a retry now, not after the backoff. */
  retryNow(): void {
    this.retryAt = 0;
  }

  failed(): void {
    this.consecutiveFailures++;
  }

  succeeded(): void {
    this.consecutiveFailures = 0;
  }

  /** After a failure: the next attempt waits for the backoff, whose length is returned. */
  holdBack(): number {
    const delay = this.backoffMs();
    this.retryAt = Date.now() + delay;
    return delay;
  }

  /** `retryDelayMs`, doubled with each failure in a row, up to `maxRetryDelayMs`. */
  backoffMs(): number {
    const exponent = Math.min(Math.max(this.consecutiveFailures - 1, 0), 20);
    return Math.min(this.options.maxRetryDelayMs, this.options.retryDelayMs * 2 ** exponent);
  }
}
