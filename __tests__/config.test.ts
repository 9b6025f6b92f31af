import { join, resolve } from 'node:path';
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import {
  CONFIG_ENV_VARS,
  ConfigError,
  DEFAULT_REDACT_KEYS,
  ExecutionLogger,
  ExecutionStore,
  LoggedWorkflow,
  StoreOpenError,
  WorkflowExecution,
  type LoggerConfig,
} from '../src';
import { MIN_DATA_SIZE } from '../src/capture';
import { resolveLoggerConfig } from '../src/config/LoggerConfig';
import { makeDatabase, pgAvailable, pgUrl, tempDir, type TestDatabase } from './support/databases';

/** No FLOWTRAIL_* variables: what the pure tests pass as the environment. */
const noEnv: NodeJS.ProcessEnv = {};

/** The ConfigError `run` throws (fails the test when it throws nothing, or something else). */
function configError(run: () => unknown): ConfigError {
  let thrown: unknown = 'nothing thrown';
  try {
    run();
  } catch (error) {
    thrown = error;
  }
  expect(thrown).toBeInstanceOf(ConfigError);
  const error = thrown as ConfigError;
  expect(error.code).toBe('FLOWTRAIL_CONFIG');
  return error;
}

/** How a value reads in an error message. */
function shown(value: unknown): string {
  return typeof value === 'number' ? String(value) : JSON.stringify(value);
}

let dir: string;
beforeAll(() => {
  dir = tempDir('flowtrail-config-');
});

/** Writes a config file in the temp folder and returns its path. */
function configFile(name: string, content: unknown): string {
  const path = join(dir, name);
  writeFileSync(path, typeof content === 'string' ? content : JSON.stringify(content));
  return path;
}

describe('defaults', () => {
  // The Default column of the README's Configuration table; DEFAULT_CONFIG in src/config/LoggerConfig.ts holds them.
  test('are the documented ones when nothing is configured', () => {
    const config = resolveLoggerConfig({ configFile: false }, noEnv);
    expect(config).toMatchObject({
      enabled: true,
      captureInputs: true,
      captureOutputs: true,
      maxDataSize: 100_000,
      retentionDays: 30,
      durability: 'batched',
      flushIntervalMs: 100,
      maxBatchSize: 1000,
      maxQueueSize: 2500,
      maxQueueBytes: 32 * 1024 * 1024,
    });
    expect(config.redactKeys).toEqual([...DEFAULT_REDACT_KEYS]);
    for (const key of ['password', 'secret', 'token', 'authorization', 'api key', 'cookie']) expect(config.redactKeys).toContain(key);
    expect(config.onError).toBeUndefined();
    expect('configFile' in config).toBe(false);
  });

  test('./flowtrail.config.json in the working directory is read when configFile is not given; a missing one is fine', () => {
    const cwd = process.cwd();
    const project = tempDir('flowtrail-project-');
    try {
      process.chdir(project);
      expect(resolveLoggerConfig({}, noEnv).retentionDays).toBe(30);
      writeFileSync(join(project, 'flowtrail.config.json'), JSON.stringify({ retentionDays: 9 }));
      expect(resolveLoggerConfig({}, noEnv).retentionDays).toBe(9);
      expect(resolveLoggerConfig({ configFile: false }, noEnv).retentionDays).toBe(30);
    } finally {
      process.chdir(cwd);
    }
  });
});

