import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { DEFAULT_REDACT_KEYS, MIN_DATA_SIZE } from '../capture';
import { ConfigError } from '../errors';
import type { ErrorContext } from '../errors';
import {
  EXPECTED_RETENTION,
  isPlainObject,
  MAX_DAYS,
  readRetentionEnv,
  resolveRetention,
  RETENTION_ENV,
  validateRetention,
  type ResolvedRetention,
  type RetentionConfig,
  type RetentionSetting,
} from './RetentionConfig';
import { DEFAULT_OTEL, EXPECTED_OTEL, validateOtel, type OtelConfig, type ResolvedOtelConfig } from '../otel/OtelConfig';

export type Durability = 'batched' | 'strict';

/**
 * Logger settings. Every field is optional; sources are applied in this order, later wins:
 * defaults → `flowtrail.config.json` → these options → `FLOWTRAIL_*` environment → runtime toggles.
 */
export interface LoggerConfig {
  /** Record anything at all. Env `FLOWTRAIL_ENABLED`. @default true */
  enabled?: boolean;
  /** Store node inputs and trigger data. Env `FLOWTRAIL_CAPTURE_INPUTS`. @default true */
  captureInputs?: boolean;
  /** Store node outputs. Env `FLOWTRAIL_CAPTURE_OUTPUTS`. @default true */
  captureOutputs?: boolean;
  /** Cap, in UTF-8 bytes, on each captured value's JSON; larger values become a truncation marker. Env `FLOWTRAIL_MAX_DATA_SIZE`. @default 100000 */
  maxDataSize?: number;
  /** Cap, in UTF-8 bytes, on each stored error message (a thrown value that is not an Error is captured like data, then capped). @default 4096 */
  maxErrorMessageSize?: number;
  /** Cap, in UTF-8 bytes, on each stored error stack, its `cause` chain included. @default 16384 */
  maxErrorStackSize?: number;
  /**
   * Age in days after which `runRetentionCleanup()` deletes executions: the shorthand for every
   * status `retention` does not name. Env `FLOWTRAIL_RETENTION_DAYS`. @default 30
   */
  retentionDays?: number;
  /** Retention per status and per workflow, e.g. `{ success: '7d', error: '90d', maxPerWorkflow: 10000 }`. See {@link RetentionConfig}. */
  retention?: RetentionConfig;
  /** Keys whose values are replaced by "[REDACTED]", matched case-insensitively ignoring `_`, `-` and spaces. Replaces the default list. */
  redactKeys?: string[];
  /** Longest time a record waits in memory before it is written. @default 100 */
  flushIntervalMs?: number;
  /** Records that trigger a flush before the interval is up. @default 1000 */
  maxBatchSize?: number;
  /**
   * Records held in memory at most; past it, workflows wait for the database (or records spill
   * when it is down). A larger queue makes larger transactions (more steps/s persisted when the
   * database is the bottleneck) and holds records long enough for V8 to promote them: more memory.
   * @default 2500
   */
  maxQueueSize?: number;
  /**
   * Bytes of records held in memory at most, by estimate (the length of their text: captured
   * data, error text, names; plus a fixed overhead each), beside `maxQueueSize`: whichever is
   * reached first. At least 1 MiB. Env `FLOWTRAIL_MAX_QUEUE_BYTES`. @default 33554432 (32 MiB)
   */
  maxQueueBytes?: number;
  /** `batched`: write behind the workflow. `strict`: persist each record before the call proceeds. Env `FLOWTRAIL_DURABILITY`. @default 'batched' */
  durability?: Durability;
  /** First retry delay after a failed write; doubles up to `maxRetryDelayMs`. @default 100 */
  retryDelayMs?: number;
  /** @default 5000 */
  maxRetryDelayMs?: number;
  /** How often this logger's heartbeat row is refreshed. @default 5000 */
  heartbeatIntervalMs?: number;
  /** Running rows whose owner's heartbeat is older than this are recovered as interrupted. @default 30000 */
  leaseMs?: number;
  /** Run `recoverInterrupted()` when the logger starts. @default true */
  recoverOnStart?: boolean;
  /**
   * How long `shutdown()` waits for the executions already being recorded to finish (new ones are
   * not recorded from its call on). What they record later goes to the spool, for the next logger
   * on this database. @default 10000
   */
  shutdownGraceMs?: number;
  /**
   * When the process ends without `shutdown()`: write what is queued on `beforeExit`; shut down on
   * SIGTERM/SIGINT when the application has no listener of its own (then end with that signal);
   * spool what memory holds on `process.exit()`. Env `FLOWTRAIL_FLUSH_ON_EXIT`. @default true
   */
  flushOnExit?: boolean;
  /** How long `shutdown()` keeps retrying queued records before giving up. @default 10000 */
  shutdownTimeoutMs?: number;
  /**
   * Write batches on a worker thread with its own connection, off the workflows' thread. Only for
   * stores opened by flowtrail (a file or a URL); one opened on your DataSource writes on it. @default true
   */
  writerThread?: boolean;
  /**
   * Folder for records memory cannot hold while the database is slow or down (one subfolder per
   * logger); `false` turns the spool off, and records past `maxQueueSize` are then queued past the
   * bound while the database answers and dropped while it does not. Env `FLOWTRAIL_SPOOL_DIR`.
   * @default beside the SQLite file (`<file>.spool`), else `./.flowtrail/spool`
   */
  spoolDir?: string | false;
  /**
   * OpenTelemetry: `{ spans: true }` starts a span per execution and per step; rows store the ids of
   * the span active when they start either way. See {@link OtelConfig}.
   */
  otel?: OtelConfig;
  /** Called for every contained failure; it cannot break anything, even by throwing. */
  onError?: (error: unknown, context: ErrorContext) => void;
  /** Path of the project config file; `false` to read none. @default './flowtrail.config.json' */
  configFile?: string | false;
}

