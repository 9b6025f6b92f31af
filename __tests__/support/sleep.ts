/** Resolves after `ms` milliseconds (a real timer: the tests that use it wait on real I/O or real time). */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