describe('precedence: defaults → flowtrail.config.json → code → environment', () => {
  // One row per environment variable the logger reads (CONFIG_ENV_VARS, the Env column of the README's
  // Configuration table): each source overrides the one before it.
  const rows: [keyof LoggerConfig, string, unknown, unknown, string, unknown][] = [
    // field, env var, file value, code value, env value, parsed env value
    ['enabled', 'FLOWTRAIL_ENABLED', false, true, 'off', false],
    ['captureInputs', 'FLOWTRAIL_CAPTURE_INPUTS', false, true, 'no', false],
    ['captureOutputs', 'FLOWTRAIL_CAPTURE_OUTPUTS', false, true, '0', false],
    ['maxDataSize', 'FLOWTRAIL_MAX_DATA_SIZE', 2000, 3000, '4000', 4000],
    ['retentionDays', 'FLOWTRAIL_RETENTION_DAYS', 7, 14, '2.5', 2.5],
    ['durability', 'FLOWTRAIL_DURABILITY', 'strict', 'batched', 'strict', 'strict'],
    ['flushIntervalMs', 'FLOWTRAIL_FLUSH_INTERVAL_MS', 250, 50, '20', 20],
    ['maxQueueSize', 'FLOWTRAIL_MAX_QUEUE_SIZE', 500, 600, '700', 700],
    ['maxQueueBytes', 'FLOWTRAIL_MAX_QUEUE_BYTES', 2_000_000, 3_000_000, '4000000', 4_000_000],
    ['spoolDir', 'FLOWTRAIL_SPOOL_DIR', '/var/spool/a', '/var/spool/b', 'false', false],
    ['flushOnExit', 'FLOWTRAIL_FLUSH_ON_EXIT', false, true, 'off', false],
  ];

  test('every variable the logger reads has a row above (those of retention.<key>: retentionConfig.test.ts; otel.<key>: otel.test.ts)', () => {
    const topLevel = Object.entries(CONFIG_ENV_VARS).filter(
      ([setting]) => !setting.startsWith('retention.') && !setting.startsWith('otel.'),
    );
    expect(rows.map(([field, envVar]) => [field, envVar]).sort()).toEqual(topLevel.sort());
  });

  test.each(rows)('%s / %s', (field, envVar, fileValue, codeValue, envValue, parsed) => {
    expect(CONFIG_ENV_VARS[field]).toBe(envVar);
    const file = configFile(`precedence-${field}.json`, { [field]: fileValue });
    const read = (options: LoggerConfig, env: NodeJS.ProcessEnv) =>
      (resolveLoggerConfig(options, env) as unknown as Record<string, unknown>)[field];
    const defaultValue = read({ configFile: false }, noEnv);
    // Each source sets a value different from the one it overrides, so every step is observable.
    expect(fileValue).not.toEqual(defaultValue);
    expect(codeValue).not.toEqual(fileValue);
    expect(parsed).not.toEqual(codeValue);

    expect(read({ configFile: file }, noEnv)).toEqual(fileValue);
    expect(read({ configFile: file, [field]: codeValue }, noEnv)).toEqual(codeValue);
    expect(read({ configFile: file, [field]: codeValue }, { [envVar]: envValue })).toEqual(parsed);
    // An empty variable counts as unset.
    expect(read({ configFile: file, [field]: codeValue }, { [envVar]: '' })).toEqual(codeValue);
  });

  test('all sources together: each field comes from the last source that sets it', () => {
    const file = configFile('precedence-all.json', {
      maxDataSize: 5000,
      retentionDays: 7,
      durability: 'strict',
      captureInputs: false,
      captureOutputs: false,
      flushIntervalMs: 250,
      redactKeys: ['ssn'],
    });
    const config = resolveLoggerConfig(
      { configFile: file, retentionDays: 14, captureOutputs: true, flushIntervalMs: 50 },
      { FLOWTRAIL_RETENTION_DAYS: '3', FLOWTRAIL_DURABILITY: 'batched' },
    );
    expect(config).toMatchObject({
      enabled: true, // default
      maxDataSize: 5000, // file
      captureInputs: false, // file
      redactKeys: ['ssn'], // file (replaces the default list)
      captureOutputs: true, // code over file
      flushIntervalMs: 50, // code over file
      retentionDays: 3, // env over code over file
      durability: 'batched', // env over file
    });
  });

  test.each([
    ['true', true],
    ['1', true],
    ['yes', true],
    ['On', true],
    ['false', false],
    ['0', false],
    ['NO', false],
    ['off', false],
  ])('boolean environment spelling %p is %p', (raw, expected) => {
    expect(resolveLoggerConfig({ configFile: false, enabled: !expected }, { FLOWTRAIL_ENABLED: raw }).enabled).toBe(expected);
  });
});