export interface ResolvedLoggerConfig extends Required<Omit<LoggerConfig, 'onError' | 'configFile' | 'spoolDir' | 'retention' | 'otel'>> {
  onError: LoggerConfig['onError'];
  /** Every rule `runRetentionCleanup()` applies, `retentionDays` filled in for the statuses `retention` leaves unset. */
  retention: ResolvedRetention;
  otel: ResolvedOtelConfig;
  /** Resolved later by the logger, which knows where the database is. */
  spoolDir: string | false | undefined;
}

export const DEFAULT_CONFIG: Readonly<Omit<ResolvedLoggerConfig, 'onError' | 'spoolDir' | 'retention'>> = Object.freeze({
  enabled: true,
  captureInputs: true,
  captureOutputs: true,
  maxDataSize: 100_000,
  maxErrorMessageSize: 4096,
  maxErrorStackSize: 16_384,
  retentionDays: 30,
  redactKeys: [...DEFAULT_REDACT_KEYS],
  flushIntervalMs: 100,
  maxBatchSize: 1000,
  maxQueueSize: 2500,
  maxQueueBytes: 32 * 1024 * 1024,
  durability: 'batched',
  retryDelayMs: 100,
  maxRetryDelayMs: 5000,
  heartbeatIntervalMs: 5000,
  leaseMs: 30_000,
  recoverOnStart: true,
  shutdownGraceMs: 10_000,
  flushOnExit: true,
  shutdownTimeoutMs: 10_000,
  writerThread: true,
  otel: DEFAULT_OTEL,
});

const MAX_INTEGER_SETTING = 2_147_483_647;
/** Room for a message's first line and the note saying where it was cut. */
const MIN_ERROR_TEXT_SIZE = 256;
/** Room for a few records at the default data cap: with less, nearly every record would spill. */
const MIN_QUEUE_BYTES = 1024 * 1024;

type Kind =
  | 'boolean'
  | 'positiveInteger'
  | 'nonNegativeInteger'
  | 'days'
  | 'retention'
  | 'durability'
  | 'stringList'
  | 'function'
  | 'spoolDir'
  | 'otel'
  | 'path';

/** Every accepted field and what it takes: the single place validation is defined. */
const FIELDS: Record<keyof LoggerConfig, Kind> = {
  enabled: 'boolean',
  captureInputs: 'boolean',
  captureOutputs: 'boolean',
  maxDataSize: 'positiveInteger',
  maxErrorMessageSize: 'positiveInteger',
  maxErrorStackSize: 'positiveInteger',
  retentionDays: 'days',
  retention: 'retention',
  redactKeys: 'stringList',
  flushIntervalMs: 'positiveInteger',
  maxBatchSize: 'positiveInteger',
  maxQueueSize: 'positiveInteger',
  maxQueueBytes: 'positiveInteger',
  durability: 'durability',
  retryDelayMs: 'positiveInteger',
  maxRetryDelayMs: 'positiveInteger',
  heartbeatIntervalMs: 'positiveInteger',
  leaseMs: 'positiveInteger',
  recoverOnStart: 'boolean',
  shutdownGraceMs: 'nonNegativeInteger',
  flushOnExit: 'boolean',
  shutdownTimeoutMs: 'positiveInteger',
  writerThread: 'boolean',
  spoolDir: 'spoolDir',
  otel: 'otel',
  onError: 'function',
  configFile: 'path',
};

