import { ErrorReporter, type ErrorContext } from '../src/logger/ErrorReporter';

/** The process warnings flowtrail emits while `run` runs (observed, still emitted). */
function warningsDuring(run: () => void): string[] {
  const spy = jest.spyOn(process, 'emitWarning');
  try {
    run();
    return spy.mock.calls
      .filter(([, options]) => (options as { code?: string } | undefined)?.code === 'FLOWTRAIL_STORAGE')
      .map(([warning]) => String(warning));
  } finally {
    spy.mockRestore();
  }
}

describe('ErrorReporter', () => {
  let calls: { message: string; context: ErrorContext }[];
  let reporter: ErrorReporter;

  beforeEach(() => {
    calls = [];
    reporter = new ErrorReporter((error, context) => calls.push({ message: (error as Error).message, context }));
  });

  test('a heartbeat or recovery that keeps failing is one report per outage; a new outage after a success is reported again', () => {
    for (let i = 0; i < 5; i++) reporter.report(new Error(`beat ${i}`), { operation: 'heartbeat' });
    reporter.report(new Error('recovery down'), { operation: 'recovery' });
    reporter.report(new Error('recovery still down'), { operation: 'recovery' });
    expect(calls.map((call) => call.message)).toEqual(['beat 0', 'recovery down']);

    reporter.recovered('heartbeat');
    reporter.report(new Error('beat again'), { operation: 'heartbeat' });
    reporter.report(new Error('recovery still down'), { operation: 'recovery' });
    expect(calls.map((call) => call.message)).toEqual(['beat 0', 'recovery down', 'beat again']);
    expect(reporter.reported).toBe(3);
  });

  test('other operations are reported every time, with their context as given', () => {
    const context = { operation: 'write', records: 7 };
    reporter.report(new Error('one'), context);
    reporter.report(new Error('two'), { operation: 'write' });
    reporter.report('not an Error', { operation: 'capture' });
    expect(calls).toHaveLength(3);
    expect(calls[0]?.context).toBe(context);
    expect(reporter.reported).toBe(3);
  });

  test('a throwing onError never throws through; the failure still reaches one process warning', () => {
    const throwing = new ErrorReporter(() => {
      throw new Error('handler bug');
    });
    const warnings = warningsDuring(() => {
      expect(() => throwing.report(new Error('disk full'), { operation: 'write' })).not.toThrow();
      expect(() => throwing.report(new Error('disk still full'), { operation: 'write' })).not.toThrow();
    });
    expect(warnings).toEqual(['flowtrail: write failed: disk full (further failures are counted in logger.stats())']);
    expect(throwing.reported).toBe(2);
  });

  test('with nobody listening: one warning, however many failures, and every one counted', () => {
    const silent = new ErrorReporter(undefined);
    const warnings = warningsDuring(() => {
      silent.report(new Error('first'), { operation: 'write' });
      silent.report(new Error('second'), { operation: 'spool' });
      silent.report(new Error('third'), { operation: 'heartbeat' });
    });
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain('write failed: first');
    expect(silent.reported).toBe(3);
  });

  test('the warning masks credentials written in the message, as stored error text is', () => {
    const silent = new ErrorReporter(undefined);
    const warnings = warningsDuring(() =>
      silent.report(new Error('cannot reach postgres://svc:hunter2@db/app?token=abc123'), { operation: 'capture' }),
    );
    expect(warnings).toEqual([
      'flowtrail: capture failed: cannot reach postgres://svc:***@db/app?token=*** (further failures are counted in logger.stats())',
    ]);
  });

  test('a thrown value whose message cannot be read is still contained', () => {
    const silent = new ErrorReporter(undefined);
    const hostile = new Proxy(new Error('x'), {
      get: () => {
        throw new Error('trap');
      },
      getPrototypeOf: () => Error.prototype,
    });
    const warnings = warningsDuring(() => expect(() => silent.report(hostile, { operation: 'capture' })).not.toThrow());
    expect(warnings).toHaveLength(0);
    expect(silent.reported).toBe(1);
  });
});
