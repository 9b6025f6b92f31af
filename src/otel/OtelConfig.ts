import { ConfigError } from '../errors';

/**
 * The slice of an OpenTelemetry `Tracer` flowtrail calls: any tracer from `@opentelemetry/api`
 * fits. Declared here so that the types of a project without the package still check.
 */
export interface OtelTracer {
  startSpan(name: string, options?: object, context?: object): unknown;
}

/** OpenTelemetry settings (see docs/opentelemetry.md). `@opentelemetry/api` must be installed for `spans`. */
export interface OtelConfig {
  /**
   * Start a span per execution and per step, active while its body runs, so spans the body starts
   * (and child workflows) nest under it. Env `FLOWTRAIL_OTEL_SPANS`. @default false
   */
  spans?: boolean;
  /** The tracer those spans come from. Code only. @default the global provider's tracer named `flowtrail` */
  tracer?: OtelTracer;
}

export interface ResolvedOtelConfig {
  spans: boolean;
  /** Unset: the global provider's. */
  tracer?: OtelTracer;
}

export const DEFAULT_OTEL: Readonly<ResolvedOtelConfig> = Object.freeze({ spans: false });

export const EXPECTED_OTEL = 'an object { spans?: boolean, tracer?: Tracer }';

/**
 * Checks `otel` as given in code or in the config file (`label` names the field as the user wrote
 * it); throws ConfigError naming the key at fault. Returns only the keys that were given.
 */
export function validateOtel(value: unknown, label: (key: string) => string): OtelConfig {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new ConfigError(label('otel'), value, EXPECTED_OTEL);
  const output: OtelConfig = {};
  for (const [key, setting] of Object.entries(value)) {
    if (setting === undefined) continue;
    if (key === 'spans') {
      if (typeof setting !== 'boolean') throw new ConfigError(label('otel.spans'), setting, 'true or false');
      output.spans = setting;
    } else if (key === 'tracer') {
      if (!isTracer(setting)) throw new ConfigError(label('otel.tracer'), setting, 'an OpenTelemetry Tracer (with startSpan)');
      output.tracer = setting;
    } else {
      throw new ConfigError(label(`otel.${key}`), setting, 'a known setting (spans, tracer)');
    }
  }
  return output;
}

function isTracer(value: unknown): value is OtelTracer {
  return typeof value === 'object' && value !== null && typeof (value as { startSpan?: unknown }).startSpan === 'function';
}