/** The sizes that have a minimum, checked once every source is merged. */
const MIN_BYTES = {
  maxDataSize: MIN_DATA_SIZE,
  maxErrorMessageSize: MIN_ERROR_TEXT_SIZE,
  maxErrorStackSize: MIN_ERROR_TEXT_SIZE,
  maxQueueBytes: MIN_QUEUE_BYTES,
} as const;

const OTEL_SPANS_ENV = 'FLOWTRAIL_OTEL_SPANS';

const ENV: Partial<Record<keyof LoggerConfig, string>> = {
  enabled: 'FLOWTRAIL_ENABLED',
  captureInputs: 'FLOWTRAIL_CAPTURE_INPUTS',
  captureOutputs: 'FLOWTRAIL_CAPTURE_OUTPUTS',
  maxDataSize: 'FLOWTRAIL_MAX_DATA_SIZE',
  retentionDays: 'FLOWTRAIL_RETENTION_DAYS',
  durability: 'FLOWTRAIL_DURABILITY',
  flushIntervalMs: 'FLOWTRAIL_FLUSH_INTERVAL_MS',
  maxQueueSize: 'FLOWTRAIL_MAX_QUEUE_SIZE',
  maxQueueBytes: 'FLOWTRAIL_MAX_QUEUE_BYTES',
  spoolDir: 'FLOWTRAIL_SPOOL_DIR',
  flushOnExit: 'FLOWTRAIL_FLUSH_ON_EXIT',
};

/** The environment variables read, by setting (`retention`'s by `retention.<key>`): for the README and for error messages. */
export const CONFIG_ENV_VARS: Readonly<Partial<Record<keyof LoggerConfig | RetentionSetting, string>>> = Object.freeze({
  ...ENV,
  ...Object.fromEntries(Object.entries(RETENTION_ENV).map(([key, name]) => [`retention.${key}`, name])),
  'otel.spans': OTEL_SPANS_ENV,
});

/**
 * Merges every source into one complete, validated config. Throws ConfigError naming the setting
 * (the key, the file key, or the env var) and the value, so bad settings fail at start-up.
 */
export function resolveLoggerConfig(options: LoggerConfig = {}, env: NodeJS.ProcessEnv = process.env): ResolvedLoggerConfig {
  const fromCode = validate(options as Record<string, unknown>, (key) => key);
  const fileConfig = fromCode.configFile === false ? {} : readConfigFile(fromCode.configFile as string | undefined);
  const fromEnv = readEnv(env);
  const merged = { ...DEFAULT_CONFIG, spoolDir: undefined, onError: undefined, ...fileConfig, ...fromCode, ...fromEnv };
  delete (merged as LoggerConfig).configFile;
  // Key by key, so that one variable changes one rule; then retentionDays fills what no source named.
  const retention = { ...fileConfig.retention, ...fromCode.retention, ...fromEnv.retention };
  (merged as ResolvedLoggerConfig).retention = resolveRetention(retention, merged.retentionDays);
  (merged as ResolvedLoggerConfig).otel = { ...DEFAULT_OTEL, ...fileConfig.otel, ...fromCode.otel, ...fromEnv.otel };
  for (const [key, min] of Object.entries(MIN_BYTES) as [keyof typeof MIN_BYTES, number][]) {
    if (merged[key] < min) throw new ConfigError(key in fromEnv ? ENV[key]! : key, merged[key], `an integer ≥ ${min} bytes`);
  }
  if (merged.maxRetryDelayMs < merged.retryDelayMs) {
    throw new ConfigError('maxRetryDelayMs', merged.maxRetryDelayMs, `at least retryDelayMs (${merged.retryDelayMs})`);
  }
  if (merged.leaseMs <= merged.heartbeatIntervalMs) {
    throw new ConfigError('leaseMs', merged.leaseMs, `more than heartbeatIntervalMs (${merged.heartbeatIntervalMs})`);
  }
  return merged as ResolvedLoggerConfig;
}

function readConfigFile(path: string | undefined): LoggerConfig {
  const file = resolve(path ?? 'flowtrail.config.json');
  if (!existsSync(file)) {
    if (path !== undefined) throw new ConfigError('configFile', path, 'an existing JSON file');
    return {};
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new ConfigError(file, (error as Error).message, 'valid JSON');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new ConfigError(file, parsed, 'a JSON object of logger settings');
  }
  const config = validate(parsed as Record<string, unknown>, (key) => `${file}: ${key}`);
  if ('onError' in config || 'configFile' in config) throw new ConfigError(`${file}: onError/configFile`, 'present', 'only in code');
  return config;
}

