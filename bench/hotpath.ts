import { ExecutionLogger, LoggedWorkflow } from '../src';
import { floorNode } from './floor';
import { hotpathRows } from './hotpathRows';
import { createOtelPeer, otelUnavailable, type OtelPeer } from './otel';
import { elapsedNs, threadCpuNs, threadCpuReadNs, type BenchOutput } from './stats';
import { envInt, INPUT, log, NoopNode, openDatabase, PlainNoopNode, size, startLogger, type ExecutableNode } from './support';

/** The workflow the measured loop runs in: one execution per measured round. */
class LoopWorkflow {
  readonly id = 'hotpath';
  readonly name = 'Hot path loop';

  @LoggedWorkflow()
  async run<T>(_trigger: { calls: number }, loop: () => Promise<T>): Promise<T> {
    return loop();
  }
}

/** Calls between two drains: the queue bound both recorders get holds a chunk (set here: the logger's default, 2 500, would not). */
const CHUNK = 5_000;
const QUEUE_BOUND = 10_000;
/** What reading the thread's CPU time costs (taken off each chunk), or NaN where it cannot be read: wall time is used then. */
const CPU_READ_NS = threadCpuReadNs();

interface Timing {
  /** Time spent in the awaited calls themselves. */
  loopNs: number;
  /** The main thread's CPU time in those calls (NaN where the OS does not tell). */
  loopCpuNs: number;
  /** Time spent writing out what the calls queued, between chunks and at the end. */
  drainNs: number;
}

/**
 * `calls` awaited calls of `node.execute`, timed in chunks of CHUNK. A loop of awaits never yields
 * to the event loop, so neither the database nor OpenTelemetry's exporter (which answers on a timer)
 * could write during it; between chunks, the clock stops and `drain()` writes what was queued, so
 * no queue outgrows its normal bound and the loop measures what a step costs its caller.
 */
async function timeCalls(node: ExecutableNode, calls: number, drain: () => Promise<unknown>): Promise<Timing> {
  let loopNs = 0;
  let loopCpuNs = 0;
  let drainNs = 0;
  for (let done = 0; done < calls;) {
    const chunk = Math.min(CHUNK, calls - done);
    const cpuStart = threadCpuNs();
    const start = process.hrtime.bigint();
    for (let i = 0; i < chunk; i++) await node.execute(INPUT);
    loopNs += elapsedNs(start);
    loopCpuNs += threadCpuNs() - cpuStart - CPU_READ_NS;
    done += chunk;
    const drained = process.hrtime.bigint();
    await drain();
    drainNs += elapsedNs(drained);
  }
  return { loopNs, loopCpuNs, drainNs };
}

interface Variant {
  key: string;
  label: string;
  measure(calls: number): Promise<Timing>;
}

/**
 * 1. Hot-path overhead per step: `calls` awaited calls of a no-op async `execute()` inside one
 * workflow execution, per variant, variants interleaved round by round so drift hits all alike.
 * The loggers and the OpenTelemetry batch processor have the same queue bound (10 000, the
 * logger's default); the drain between chunks (logger.flush(), forceFlush()) is reported apart.
 */
