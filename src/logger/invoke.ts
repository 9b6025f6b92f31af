import { executionContext, type ExecutionContext } from './context';

/** A method as the logger calls it: any `this`, any arguments. */
export type Method = (...args: unknown[]) => unknown;

/**
 * Records the outcome of a call. `canWait` is true when the caller is handed a promise anyway,
 * so the result may be held back until the record is persisted (strict) or has room (backpressure).
 * Returns what to wait for, if anything.
 */
export type CloseCall = (status: 'success' | 'error', value: unknown, error: unknown, canWait: boolean) => Promise<void> | undefined;

/**
 * Calls the method inside `context`, records its outcome with `close`, and hands back exactly
 * what the method gave: the same sync value, a promise of the same value, or the same error.
 * A call that returns a promise marks its site as returning promises.
 */
export function invoke(
  site: { returnsPromise: boolean },
  context: ExecutionContext,
  self: unknown,
  args: unknown[],
  method: Method,
  close: CloseCall,
): unknown {
  let result: unknown;
  try {
    result = executionContext.run(context, () => method.apply(self, args));
  } catch (error) {
    void close('error', undefined, error, false);
    throw error;
  }
  if (!isPromiseLike(result)) {
    void close('success', result, undefined, false);
    return result;
  }
  site.returnsPromise = true;
  return Promise.resolve(result).then(
    (value) => {
      const wait = close('success', value, undefined, true);
      return wait ? wait.then(() => value) : value;
    },
    (error: unknown) => {
      const wait = close('error', undefined, error, true);
      if (!wait) throw error;
      return wait.then(() => {
        throw error;
      });
    },
  );
}

/** Whether a result is to be awaited: a promise, or any object with a callable `then`. */
export function isPromiseLike(value: unknown): value is PromiseLike<unknown> {
  if (value === null || (typeof value !== 'object' && typeof value !== 'function')) return false;
  if (value instanceof Promise) return true;
  try {
    return typeof (value as { then?: unknown }).then === 'function';
  } catch {
    // A hostile Proxy result is returned as it is, like any other value.
    return false;
  }
}