describe('invalid values in code', () => {
  // Typed as a Record over every key of LoggerConfig: a field added to the interface without a
  // row here does not compile.
  const invalid: Record<keyof LoggerConfig, unknown[]> = {
    enabled: ['yes', 1, null],
    captureInputs: ['true', 0],
    captureOutputs: [null, 'false'],
    maxDataSize: [0, -1, 1.5, '100000', 2 ** 53],
    maxErrorMessageSize: [0, 255, 1.5, '4096'],
    maxErrorStackSize: [-1, 100, '16384'],
    retentionDays: [-1, '30', null, 1e308, 100_001],
    retention: ['7d', null, [], 30], // its keys: retentionConfig.test.ts
    redactKeys: ['password', [''], ['ok', 3], ['  ']],
    flushIntervalMs: [0, -10, 2.5],
    maxBatchSize: [0, '10'],
    maxQueueSize: [0, 1.5],
    maxQueueBytes: [0, 1.5, '33554432', -1, 1024 * 1024 - 1, 2 ** 31],
    durability: ['eventual', 'STRICT', true],
    retryDelayMs: [0, -1],
    maxRetryDelayMs: [0, '5000'],
    heartbeatIntervalMs: [0, 1.5],
    leaseMs: [0, -1],
    recoverOnStart: ['no', 1],
    shutdownGraceMs: [-1, 0.5, '100'],
    flushOnExit: ['yes', 0],
    shutdownTimeoutMs: [-1, 1.5],
    writerThread: ['on', 0, null],
    spoolDir: ['', true, 0, '  '],
    otel: [true, null, [], 'spans'], // its keys: otel.test.ts
    onError: ['console', {}],
    configFile: ['', true, 0, ' \t'],
  };
  const valid: Record<keyof LoggerConfig, unknown> = {
    enabled: false,
    captureInputs: false,
    captureOutputs: false,
    maxDataSize: MIN_DATA_SIZE,
    maxErrorMessageSize: 256,
    maxErrorStackSize: 1_000_000,
    retentionDays: 0,
    retention: { success: '7d' },
    redactKeys: ['ssn'],
    flushIntervalMs: 5,
    maxBatchSize: 10,
    maxQueueSize: 20,
    maxQueueBytes: 1024 * 1024,
    durability: 'strict',
    retryDelayMs: 200,
    maxRetryDelayMs: 10_000,
    heartbeatIntervalMs: 1000,
    leaseMs: 60_000,
    recoverOnStart: false,
    shutdownGraceMs: 0,
    flushOnExit: false,
    shutdownTimeoutMs: 1,
    writerThread: false,
    spoolDir: false,
    otel: { spans: false },
    onError: () => undefined,
    configFile: false,
  };
  const cases = Object.entries(invalid).flatMap(([field, values]) => values.map((value) => [field, value] as const));

  test.each(cases)('%s = %p throws ConfigError naming the field and the value', (field, value) => {
    const error = configError(() => resolveLoggerConfig({ configFile: false, [field]: value } as LoggerConfig, noEnv));
    expect(error.field).toBe(field);
    expect(error.value).toBe(value);
    expect(error.message).toContain(field);
    expect(error.message).toContain(shown(value));
  });

  test.each(Object.entries(valid))('%s accepts %p (so the rows above fail for their value, not for the field)', (field, value) => {
    const config = resolveLoggerConfig({ configFile: false, [field]: value } as LoggerConfig, noEnv);
    // retention resolves to milliseconds per status: retentionConfig.test.ts
    if (field !== 'configFile' && field !== 'retention') expect(config[field as keyof typeof config]).toEqual(value);
  });

  // The file goes through the same checks; its errors name the file as well as the key.
  const fileCases = Object.entries(invalid).flatMap(([field, values]) => {
    const value = values.find((candidate) => JSON.stringify(candidate) !== undefined && !Number.isNaN(candidate));
    return value === undefined ? [] : [[field, value] as const];
  });

  test('every field has a value the config file can hold', () => {
    expect(fileCases.map(([field]) => field)).toEqual(Object.keys(invalid));
  });

  test.each(fileCases)('%s = %p in flowtrail.config.json throws ConfigError naming the file and the key', (field, value) => {
    const file = configFile(`invalid-${field}.json`, { [field]: value });
    const error = configError(() => resolveLoggerConfig({ configFile: file }, noEnv));
    expect(error.field).toBe(`${resolve(file)}: ${field}`);
    expect(error.message).toContain(field);
    expect(error.message).toContain(shown(value));
  });

  // JSON.stringify(NaN) and JSON.stringify(Infinity) are "null": the message must not use it.
  test.each([
    ['maxDataSize', NaN],
    ['retentionDays', Infinity],
    ['flushIntervalMs', -Infinity],
  ])('%s = %p: the message shows the value as written, not "null"', (field, value) => {
    const error = configError(() => resolveLoggerConfig({ configFile: false, [field]: value } as LoggerConfig, noEnv));
    expect(error.field).toBe(field);
    expect(error.message).toContain(String(value));
  });

  test.each(['__proto__', 'constructor', 'toString', 'hasOwnProperty'])('%s is an unknown key, named as such', (key) => {
    const options = JSON.parse(`{"configFile": false, ${JSON.stringify(key)}: 1}`) as LoggerConfig;
    const error = configError(() => resolveLoggerConfig(options, noEnv));
    expect(error.field).toBe(key);
    expect(error.message).toContain('expected a known setting');
    const file = configFile(`proto-${key}.json`, {});
    writeFileSync(file, `{${JSON.stringify(key)}: 1}`);
    expect(configError(() => resolveLoggerConfig({ configFile: file }, noEnv)).message).toContain('expected a known setting');
  });

  test('retentionDays is accepted up to 100000 days; 1e308 is refused from the environment too', () => {
    expect(resolveLoggerConfig({ configFile: false, retentionDays: 100_000 }, noEnv).retentionDays).toBe(100_000);
    expect(configError(() => resolveLoggerConfig({ configFile: false }, { FLOWTRAIL_RETENTION_DAYS: '1e308' })).field).toBe(
      'FLOWTRAIL_RETENTION_DAYS',
    );
  });

  test.each(['false', 'FALSE', 'False', 'off', 'OFF'])('FLOWTRAIL_SPOOL_DIR=%s turns the spool off', (raw) => {
    expect(resolveLoggerConfig({ configFile: false }, { FLOWTRAIL_SPOOL_DIR: raw }).spoolDir).toBe(false);
  });

  test('an unknown key throws naming it', () => {
    const error = configError(() => resolveLoggerConfig({ configFile: false, maxDatasize: 5000 } as LoggerConfig, noEnv));
    expect(error.field).toBe('maxDatasize');
    expect(error.message).toContain('maxDatasize');
  });

  test('maxDataSize below MIN_DATA_SIZE throws; MIN_DATA_SIZE itself is accepted', () => {
    const error = configError(() => resolveLoggerConfig({ configFile: false, maxDataSize: MIN_DATA_SIZE - 1 }, noEnv));
    expect(error.field).toBe('maxDataSize');
    expect(error.message).toContain(String(MIN_DATA_SIZE - 1));
    expect(error.message).toContain(String(MIN_DATA_SIZE));
    expect(resolveLoggerConfig({ configFile: false, maxDataSize: MIN_DATA_SIZE }, noEnv).maxDataSize).toBe(MIN_DATA_SIZE);

    const fromEnv = configError(() => resolveLoggerConfig({ configFile: false }, { FLOWTRAIL_MAX_DATA_SIZE: String(MIN_DATA_SIZE - 1) }));
    expect(fromEnv.field).toBe('FLOWTRAIL_MAX_DATA_SIZE');
    const file = configFile('small.json', { maxDataSize: 10 });
    expect(configError(() => resolveLoggerConfig({ configFile: file }, noEnv)).field).toContain('maxDataSize');
  });

  test('maxQueueBytes below 1 MiB throws naming the setting, in code, in the file and in the environment; 1 MiB is accepted', () => {
    const min = 1024 * 1024;
    const error = configError(() => resolveLoggerConfig({ configFile: false, maxQueueBytes: min - 1 }, noEnv));
    expect(error.field).toBe('maxQueueBytes');
    expect(error.message).toContain(String(min - 1));
    expect(error.message).toContain(String(min));
    expect(resolveLoggerConfig({ configFile: false, maxQueueBytes: min }, noEnv).maxQueueBytes).toBe(min);

    const fromEnv = configError(() => resolveLoggerConfig({ configFile: false }, { FLOWTRAIL_MAX_QUEUE_BYTES: '65536' }));
    expect(fromEnv.field).toBe('FLOWTRAIL_MAX_QUEUE_BYTES');
    expect(fromEnv.value).toBe(65536);
    const file = configFile('small-queue.json', { maxQueueBytes: 4096 });
    expect(configError(() => resolveLoggerConfig({ configFile: file }, noEnv)).field).toContain('maxQueueBytes');
  });

  test('FLOWTRAIL_MAX_QUEUE_BYTES sets maxQueueBytes over the file and the code', () => {
    const file = configFile('queue-bytes.json', { maxQueueBytes: 8 * 1024 * 1024 });
    const config = resolveLoggerConfig({ configFile: file, maxQueueBytes: 16 * 1024 * 1024 }, { FLOWTRAIL_MAX_QUEUE_BYTES: ' 2097152 ' });
    expect(config.maxQueueBytes).toBe(2 * 1024 * 1024);
  });

  test('settings that contradict each other throw naming the one that is off', () => {
    expect(configError(() => resolveLoggerConfig({ configFile: false, retryDelayMs: 500, maxRetryDelayMs: 400 }, noEnv)).field).toBe(
      'maxRetryDelayMs',
    );
    expect(configError(() => resolveLoggerConfig({ configFile: false, heartbeatIntervalMs: 1000, leaseMs: 1000 }, noEnv)).field).toBe(
      'leaseMs',
    );
    expect(resolveLoggerConfig({ configFile: false, heartbeatIntervalMs: 1000, leaseMs: 1001 }, noEnv).leaseMs).toBe(1001);
  });

  // Node timers take at most 2^31-1 ms; a longer interval would overflow to 1 ms (TimeoutOverflowWarning).
  test.each([['heartbeatIntervalMs'], ['flushIntervalMs'], ['maxRetryDelayMs']])(
    '%s above the timer limit (2^31-1 ms) is rejected',
    (field) => {
      const value = 2 ** 31;
      const error = configError(() => resolveLoggerConfig({ configFile: false, [field]: value } as LoggerConfig, noEnv));
      expect(error.field).toBe(field);
    },
  );
});

