import { WorkflowCancelledError, WorkflowTimeoutError } from '../errors';

/**
 * Waits `ms`, or rejects with `signal.reason` as soon as the signal fires (at once if it already
 * has), clearing its timer so an aborted run leaves nothing scheduled behind it.
 */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * The error a run rejects with when the caller's signal fires. A reason that already is a
 * timeout or cancellation (a parent run aborting a sub-workflow) is kept, so the child records
 * the same cause as its parent; the default DOMException of `abort()` adds nothing to the message.
 */
export function cancellation(reason: unknown): WorkflowCancelledError | WorkflowTimeoutError {
  if (reason instanceof WorkflowCancelledError || reason instanceof WorkflowTimeoutError) return reason;
  // Duck-typed: the DOMException may come from another realm (vm contexts, test runners).
  const isBareAbort = typeof reason === 'object' && reason !== null && (reason as { name?: unknown }).name === 'AbortError';
  return new WorkflowCancelledError(isBareAbort ? undefined : reason);
}
