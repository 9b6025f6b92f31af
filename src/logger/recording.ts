/**
 * How many loggers may record a step right now (see `ExecutionLogger.recordsSteps`). While none
 * can, a `@LoggedNode` call skips the AsyncLocalStorage lookup altogether: whatever context it
 * would find, that context's logger would not record it. A plain object read, not a call: it is on
 * every decorated call of a process that does not log.
 */
export const recording = { loggers: 0 };