describe('invalid environment', () => {
  const bad: [string, string][] = [
    ['FLOWTRAIL_ENABLED', 'maybe'],
    ['FLOWTRAIL_CAPTURE_INPUTS', 'maybe'],
    ['FLOWTRAIL_CAPTURE_OUTPUTS', 'maybe'],
    ['FLOWTRAIL_ENABLED', '2'],
    ['FLOWTRAIL_MAX_DATA_SIZE', 'lots'],
    ['FLOWTRAIL_MAX_DATA_SIZE', '-5000'],
    ['FLOWTRAIL_MAX_DATA_SIZE', '1500.5'],
    ['FLOWTRAIL_MAX_DATA_SIZE', '1e6'],
    ['FLOWTRAIL_MAX_DATA_SIZE', '0'],
    ['FLOWTRAIL_RETENTION_DAYS', 'soon'],
    ['FLOWTRAIL_RETENTION_DAYS', '-1'],
    ['FLOWTRAIL_DURABILITY', 'eventual'],
    ['FLOWTRAIL_DURABILITY', 'STRICT'],
    ['FLOWTRAIL_FLUSH_INTERVAL_MS', '0'],
    ['FLOWTRAIL_MAX_QUEUE_SIZE', 'ten'],
    ['FLOWTRAIL_MAX_QUEUE_BYTES', '32MiB'],
    ['FLOWTRAIL_MAX_QUEUE_BYTES', '-1048576'],
    ['FLOWTRAIL_FLUSH_ON_EXIT', 'sometimes'],
    ['FLOWTRAIL_FLUSH_INTERVAL_MS', '1.5'],
    ['FLOWTRAIL_RETENTION_DAYS', '1e3'],
    ['FLOWTRAIL_RETENTION_SUCCESS', '7'],
    ['FLOWTRAIL_RETENTION_ERROR', '7x'],
    ['FLOWTRAIL_RETENTION_INTERRUPTED', '-1d'],
    ['FLOWTRAIL_RETENTION_MAX_PER_WORKFLOW', '-1'],
    ['FLOWTRAIL_OTEL_SPANS', 'maybe'],
  ];

  test('every variable the logger reads has a bad value above', () => {
    const named = new Set([...bad.map(([name]) => name), 'FLOWTRAIL_SPOOL_DIR']);
    for (const name of Object.values(CONFIG_ENV_VARS)) expect(`${name}: ${named.has(name as string)}`).toBe(`${name}: true`);
  });

  // Empty counts as unset; blank is a value, and no folder.
  test('FLOWTRAIL_SPOOL_DIR of blanks throws naming it', () => {
    const error = configError(() => resolveLoggerConfig({ configFile: false }, { FLOWTRAIL_SPOOL_DIR: '   ' }));
    expect(error.field).toBe('FLOWTRAIL_SPOOL_DIR');
    expect(error.message).toContain('FLOWTRAIL_SPOOL_DIR');
    expect(resolveLoggerConfig({ configFile: false }, { FLOWTRAIL_SPOOL_DIR: ' /tmp/spool ' }).spoolDir).toBe('/tmp/spool');
  });

  test.each(bad)('%s=%p throws ConfigError naming the variable and the value', (name, raw) => {
    const error = configError(() => resolveLoggerConfig({ configFile: false }, { [name]: raw }));
    expect(error.field).toBe(name);
    expect(error.value).toBe(raw);
    expect(error.message).toContain(name);
    expect(error.message).toContain(JSON.stringify(raw));
  });

  test('the same variables with good values are accepted', () => {
    const config = resolveLoggerConfig(
      { configFile: false },
      {
        FLOWTRAIL_ENABLED: 'true',
        FLOWTRAIL_CAPTURE_INPUTS: 'false',
        FLOWTRAIL_CAPTURE_OUTPUTS: '0',
        FLOWTRAIL_MAX_DATA_SIZE: ' 1500 ',
        FLOWTRAIL_RETENTION_DAYS: '0',
        FLOWTRAIL_DURABILITY: 'strict',
        FLOWTRAIL_FLUSH_INTERVAL_MS: '20',
        FLOWTRAIL_MAX_QUEUE_SIZE: '50',
        FLOWTRAIL_MAX_QUEUE_BYTES: '1048576',
      },
    );
    expect(config).toMatchObject({
      enabled: true,
      captureInputs: false,
      captureOutputs: false,
      maxDataSize: 1500,
      retentionDays: 0,
      durability: 'strict',
      flushIntervalMs: 20,
      maxQueueSize: 50,
      maxQueueBytes: 1048576,
    });
  });

  // /^\d+$/ alone would admit integers that the same setting in code rejects.
  test('an integer variable beyond Number.MAX_SAFE_INTEGER is rejected, as it is in code', () => {
    configError(() => resolveLoggerConfig({ configFile: false }, { FLOWTRAIL_MAX_DATA_SIZE: '99999999999999999999' }));
    // Past the timer limit, as in code: checked after parsing, so the error holds the number.
    const error = configError(() => resolveLoggerConfig({ configFile: false }, { FLOWTRAIL_MAX_QUEUE_SIZE: '2147483648' }));
    expect(error.field).toBe('FLOWTRAIL_MAX_QUEUE_SIZE');
    expect(error.message).toContain('2147483648');
  });
});

