import { DURATION_EXAMPLES, readDuration } from '../duration';
import { ConfigError } from '../errors';

// The `retention` setting apart from the rest of LoggerConfig, which merges its sources and calls in here.

/** The statuses retention removes by age: those of finished executions (running ones are never removed). */
export type RetentionStatus = 'success' | 'error' | 'interrupted';
const RETENTION_STATUSES: readonly RetentionStatus[] = ['success', 'error', 'interrupted'];

/**
 * What `runRetentionCleanup()` removes, per status of the execution and per workflow. A status not
 * named here is kept `retentionDays`. Sources merge key by key (file, then code, then environment).
 */
export interface RetentionConfig {
  /** Age after which successful executions are removed: a duration (`'7d'`, `'12h'`, `'2w'`); `false` for no age limit. Env `FLOWTRAIL_RETENTION_SUCCESS`. @default `retentionDays` */
  success?: string | false;
  /** The same for executions that ended in an error. Env `FLOWTRAIL_RETENTION_ERROR`. @default `retentionDays` */
  error?: string | false;
  /** The same for executions recovered as interrupted. Env `FLOWTRAIL_RETENTION_INTERRUPTED`. @default `retentionDays` */
  interrupted?: string | false;
  /**
   * Finished executions kept per workflow, the newest (as `store.cleanupExcessExecutions(keepPerWorkflow)`
   * and `flowtrail prune --keep`), applied after the ages; `false` for no count limit.
   * Env `FLOWTRAIL_RETENTION_MAX_PER_WORKFLOW`. @default false
   */
  maxPerWorkflow?: number | false;
}

/** `retention` resolved: an age in milliseconds for every status (or `false`: none), and the count. */
export interface ResolvedRetention {
  maxAgeMs: Readonly<Record<RetentionStatus, number | false>>;
  maxPerWorkflow: number | false;
}

/** About 270 years: any longer retention is none. */
export const MAX_DAYS = 100_000;
const DAY_MS = 86_400_000;

export const RETENTION_ENV: Readonly<Record<keyof RetentionConfig, string>> = {
  success: 'FLOWTRAIL_RETENTION_SUCCESS',
  error: 'FLOWTRAIL_RETENTION_ERROR',
  interrupted: 'FLOWTRAIL_RETENTION_INTERRUPTED',
  maxPerWorkflow: 'FLOWTRAIL_RETENTION_MAX_PER_WORKFLOW',
};

/** A key of `retention`, as the environment table names it. */
export type RetentionSetting = `retention.${keyof RetentionConfig}`;

/** The rules the environment sets, key by key; empty when it sets none. */
export function readRetentionEnv(env: NodeJS.ProcessEnv): RetentionConfig {
  const retention: Record<string, unknown> = {};
  for (const [key, name] of Object.entries(RETENTION_ENV) as [keyof RetentionConfig, string][]) {
    const raw = env[name]?.trim();
    if (raw === undefined || raw === '') continue;
    retention[key] = parseRetentionEnv(key, name, raw);
  }
  return retention as RetentionConfig;
}

/** `false`/`off` turns a rule off; otherwise a duration, or for `maxPerWorkflow` a count. Checked on the text, so errors show it as written. */
function parseRetentionEnv(key: keyof RetentionConfig, name: string, raw: string): unknown {
  if (/^(false|off)$/i.test(raw)) return false;
  if (key === 'maxPerWorkflow') {
    if (!/^\d+$/.test(raw) || !Number.isSafeInteger(Number(raw))) throw new ConfigError(name, raw, EXPECTED_COUNT);
    return Number(raw);
  }
  retentionAgeMs(raw, name);
  return raw;
}

export const EXPECTED_RETENTION = 'an object of rules, such as { "success": "7d", "error": "90d", "maxPerWorkflow": 10000 }';
const EXPECTED_AGE = `a duration such as 7d (${DURATION_EXAMPLES}) up to ${MAX_DAYS} days, or false for no age limit`;
const EXPECTED_COUNT = `an integer from 0 to ${Number.MAX_SAFE_INTEGER}, or false for no count limit`;
const RETENTION_KEYS = [...RETENTION_STATUSES, 'maxPerWorkflow'] as const;

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Checks `retention` key by key, naming `retention.<key>` in errors; returns a copy without its undefined keys. */
export function validateRetention(value: unknown, label: (key: string) => string): RetentionConfig {
  if (!isPlainObject(value)) throw new ConfigError(label('retention'), value, EXPECTED_RETENTION);
  const output: Record<string, unknown> = {};
  for (const [key, rule] of Object.entries(value)) {
    const field = label(`retention.${key}`);
    if (!(RETENTION_KEYS as readonly string[]).includes(key)) {
      const note = key === 'running' ? '; running executions are never removed' : '';
      throw new ConfigError(field, rule, `a known retention rule (${RETENTION_KEYS.join(', ')})${note}`);
    }
    if (rule === undefined) continue;
    if (key === 'maxPerWorkflow') {
      if (rule !== false && !(Number.isSafeInteger(rule) && (rule as number) >= 0)) throw new ConfigError(field, rule, EXPECTED_COUNT);
    } else {
      retentionAgeMs(rule, field);
    }
    output[key] = rule;
  }
  return output as RetentionConfig;
}

/**
 * An age as milliseconds, or false. A bare number is refused, as by the CLI: `{ success: 30 }`
 * could mean 30 days (as `retentionDays`) or 30 ms (as every other `…Ms` setting), and reading it
 * the wrong way deletes the history.
 */
function retentionAgeMs(rule: unknown, field: string): number | false {
  if (rule === false) return false;
  const ms = typeof rule === 'string' ? readDuration(rule) : undefined;
  // Bounded as retentionDays is, so that the cut-off stays an exact integer.
  if (ms === undefined || !(ms <= MAX_DAYS * DAY_MS)) throw new ConfigError(field, rule, EXPECTED_AGE);
  return ms;
}

/** Every status gets its age (retentionDays when `retention` does not name it); the count stays as given. */
export function resolveRetention(retention: RetentionConfig, retentionDays: number): ResolvedRetention {
  const shorthand = Math.round(retentionDays * DAY_MS);
  const maxAgeMs = Object.fromEntries(
    RETENTION_STATUSES.map((status) => {
      const rule = retention[status];
      return [status, rule === undefined ? shorthand : retentionAgeMs(rule, `retention.${status}`)];
    }),
  ) as Record<RetentionStatus, number | false>;
  return Object.freeze({ maxAgeMs: Object.freeze(maxAgeMs), maxPerWorkflow: retention.maxPerWorkflow ?? false });
}