function readEnv(env: NodeJS.ProcessEnv): LoggerConfig {
  const config: Record<string, unknown> = {};
  for (const [key, name] of Object.entries(ENV) as [keyof LoggerConfig, string][]) {
    const raw = env[name];
    if (raw === undefined || raw === '') continue;
    const value = parseEnvValue(FIELDS[key], name, raw.trim());
    checkKind(FIELDS[key], name, value); // the same bounds as in code
    config[key] = value;
  }
  const retention = readRetentionEnv(env);
  if (Object.keys(retention).length > 0) config.retention = retention;
  const spans = env[OTEL_SPANS_ENV];
  if (spans !== undefined && spans !== '') config.otel = { spans: parseEnvValue('boolean', OTEL_SPANS_ENV, spans.trim()) as boolean };
  return config as LoggerConfig;
}

function parseEnvValue(kind: Kind, name: string, raw: string): unknown {
  switch (kind) {
    case 'boolean':
      if (/^(true|1|yes|on)$/i.test(raw)) return true;
      if (/^(false|0|no|off)$/i.test(raw)) return false;
      throw new ConfigError(name, raw, 'true or false');
    case 'positiveInteger':
      if (!/^\d+$/.test(raw) || Number(raw) < 1) throw new ConfigError(name, raw, 'a positive integer');
      return Number(raw);
    case 'days':
      if (!/^\d+(\.\d+)?$/.test(raw)) throw new ConfigError(name, raw, EXPECTED.days);
      return Number(raw);
    case 'durability':
      if (raw !== 'batched' && raw !== 'strict') throw new ConfigError(name, raw, '"batched" or "strict"');
      return raw;
    case 'spoolDir':
      return /^(false|off)$/i.test(raw) ? false : raw;
    default:
      return raw;
  }
}

function validate(input: Record<string, unknown>, label: (key: string) => string): LoggerConfig {
  const output: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(input)) {
    // Own keys only: `constructor` or `__proto__` must read as unknown settings, not as Object's.
    const kind = Object.hasOwn(FIELDS, key) ? FIELDS[key as keyof LoggerConfig] : undefined;
    if (kind === undefined) throw new ConfigError(label(key), value, `a known setting (${Object.keys(FIELDS).join(', ')})`);
    if (value === undefined) continue;
    if (kind === 'retention') {
      output[key] = validateRetention(value, label);
      continue;
    }
    if (kind === 'otel') {
      output[key] = validateOtel(value, label);
      continue;
    }
    checkKind(kind, label(key), value);
    output[key] = kind === 'stringList' ? [...(value as string[])] : value;
  }
  return output as LoggerConfig;
}

function checkKind(kind: Kind, field: string, value: unknown): void {
  const ok = (() => {
    switch (kind) {
      case 'boolean':
        return typeof value === 'boolean';
      case 'positiveInteger':
        // Node timers overflow past 2^31 - 1 ms (and fire after 1 ms), so no setting goes beyond it.
        return Number.isSafeInteger(value) && (value as number) > 0 && (value as number) <= MAX_INTEGER_SETTING;
      case 'nonNegativeInteger':
        return Number.isSafeInteger(value) && (value as number) >= 0 && (value as number) <= MAX_INTEGER_SETTING;
      case 'days':
        // Bounded so that the age in milliseconds stays an exact integer: 1e308 days was accepted and broke cleanup.
        return typeof value === 'number' && Number.isFinite(value) && value >= 0 && value <= MAX_DAYS;
      case 'retention':
      case 'otel':
        return isPlainObject(value);
      case 'durability':
        return value === 'batched' || value === 'strict';
      case 'stringList':
        return Array.isArray(value) && value.every((item) => typeof item === 'string' && item.trim() !== '');
      case 'function':
        return typeof value === 'function';
      case 'spoolDir':
      case 'path':
        // A blank name would become a folder or a file named by its spaces.
        return value === false || (typeof value === 'string' && value.trim() !== '');
    }
  })();
  if (!ok) throw new ConfigError(field, value, EXPECTED[kind]);
}

const EXPECTED: Record<Kind, string> = {
  boolean: 'true or false',
  positiveInteger: `a positive integer up to ${MAX_INTEGER_SETTING}`,
  nonNegativeInteger: `an integer from 0 to ${MAX_INTEGER_SETTING}`,
  days: `a number of days from 0 to ${MAX_DAYS}`,
  retention: EXPECTED_RETENTION,
  otel: EXPECTED_OTEL,
  durability: '"batched" or "strict"',
  stringList: 'an array of non-empty strings',
  function: 'a function',
  spoolDir: 'a folder path or false',
  path: 'a file path or false',
};
