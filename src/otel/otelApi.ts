/**
 * The slice of `@opentelemetry/api` (1.x) flowtrail calls, declared here rather than imported:
 * the package is an optional peer, and flowtrail's declaration files must compile in a project
 * that does not have it.
 */
export interface SpanContext {
  traceId: string;
  spanId: string;
  traceFlags: number;
}

export type Attributes = Record<string, string | number | boolean | undefined>;

/** An OpenTelemetry context: flowtrail only passes it back to the API. */
export type Context = object;

export interface Span {
  spanContext(): SpanContext;
  setAttribute(key: string, value: string | number | boolean): unknown;
  recordException(exception: { name?: string; message?: string; stack?: string }): void;
  setStatus(status: { code: number; message?: string }): unknown;
  end(): void;
}

export interface Tracer {
  startSpan(name: string, options?: { kind?: number; attributes?: Attributes }, context?: Context): Span;
}

export interface OtelApi {
  context: { active(): Context; with<T>(context: Context, fn: () => T): T };
  trace: {
    getSpan(context: Context): Span | undefined;
    setSpan(context: Context, span: Span): Context;
    getTracer(name: string): Tracer;
  };
  isSpanContextValid(spanContext: SpanContext): boolean;
  SpanStatusCode: { ERROR: number };
}

/**
 * Where `@opentelemetry/api` (major 1) keeps its globals: a context manager registered by an SDK
 * is found there. The API reads the same key, so any copy of it in the process sees the same one.
 */
const GLOBALS = Symbol.for('opentelemetry.js.api.1');

/** The API module once loaded; null when it could not be; undefined until first asked. */
let loaded: OtelApi | null | undefined;

/**
 * Whether an OpenTelemetry context manager is registered in this process. Without one no span can
 * be active (the API's no-op manager propagates nothing), so the logger asks this first and loads
 * nothing at all in a process that does not trace.
 */
export function contextManagerRegistered(): boolean {
  const globals = (globalThis as Record<symbol, { context?: unknown } | undefined>)[GLOBALS];
  return globals !== undefined && globals.context !== undefined;
}

/**
 * `@opentelemetry/api`, required on first use and kept; null when it is not installed (or fails to
 * load): it is an optional peer, and nothing of it is imported until a span could matter.
 */
export function loadOtelApi(): OtelApi | null {
  if (loaded === undefined) {
    try {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      loaded = require('@opentelemetry/api') as OtelApi;
    } catch {
      loaded = null;
    }
  }
  return loaded;
}
