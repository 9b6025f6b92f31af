import { types } from 'node:util';
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
 * Calls the method inside `context`, records its outcome with `close`, and hands back what the
 * method gave:
 * - a value, or a thrown error: the very same, synchronously;
 * - a promise (native, or of a Promise subclass): what its own `then` returns, a promise of the
 *   same class that settles with the same value or error once the outcome is recorded (strict
 *   mode and backpressure may hold it until then). The site is then known to return promises;
 * - any other thenable (a query builder, a foreign promise library): the very object, untouched.
 *   Its `then` may start work (a builder runs its query on each call), so flowtrail never calls
 *   it: the step is recorded as finished when the method returns, with a marker for its output.
 */
export function invoke(
  site: PromiseSite,
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
  if (!types.isPromise(result)) {
    void close('success', thenableMarker(result), undefined, false);
    return result;
  }
  site.returnsPromise = true;
  site.promiseClass = promiseClassOf(result);
  return result.then(
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

/** What invoke learns about a method from its results. */
export interface PromiseSite {
  returnsPromise: boolean;
  /** The class of the promises it returned, when known. */
  promiseClass?: PromiseConstructor;
}

/** The class of a promise a method returned: native, or the Promise subclass it is an instance of. */
function promiseClassOf(promise: Promise<unknown>): PromiseConstructor {
  try {
    const constructor: unknown = promise.constructor;
    return typeof constructor === 'function' && constructor !== Promise && promise instanceof constructor
      ? (constructor as PromiseConstructor)
      : Promise;
  } catch {
    return Promise;
  }
}

/**
 * A promise the wrapper hands back before the method runs (strict mode persisting the start,
 * backpressure waiting for room), made an instance of the class the method's promises are, as
 * learned from an earlier call: a Promise subclass comes back as itself on every call.
 */
export function likeSite(site: PromiseSite, promise: Promise<unknown>): Promise<unknown> {
  const PromiseClass = site.promiseClass;
  if (PromiseClass === undefined || PromiseClass === Promise) return promise;
  try {
    return PromiseClass.resolve(promise);
  } catch {
    return promise;
  }
}

/** Whether a result is to be awaited: a promise, or any object with a callable `then`. */
export function isPromiseLike(value: unknown): value is PromiseLike<unknown> {
  if (value === null || (typeof value !== 'object' && typeof value !== 'function')) return false;
  // Not `instanceof`: it asks a Proxy's getPrototypeOf trap, which may throw; isPromise runs no trap.
  if (types.isPromise(value)) return true;
  try {
    return typeof (value as { then?: unknown }).then === 'function';
  } catch {
    // A hostile Proxy result is returned as it is, like any other value.
    return false;
  }
}

/** What a step records as the output of a thenable it does not await: what it was, by name. */
export function thenableMarker(thenable: object): string {
  try {
    const name = (thenable as { constructor?: { name?: unknown } }).constructor?.name;
    return typeof name === 'string' && name !== '' && name !== 'Object' ? `[Thenable ${name}]` : '[Thenable]';
  } catch {
    return '[Thenable]';
  }
}