export async function runHotpath(): Promise<BenchOutput> {
  const calls = envInt('BENCH_HOTPATH_CALLS', size(200_000, 20_000));
  const rounds = envInt('BENCH_HOTPATH_ROUNDS', size(5, 2));
  const database = await openDatabase('sqlite3', 'hotpath');
  const disabled = await startLogger(database.store, { enabled: false });
  const captureOff = await startLogger(database.store, { maxQueueSize: QUEUE_BOUND, captureInputs: false, captureOutputs: false });
  const capture = await startLogger(database.store, { maxQueueSize: QUEUE_BOUND });
  const otelMissing = otelUnavailable();
  const otel: OtelPeer | null = otelMissing ? null : createOtelPeer(QUEUE_BOUND);
  if (otelMissing) log(`hotpath: OpenTelemetry peer skipped (${otelMissing})`);
  // The same capture with a span per execution and per step, through the peer's processor and exporter.
  const spansOn = otel
    ? await startLogger(database.store, { maxQueueSize: QUEUE_BOUND, otel: { spans: true, tracer: otel.tracer } })
    : null;

  // Main-thread CPU per call where Linux tells it (see threadCpuNs), else wall time; wall time is kept beside it.
  const perCall: Record<string, number[]> = {};
  const wallPerCall: Record<string, number[]> = {};
  const drainPerCall: Record<string, number[]> = {};
  let stepsWritten = 0;
  try {
    const logged = new NoopNode('hot-node');
    const plain = new PlainNoopNode('hot-node');
    const floor = floorNode(plain);
    const workflow = new LoopWorkflow();
    const inWorkflow = async (logger: ExecutionLogger, node: ExecutableNode, n: number): Promise<Timing> => {
      ExecutionLogger.setDefault(logger);
      const timing = await workflow.run({ calls: n }, () => timeCalls(node, n, () => logger.flush()));
      const start = process.hrtime.bigint();
      await logger.flush();
      return { ...timing, drainNs: timing.drainNs + elapsedNs(start) };
    };
    // Target 1 is about a process where no logger anywhere is enabled: the disabled variants turn the others off while they run.
    const enabledLoggers = [captureOff, capture, spansOn].filter((logger) => logger !== null);
    const noLoggerEnabled = async (body: () => Promise<Timing>): Promise<Timing> => {
      for (const logger of enabledLoggers) logger.setEnabled(false);
      try {
        return await body();
      } finally {
        for (const logger of enabledLoggers) logger.setEnabled(true);
      }
    };
    const variants: Variant[] = [
      // The undecorated baseline runs inside a recorded execution too, so its awaits pay for the active context like the others.
      { key: 'undecorated', label: 'undecorated', measure: (n) => inWorkflow(capture, plain, n) },
      // The baseline of the disabled case: the same undecorated call where logging is disabled, so no context is active either.
      {
        key: 'undecoratedUnlogged',
        label: 'undecorated, logging disabled',
        measure: (n) => noLoggerEnabled(() => inWorkflow(disabled, plain, n)),
      },
      { key: 'disabled', label: '@LoggedNode, logging disabled', measure: (n) => noLoggerEnabled(() => inWorkflow(disabled, logged, n)) },
      { key: 'captureOff', label: '@LoggedNode, enabled, capture off', measure: (n) => inWorkflow(captureOff, logged, n) },
      { key: 'capture', label: '@LoggedNode, enabled, capture 2×200 B', measure: (n) => inWorkflow(capture, logged, n) },
      { key: 'floor', label: 'floor: ALS run + 2 × JSON.stringify + 2 ids', measure: (n) => inWorkflow(capture, floor, n) },
    ];
    if (otel && spansOn) {
      variants.push({
        key: 'spans',
        label: '@LoggedNode, enabled, capture 2×200 B, otel spans on',
        measure: async (n) => {
          let exported = 0;
          ExecutionLogger.setDefault(spansOn);
          const drain = async () => {
            await Promise.all([spansOn.flush(), otel.forceFlush()]);
            exported += otel.takeExported();
          };
          const timing = await workflow.run({ calls: n }, () => timeCalls(logged, n, drain));
          const start = process.hrtime.bigint();
          await drain();
          // The execution's span ends after the loop, with the workflow: one more than the steps.
          if (exported < n + 1) throw new Error(`OpenTelemetry exported ${exported} of ${n + 1} flowtrail spans`);
          return { ...timing, drainNs: timing.drainNs + elapsedNs(start) };
        },
      });
      const inSpans = (node: ExecutableNode) => async (n: number) => {
        let exported = 0;
        const drain = async () => {
          await otel.forceFlush();
          exported += otel.takeExported();
        };
        const timing = await otel.inRootSpan('workflow', () => timeCalls(node, n, drain));
        await drain();
        if (exported < n) throw new Error(`OpenTelemetry exported ${exported} of ${n} spans: the comparison would flatter it`);
        return timing;
      };
      const traced: ExecutableNode = { execute: (input) => otel.traced('execute', input, () => plain.execute(input)) };
      const bare: ExecutableNode = { execute: () => otel.tracedBare('execute', () => plain.execute(INPUT)) };
      variants.push(
        { key: 'otel', label: 'OpenTelemetry span, 2×200 B attributes', measure: inSpans(traced) },
        // The same span without the data: what each side's data costs shows beside its bare cost.
        { key: 'otelBare', label: 'OpenTelemetry span, no attributes', measure: inSpans(bare) },
      );
    }

    // BENCH_HOTPATH_ONLY=capture (comma-separated keys) runs just those variants, e.g. under --cpu-prof.
    const only = process.env.BENCH_HOTPATH_ONLY?.split(',');
    if (only) variants.splice(0, variants.length, ...variants.filter((variant) => only.includes(variant.key)));
    log(`hotpath: warm-up (${Math.ceil(calls / 4)} calls per variant)`);
    for (const variant of variants) await variant.measure(Math.ceil(calls / 4));
    for (let round = 1; round <= rounds; round++) {
      for (const variant of variants) {
        const { loopNs, loopCpuNs, drainNs } = await variant.measure(calls);
        (perCall[variant.key] ??= []).push((CPU_READ_NS >= 0 ? loopCpuNs : loopNs) / calls);
        (wallPerCall[variant.key] ??= []).push(loopNs / calls);
        (drainPerCall[variant.key] ??= []).push(drainNs / calls);
      }
      log(`hotpath: round ${round}/${rounds}: ${variants.map((v) => `${v.key} ${perCall[v.key]!.at(-1)!.toFixed(0)} ns`).join(', ')}`);
    }

    stepsWritten = capture.stats().written + captureOff.stats().written + (spansOn?.stats().written ?? 0);
  } finally {
    await Promise.all([disabled.shutdown(), captureOff.shutdown(), capture.shutdown(), spansOn?.shutdown()]);
    await otel?.shutdown();
    await database.dispose();
  }

  const rows = hotpathRows({ perCall, wallPerCall, drainPerCall }, CPU_READ_NS >= 0 ? 'CPU' : 'wall', otel === null ? otelMissing : null);
  return {
    rows,
    details: {
      calls,
      rounds,
      clock: CPU_READ_NS >= 0 ? 'main-thread CPU' : 'wall',
      perCallNs: perCall,
      wallNsPerCall: wallPerCall,
      drainNsPerCall: drainPerCall,
      stepsWritten,
      otel: otel?.versions ?? otelMissing,
    },
  };
}