describe('the config file', () => {
  test('an unknown key in the file throws naming the key and the file', () => {
    const file = configFile('unknown-key.json', { retentionDays: 3, maxDataSise: 5000 });
    const error = configError(() => resolveLoggerConfig({ configFile: file }, noEnv));
    expect(error.field).toContain('maxDataSise');
    expect(error.field).toContain(file);
    expect(error.message).toContain('maxDataSise');
  });

  test('an invalid value in the file throws naming the key and the value', () => {
    const file = configFile('bad-value.json', { durability: 'eventual' });
    const error = configError(() => resolveLoggerConfig({ configFile: file }, noEnv));
    expect(error.field).toContain('durability');
    expect(error.field).toContain(file);
    expect(error.message).toContain('"eventual"');
  });

  test.each([
    ['invalid JSON', 'invalid.json', '{ "enabled": tru }'],
    ['a JSON array', 'array.json', '[{ "enabled": true }]'],
    ['a JSON string', 'string.json', '"enabled"'],
  ])('%s throws naming the file', (_label, name, content) => {
    const file = configFile(name, content);
    const error = configError(() => resolveLoggerConfig({ configFile: file }, noEnv));
    expect(error.field).toBe(resolve(file));
    expect(error.message).toContain(resolve(file));
  });

  test('settings that only code can give (onError, configFile) are refused in the file', () => {
    const file = configFile('code-only.json', { configFile: 'other.json' });
    const error = configError(() => resolveLoggerConfig({ configFile: file }, noEnv));
    expect(error.field).toContain('configFile');
  });

  test('an explicit configFile that does not exist throws naming the path', () => {
    const missing = join(dir, 'does-not-exist.json');
    const error = configError(() => resolveLoggerConfig({ configFile: missing }, noEnv));
    expect(error.field).toBe('configFile');
    expect(error.value).toBe(missing);
    expect(error.message).toContain(missing);
  });
});

