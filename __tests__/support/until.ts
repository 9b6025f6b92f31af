import { sleep } from './sleep';

/**
 * Polls `condition` every few milliseconds until it holds. `limitMs` is a safety limit, not an
 * assertion on time: a condition that never holds fails the test with an error naming `what`.
 */
export async function until(condition: () => boolean | Promise<boolean>, what: string, limitMs = 30_000): Promise<void> {
  const giveUpAt = Date.now() + limitMs;
  while (!(await condition())) {
    if (Date.now() > giveUpAt) throw new Error(`never happened: ${what}`);
    await sleep(5);
  }
}
