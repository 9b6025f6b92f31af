/**
 * What a logger does when the process ends without calling its `shutdown()`: the process-level
 * listeners, installed once for all loggers that ask (`flushOnExit`) and removed with the last.
 *
 * - `beforeExit` (the event loop ran dry: a script that finished its work): the queued records
 *   are written. The write is new work, so the process waits for it, then ends.
 * - SIGTERM and SIGINT, when the application has no listener of its own: every logger shuts
 *   down (finishing what is being recorded, writing what is queued), then the signal is raised
 *   again with its default action, so the process ends as it would have. A second signal ends it
 *   at once. An application with its own listener decides, and calls `shutdown()` itself.
 * - `exit` (`process.exit()`, an uncaught exception): nothing asynchronous can run any more; what
 *   memory holds is appended to the spool, synchronously, for the next logger on the database.
 */

/** What the hooks need of a logger. */
export interface ExitHookTarget {
  /** On `beforeExit`: write what is queued (a promise keeps the process alive while it runs). */
  flushBeforeExit(): void;
  shutdown(): Promise<void>;
  /** On `exit`: synchronously, what memory holds to the spool. */
  spoolOnExit(): void;
}

const SIGNALS = ['SIGTERM', 'SIGINT'] as const;
const targets = new Set<ExitHookTarget>();
let installed = false;
let signalled = false;

export function addExitHooks(target: ExitHookTarget): void {
  targets.add(target);
  if (installed) return;
  installed = true;
  process.on('beforeExit', onBeforeExit);
  process.on('exit', onExit);
  for (const signal of SIGNALS) process.on(signal, onSignal);
}

export function removeExitHooks(target: ExitHookTarget): void {
  targets.delete(target);
  if (targets.size > 0 || !installed) return;
  installed = false;
  process.removeListener('beforeExit', onBeforeExit);
  process.removeListener('exit', onExit);
  for (const signal of SIGNALS) process.removeListener(signal, onSignal);
}

function onBeforeExit(): void {
  for (const target of targets) target.flushBeforeExit();
}

function onExit(): void {
  for (const target of targets) target.spoolOnExit();
}

function onSignal(signal: NodeJS.Signals): void {
  // The application listens too: it owns the ending, and shuts its loggers down itself.
  if (process.listenerCount(signal) > 1) return;
  if (signalled) return raise(signal);
  signalled = true;
  void Promise.allSettled([...targets].map((target) => target.shutdown())).then(() => raise(signal));
}

/** The signal again, with nothing of ours listening: its default action ends the process. */
function raise(signal: NodeJS.Signals): void {
  for (const name of SIGNALS) process.removeListener(name, onSignal);
  process.kill(process.pid, signal);
}