// FLOWTRAIL_DB belongs to the store, not to LoggerConfig: it is checked when the store opens.
describe('FLOWTRAIL_DB', () => {
  const saved = { db: process.env.FLOWTRAIL_DB, cwd: process.cwd() };
  afterEach(() => {
    process.chdir(saved.cwd);
    if (saved.db === undefined) delete process.env.FLOWTRAIL_DB;
    else process.env.FLOWTRAIL_DB = saved.db;
  });

  test('a URL of a database flowtrail does not write to throws ConfigError naming the variable, password masked, and creates nothing', async () => {
    const project = tempDir('flowtrail-db-env-');
    process.chdir(project);
    process.env.FLOWTRAIL_DB = 'mssql://app:hunter2@db.internal/history';
    const error = await ExecutionStore.open().then(
      () => 'opened',
      (thrown: unknown) => thrown,
    );
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).field).toBe('FLOWTRAIL_DB');
    expect((error as ConfigError).message).toContain('mssql://app:***@db.internal/history');
    expect((error as ConfigError).message).not.toContain('hunter2');
    expect(readdirSync(project)).toEqual([]);
  });

  test('a file that cannot be created throws StoreOpenError naming the path', async () => {
    // A folder inside a regular file: ENOTDIR. (Not /proc: Node's recursive mkdirSync never returns there.)
    const blocker = configFile('not-a-folder.json', {});
    const database = join(blocker, 'history.sqlite');
    process.env.FLOWTRAIL_DB = database;
    const error = await ExecutionStore.open().then(
      () => 'opened',
      (thrown: unknown) => thrown,
    );
    expect(error).toBeInstanceOf(StoreOpenError);
    expect((error as StoreOpenError).target).toBe(database);
    expect((error as StoreOpenError).message).toContain(database);
    expect(existsSync(database)).toBe(false);
  });

  (pgAvailable ? test : test.skip)('the URL scheme is case-insensitive, as it is for the CLI', async () => {
    const project = tempDir('flowtrail-db-env-');
    process.chdir(project);
    process.env.FLOWTRAIL_DB = pgUrl.replace(/^postgres(ql)?:/, 'POSTGRES:');
    const store = await ExecutionStore.open({ runMigrations: false });
    try {
      expect(store.dialect).toBe('postgres');
    } finally {
      await store.close();
    }
    expect(readdirSync(project)).toEqual([]);
  });
});

