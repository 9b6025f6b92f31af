import { executionContext, type ExecutionContext } from '../src/logger/context';
import type { ExecutionLogger } from '../src/logger/ExecutionLogger';
import { invoke, isPromiseLike, type CloseCall } from '../src/logger/invoke';

const context: ExecutionContext = {
  logger: {} as ExecutionLogger, // invoke only hands the context to the method's async call
  execution: { id: 'e', startedAt: 0, nextStepIndex: 0, tags: null, span: null },
  stepId: 's',
};

/** A close that records its calls, and what it returns for the caller to wait on. */
function recordingClose(wait?: () => Promise<void>): { close: CloseCall; calls: unknown[][] } {
  const calls: unknown[][] = [];
  return {
    calls,
    close: (status, value, error, canWait) => {
      calls.push([status, value, error, canWait]);
      return canWait && wait ? wait() : undefined;
    },
  };
}

describe('invoke', () => {
  test('a sync method: same this, arguments and value, run inside the context; closed without waiting', () => {
    const self = { name: 'self' };
    const args = [1, { two: 2 }];
    const value = { result: true };
    const seen: unknown[] = [];
    const site = { returnsPromise: false };
    const { close, calls } = recordingClose();
    const result = invoke(
      site,
      context,
      self,
      args,
      function (this: unknown, ...received: unknown[]) {
        seen.push(this, received, executionContext.getStore());
        return value;
      },
      close,
    );
    expect(result).toBe(value);
    expect(seen[0]).toBe(self);
    expect(seen[1]).toEqual(args);
    expect(seen[2]).toBe(context);
    expect(calls).toEqual([['success', value, undefined, false]]);
    expect(site.returnsPromise).toBe(false);
  });

  test('a sync throw: the same error is rethrown after the step is closed as error', () => {
    const thrown = new Error('sync failure');
    const { close, calls } = recordingClose();
    let caught: unknown;
    try {
      invoke(
        { returnsPromise: false },
        context,
        null,
        [],
        () => {
          throw thrown;
        },
        close,
      );
    } catch (error) {
      caught = error;
    }
    expect(caught).toBe(thrown);
    expect(calls).toEqual([['error', undefined, thrown, false]]);
  });

  test('a promise: the site learns it returns promises, and the result waits for what close asks to wait for', async () => {
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    const { close, calls } = recordingClose(() => released);
    const site = { returnsPromise: false };
    const value = { late: true };
    let settled = false;
    const result = invoke(site, context, null, [], async () => value, close) as Promise<unknown>;
    void result.then(() => (settled = true));
    expect(site.returnsPromise).toBe(true);
    await new Promise((resolve) => setImmediate(resolve));
    expect(calls).toEqual([['success', value, undefined, true]]);
    expect(settled).toBe(false); // held back until the record is persisted (strict) or has room
    release();
    await expect(result).resolves.toBe(value);
  });

  test('a rejection: the same error, after the wait close asks for', async () => {
    const thrown = new Error('async failure');
    let waited = false;
    const { close, calls } = recordingClose(async () => {
      await new Promise((resolve) => setTimeout(resolve, 20));
      waited = true;
    });
    const result = invoke({ returnsPromise: false }, context, null, [], () => Promise.reject(thrown), close) as Promise<unknown>;
    const outcome = await result.then(
      () => ({ error: undefined, waited }),
      (error: unknown) => ({ error, waited }),
    );
    expect(outcome).toEqual({ error: thrown, waited: true });
    expect(outcome.error).toBe(thrown);
    expect(calls).toEqual([['error', undefined, thrown, true]]);
  });

  test('a custom thenable is returned as it is, recorded on return, its then never called; so is a Proxy whose `then` throws', async () => {
    let thenCalls = 0;
    const thenable = {
      then: (resolve: (value: string) => void) => {
        thenCalls++;
        resolve('from thenable');
      },
    };
    const first = recordingClose();
    const firstSite = { returnsPromise: false };
    expect(invoke(firstSite, context, null, [], () => thenable, first.close)).toBe(thenable);
    expect(first.calls).toEqual([['success', '[Thenable]', undefined, false]]);
    await Promise.resolve();
    expect(thenCalls).toBe(0);
    expect(firstSite.returnsPromise).toBe(false);

    const hostile = new Proxy(
      {},
      {
        get: () => {
          throw new Error('trap');
        },
      },
    );
    const second = recordingClose();
    const site = { returnsPromise: false };
    expect(invoke(site, context, null, [], () => hostile, second.close)).toBe(hostile);
    expect(second.calls).toHaveLength(1);
    const [status, value, error, canWait] = second.calls[0]!;
    expect([status, value === hostile, error, canWait]).toEqual(['success', true, undefined, false]); // toEqual would read the Proxy
    expect(site.returnsPromise).toBe(false);
  });

  test('a Proxy whose every trap throws, getPrototypeOf included, is returned as it is and recorded as a success', () => {
    const refuse = () => {
      throw new Error('trap');
    };
    const hostile = new Proxy({}, { get: refuse, getPrototypeOf: refuse, has: refuse, ownKeys: refuse, getOwnPropertyDescriptor: refuse });
    const { close, calls } = recordingClose();
    const site = { returnsPromise: false };
    expect(invoke(site, context, null, [], () => hostile, close)).toBe(hostile);
    expect(calls).toHaveLength(1);
    const [status, value] = calls[0]!;
    expect([status, value === hostile]).toEqual(['success', true]);
    expect(isPromiseLike(hostile)).toBe(false);
  });
});

test('isPromiseLike: promises and objects or functions with a callable then; nothing else', () => {
  const callableThen = Object.assign(() => undefined, { then: () => undefined });
  expect([Promise.resolve(), { then: () => undefined }, callableThen].map(isPromiseLike)).toEqual([true, true, true]);
  expect([null, undefined, 0, 'then', { then: 'no' }, () => undefined].map(isPromiseLike)).toEqual([
    false,
    false,
    false,
    false,
    false,
    false,
  ]);
});
