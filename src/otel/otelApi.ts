import type * as OtelApi from '@opentelemetry/api';

export type { OtelApi };

/**
 * Where `@opentelemetry/api` (major 1) keeps its globals: a context manager registered by an SDK
 * is found there. The API reads the same key, so any copy of it in the process sees the same one.
 */
const GLOBALS = Symbol.for('opentelemetry.js.api.1');

/** The API module once loaded; null when it could not be; undefined until first asked. */
let loaded: typeof OtelApi | null | undefined;

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
export function loadOtelApi(): typeof OtelApi | null {
  if (loaded === undefined) {
    try {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      loaded = require('@opentelemetry/api') as typeof OtelApi;
    } catch {
      loaded = null;
    }
  }
  return loaded;
}