describe('ExecutionLogger', () => {
  let db: TestDatabase;
  let store: ExecutionStore;
  const loggers: ExecutionLogger[] = [];
  const savedEnv: NodeJS.ProcessEnv = {};

  beforeEach(async () => {
    // The logger reads process.env: run these tests without whatever FLOWTRAIL_* the shell has.
    for (const name of Object.values(CONFIG_ENV_VARS)) {
      savedEnv[name] = process.env[name];
      delete process.env[name];
    }
    db = makeDatabase('sqlite');
    store = await db.open();
  });

  afterEach(async () => {
    for (const logger of loggers.splice(0)) await logger.shutdown();
    await store.close();
    await db.drop();
    for (const [name, value] of Object.entries(savedEnv)) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  });

  /** A logger that has finished starting (instance registered, start-up recovery done). */
  const makeLogger = async (config: LoggerConfig = {}) => {
    const logger = new ExecutionLogger(store, { configFile: false, flushIntervalMs: 10, ...config });
    loggers.push(logger);
    await logger.ready;
    return logger;
  };

  test('a bad config throws at construction, before anything is started', async () => {
    const error = configError(() => new ExecutionLogger(store, { configFile: false, maxDataSize: -1 }));
    expect(error.field).toBe('maxDataSize');
    expect(configError(() => new ExecutionLogger(store, { configFile: join(dir, 'missing.json') })).field).toBe('configFile');
    expect(await store.listInstances()).toEqual([]);
  });

  test('a bad FLOWTRAIL_* variable in process.env throws at construction, naming it', async () => {
    process.env.FLOWTRAIL_DURABILITY = 'eventual';
    expect(configError(() => new ExecutionLogger(store, { configFile: false })).field).toBe('FLOWTRAIL_DURABILITY');
    process.env.FLOWTRAIL_DURABILITY = 'strict';
    expect((await makeLogger()).config.durability).toBe('strict');
  });

  test('the resolved config is exposed, frozen', async () => {
    const logger = await makeLogger({ retentionDays: 3, maxDataSize: 4096 });
    expect(logger.config).toMatchObject({ retentionDays: 3, maxDataSize: 4096, durability: 'batched' });
    expect(Object.isFrozen(logger.config)).toBe(true);
  });

  /** A workflow recorded by whichever logger `current` is. */
  let current: ExecutionLogger | null = null;
  class ToggleWorkflow {
    readonly id = 'toggle';

    @LoggedWorkflow({ logger: () => current })
    run(n: number): number {
      return n * 2;
    }
  }

  const recordedTriggers = async () => {
    const rows = await store.dataSource.getRepository(WorkflowExecution).find({ order: { startedAt: 'ASC', id: 'ASC' } });
    return rows.map((row) => row.triggerData);
  };

  test('setEnabled toggles recording at runtime; a shut-down logger stays off', async () => {
    const logger = await makeLogger();
    current = logger;
    expect(logger.enabled).toBe(true);
    expect(new ToggleWorkflow().run(1)).toBe(2);
    logger.setEnabled(false);
    expect(logger.enabled).toBe(false);
    expect(new ToggleWorkflow().run(2)).toBe(4);
    logger.setEnabled(true);
    expect(new ToggleWorkflow().run(3)).toBe(6);
    await logger.shutdown();
    expect(await recordedTriggers()).toEqual([1, 3]);

    logger.setEnabled(true);
    expect(logger.enabled).toBe(false);
    current = null;
  });

  test.each([
    ['enabled: false in code', { enabled: false }, {}],
    ['FLOWTRAIL_ENABLED=false', { enabled: true }, { FLOWTRAIL_ENABLED: 'false' }],
  ])('%s starts disabled; setEnabled(true) turns recording on', async (_label, config, env) => {
    Object.assign(process.env, env);
    const logger = await makeLogger(config);
    current = logger;
    expect(logger.enabled).toBe(false);
    new ToggleWorkflow().run(1);
    logger.setEnabled(true);
    new ToggleWorkflow().run(2);
    await logger.shutdown();
    expect(await recordedTriggers()).toEqual([2]);
    current = null;
  });
});
