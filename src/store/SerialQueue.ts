/**
 * Runs async tasks one at a time, in call order. TypeORM's SQLite drivers share one connection, so
 * two overlapping transactions on it collide ("cannot start a transaction within a transaction");
 * the store funnels its transactions through one of these instead.
 */
export class SerialQueue {
  private tail: Promise<unknown> = Promise.resolve();

  run<T>(task: () => Promise<T>): Promise<T> {
    const result = this.tail.then(task, task);
    // The chain must survive a failed task; the caller still sees the rejection through `result`.
    this.tail = result.catch(() => undefined);
    return result;
  }
}
