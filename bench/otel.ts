import { optionalRequire, packageVersion } from './support';

/**
 * The OpenTelemetry peer: a tracer with a BatchSpanProcessor feeding an in-memory exporter, and
 * the AsyncLocalStorage context manager. Loaded only when the packages are installed, typed by
 * the slice used here, so the bench compiles without them.
 */
export interface OtelPeer {
  /** Runs `body` in a root span, as a workflow would. */
  inRootSpan<T>(name: string, body: () => Promise<T>): Promise<T>;
  /** Calls `method` inside a child span carrying `input` and the result as JSON string attributes. */
  traced<T>(name: string, input: unknown, method: () => Promise<T>): Promise<T>;
  /** The same child span with no attributes: what a span costs before it carries any data. */
  tracedBare<T>(name: string, method: () => Promise<T>): Promise<T>;
  /** Exports what the batch processor holds. */
  forceFlush(): Promise<void>;
  /** The tracer, for a logger's `otel.tracer`: its spans go through the same processor and exporter. */
  tracer: Tracer;
  /** Spans the exporter has received (then forgets them). */
  takeExported(): number;
  shutdown(): Promise<void>;
  versions: Record<string, string>;
}

interface Span {
  setAttribute(key: string, value: string): Span;
  end(): void;
  recordException(error: unknown): void;
  setStatus(status: { code: number; message?: string }): Span;
}

interface Tracer {
  startActiveSpan<T>(name: string, fn: (span: Span) => T): T;
  startSpan(name: string, options?: object, context?: object): Span;
}

interface OtelApi {
  context: { setGlobalContextManager(manager: unknown): boolean; disable(): void };
  SpanStatusCode: { ERROR: number };
}

interface SdkTraceBase {
  BasicTracerProvider: new (config: { spanProcessors: unknown[] }) => {
    getTracer(name: string): Tracer;
    forceFlush(): Promise<void>;
    shutdown(): Promise<void>;
  };
  BatchSpanProcessor: new (exporter: unknown, config?: Record<string, number>) => unknown;
  InMemorySpanExporter: new () => { getFinishedSpans(): unknown[]; reset(): void };
}

interface ContextAsyncHooks {
  AsyncLocalStorageContextManager: new () => { enable(): unknown; disable(): unknown };
}

const PACKAGES = ['@opentelemetry/api', '@opentelemetry/sdk-trace-base', '@opentelemetry/context-async-hooks'] as const;

/** Why the peer cannot be measured, or null when it can. */
export function otelUnavailable(): string | null {
  const missing = PACKAGES.filter((name) => optionalRequire(name) === null);
  return missing.length ? `not installed: ${missing.join(', ')}` : null;
}

/**
 * @param maxQueueSize the batch processor's queue: the in-memory exporter answers on a timer, so
 * a loop that never yields to the event loop must have room for all its spans, or they are dropped.
 */
export function createOtelPeer(maxQueueSize: number): OtelPeer {
  const api = optionalRequire<OtelApi>('@opentelemetry/api');
  const sdk = optionalRequire<SdkTraceBase>('@opentelemetry/sdk-trace-base');
  const hooks = optionalRequire<ContextAsyncHooks>('@opentelemetry/context-async-hooks');
  if (!api || !sdk || !hooks) throw new Error(`OpenTelemetry ${otelUnavailable() ?? ''}`);

  const contextManager = new hooks.AsyncLocalStorageContextManager();
  contextManager.enable();
  api.context.setGlobalContextManager(contextManager);
  const exporter = new sdk.InMemorySpanExporter();
  // Default batch settings (export batches of 512, 5 s delay; a full batch exports at once) but the queue.
  const provider = new sdk.BasicTracerProvider({ spanProcessors: [new sdk.BatchSpanProcessor(exporter, { maxQueueSize })] });
  const tracer = provider.getTracer('flowtrail-bench');
  const errorCode = api.SpanStatusCode.ERROR;

  return {
    inRootSpan: (name, body) =>
      tracer.startActiveSpan(name, (span) =>
        body().finally(() => {
          span.end();
        }),
      ),
    traced: (name, input, method) =>
      tracer.startActiveSpan(name, (span) => {
        span.setAttribute('node.input', JSON.stringify(input));
        return method().then(
          (output) => {
            span.setAttribute('node.output', JSON.stringify(output));
            span.end();
            return output;
          },
          (error: unknown) => {
            span.recordException(error);
            span.setStatus({ code: errorCode });
            span.end();
            throw error;
          },
        );
      }),
    tracedBare: (name, method) =>
      tracer.startActiveSpan(name, (span) =>
        method().then(
          (output) => {
            span.end();
            return output;
          },
          (error: unknown) => {
            span.recordException(error);
            span.setStatus({ code: errorCode });
            span.end();
            throw error;
          },
        ),
      ),
    forceFlush: () => provider.forceFlush(),
    tracer,
    takeExported: () => {
      const count = exporter.getFinishedSpans().length;
      exporter.reset();
      return count;
    },
    shutdown: async () => {
      await provider.shutdown();
      contextManager.disable();
      api.context.disable();
    },
    versions: Object.fromEntries(PACKAGES.map((name) => [name, packageVersion(name)])),
  };
}
