/**
 * Executions started and not finished: what shutdown waits for, up to its grace period, and
 * while which a logger that began shutting down still records steps.
 */
export class InFlight {
  private inFlight = 0;
  private drainWaiters: (() => void)[] = [];

  constructor(
    /** Called when {@link count} leaves or reaches 0: after shutdown, the logger records steps only while it is not. */
    private readonly runningChanged: () => void,
  ) {}

  get count(): number {
    return this.inFlight;
  }

  started(): void {
    if (this.inFlight++ === 0) this.runningChanged();
  }

  ended(): void {
    if (--this.inFlight === 0) {
      if (this.drainWaiters.length > 0) for (const wake of this.drainWaiters.splice(0)) wake();
      this.runningChanged();
    }
  }

  /** Resolves true once no execution is being recorded, or false after `timeoutMs`. */
  drained(timeoutMs: number): Promise<boolean> {
    if (this.inFlight <= 0) return Promise.resolve(true);
    return new Promise((resolve) => {
      const timer = setTimeout(() => resolve(false), timeoutMs);
      this.drainWaiters.push(() => {
        clearTimeout(timer);
        resolve(true);
      });
    });
  }
}
