import { writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { CONFIG_ENV_VARS, ConfigError, type LoggerConfig } from '../src';
import { resolveLoggerConfig } from '../src/config/LoggerConfig';
import { tempDir } from './support/databases';

const DAY = 86_400_000;
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
  return thrown as ConfigError;
}

/** The retention `resolveLoggerConfig` arrives at. */
function resolved(options: LoggerConfig, env: NodeJS.ProcessEnv = noEnv) {
  return resolveLoggerConfig({ configFile: false, ...options }, env).retention;
}

let dir: string;
beforeAll(() => {
  dir = tempDir('flowtrail-retention-config-');
});

function configFile(name: string, content: unknown): string {
  const path = join(dir, name);
  writeFileSync(path, typeof content === 'string' ? content : JSON.stringify(content));
  return path;
}

describe('retention: what it resolves to', () => {
  test('by default every status is kept 30 days and there is no count limit (as retentionDays alone did)', () => {
    expect(resolved({})).toEqual({ maxAgeMs: { success: 30 * DAY, error: 30 * DAY, interrupted: 30 * DAY }, maxPerWorkflow: false });
  });

  test('ages are durations; the statuses not named take retentionDays', () => {
    expect(resolved({ retentionDays: 3, retention: { success: '7d', error: '12h' } })).toEqual({
      maxAgeMs: { success: 7 * DAY, error: 12 * 3_600_000, interrupted: 3 * DAY },
      maxPerWorkflow: false,
    });
    expect(resolved({ retention: { success: '1.5h', error: '2w', interrupted: ' 500ms ', maxPerWorkflow: 10_000 } })).toEqual({
      maxAgeMs: { success: 5_400_000, error: 14 * DAY, interrupted: 500 },
      maxPerWorkflow: 10_000,
    });
  });

  test('false keeps a status without age limit, and turns the count off; 0 is a limit', () => {
    expect(resolved({ retention: { error: false, maxPerWorkflow: false } })).toEqual({
      maxAgeMs: { success: 30 * DAY, error: false, interrupted: 30 * DAY },
      maxPerWorkflow: false,
    });
    expect(resolved({ retention: { success: '0d', maxPerWorkflow: 0 } })).toMatchObject({ maxAgeMs: { success: 0 }, maxPerWorkflow: 0 });
    expect(resolved({ retention: { success: '100000d' } }).maxAgeMs.success).toBe(100_000 * DAY);
    expect(resolved({ retention: {} })).toEqual(resolved({}));
  });

  test('a status named in retention wins over retentionDays, whichever source gives either', () => {
    const file = configFile('specific-in-file.json', { retention: { success: '7d' } });
    const config = resolveLoggerConfig({ configFile: file, retentionDays: 2 }, { FLOWTRAIL_RETENTION_DAYS: '1' });
    expect(config.retentionDays).toBe(1);
    expect(config.retention.maxAgeMs).toEqual({ success: 7 * DAY, error: 1 * DAY, interrupted: 1 * DAY });
  });

  test('sources merge key by key: file, then code, then environment', () => {
    const file = configFile('merge.json', { retention: { success: '7d', error: '90d', maxPerWorkflow: 5 } });
    const env = { FLOWTRAIL_RETENTION_INTERRUPTED: '5d', FLOWTRAIL_RETENTION_MAX_PER_WORKFLOW: ' 7 ' };
    expect(resolveLoggerConfig({ configFile: file, retention: { error: '30d' } }, env).retention).toEqual({
      maxAgeMs: { success: 7 * DAY, error: 30 * DAY, interrupted: 5 * DAY },
      maxPerWorkflow: 7,
    });
    // A later source turns a key off with false; an empty variable counts as unset.
    const off = { FLOWTRAIL_RETENTION_ERROR: 'off', FLOWTRAIL_RETENTION_MAX_PER_WORKFLOW: 'false', FLOWTRAIL_RETENTION_SUCCESS: '' };
    expect(resolveLoggerConfig({ configFile: file }, off).retention).toEqual({
      maxAgeMs: { success: 7 * DAY, error: false, interrupted: 30 * DAY },
      maxPerWorkflow: false,
    });
  });

  test('every retention variable is listed with the others', () => {
    expect(CONFIG_ENV_VARS).toMatchObject({
      retentionDays: 'FLOWTRAIL_RETENTION_DAYS',
      'retention.success': 'FLOWTRAIL_RETENTION_SUCCESS',
      'retention.error': 'FLOWTRAIL_RETENTION_ERROR',
      'retention.interrupted': 'FLOWTRAIL_RETENTION_INTERRUPTED',
      'retention.maxPerWorkflow': 'FLOWTRAIL_RETENTION_MAX_PER_WORKFLOW',
    });
  });

  test('the options object given is not changed; the rules resolved are frozen', () => {
    const retention = Object.freeze({ success: '7d' });
    expect(resolved({ retention }).maxAgeMs.success).toBe(7 * DAY);
    expect(retention).toEqual({ success: '7d' });
    const resolvedRetention = resolved({});
    expect(Object.isFrozen(resolvedRetention) && Object.isFrozen(resolvedRetention.maxAgeMs)).toBe(true);
  });
});

describe('retention: invalid values name the field', () => {
  const badAges: unknown[] = [
    '7x',
    '-7d',
    '',
    '  ',
    '7',
    '7 d',
    '1e3d',
    'NaNd',
    'Infinityd',
    '100001d',
    '14286w',
    '99999999999999999999999d',
    '9'.repeat(400) + 'd',
    -1,
    7,
    NaN,
    Infinity,
    null,
    true,
    {},
    ['7d'],
  ];
  test.each(badAges)('retention.success = %p', (value) => {
    const error = configError(() => resolved({ retention: { success: value } } as unknown as LoggerConfig));
    expect(error.field).toBe('retention.success');
    expect(error.message).toContain('retention.success');
    expect(error.message).toContain('a duration such as');
  });

  test.each(['error', 'interrupted'])('retention.%s is checked the same way', (status) => {
    expect(configError(() => resolved({ retention: { [status]: '30days' } } as LoggerConfig)).field).toBe(`retention.${status}`);
  });

  test.each([-1, 1.5, NaN, Infinity, 2 ** 53, '10', '10000', null, true, {}])('retention.maxPerWorkflow = %p', (value) => {
    const error = configError(() => resolved({ retention: { maxPerWorkflow: value } } as unknown as LoggerConfig));
    expect(error.field).toBe('retention.maxPerWorkflow');
    expect(error.message).toContain('retention.maxPerWorkflow');
  });

  test.each(['7d', 30, null, [], [{ success: '7d' }], true])('retention = %p (not an object of rules)', (value) => {
    const error = configError(() => resolved({ retention: value } as unknown as LoggerConfig));
    expect(error.field).toBe('retention');
    expect(error.message).toContain('expected an object of rules');
  });

  test.each(['running', 'Success', 'maxAgeMs', 'keepPerWorkflow', 'toString', 'constructor'])('an unknown key retention.%s', (key) => {
    const error = configError(() => resolved({ retention: { [key]: '7d' } } as LoggerConfig));
    expect(error.field).toBe(`retention.${key}`);
    expect(error.message).toContain('success, error, interrupted, maxPerWorkflow');
  });

  test('retention.__proto__ is an unknown key, not the prototype', () => {
    const options = JSON.parse('{"retention": {"__proto__": {"success": "1d"}}}') as LoggerConfig;
    expect(configError(() => resolved(options)).field).toBe('retention.__proto__');
  });

  test('running executions are never removed, and the error says so', () => {
    expect(configError(() => resolved({ retention: { running: '1d' } } as LoggerConfig)).message).toContain(
      'running executions are never removed',
    );
  });

  test('in the config file, the error names the file and the key', () => {
    const file = configFile('bad-retention.json', { retention: { error: '90 days' } });
    const error = configError(() => resolveLoggerConfig({ configFile: file }, noEnv));
    expect(error.field).toBe(`${resolve(file)}: retention.error`);
    expect(error.message).toContain('"90 days"');
    const unknown = configFile('unknown-retention.json', { retention: { sucess: '7d' } });
    expect(configError(() => resolveLoggerConfig({ configFile: unknown }, noEnv)).field).toBe(`${resolve(unknown)}: retention.sucess`);
    const notObject = configFile('string-retention.json', { retention: '7d' });
    expect(configError(() => resolveLoggerConfig({ configFile: notObject }, noEnv)).field).toBe(`${resolve(notObject)}: retention`);
  });

  test.each([
    ['FLOWTRAIL_RETENTION_SUCCESS', '7x'],
    ['FLOWTRAIL_RETENTION_SUCCESS', '7'],
    ['FLOWTRAIL_RETENTION_ERROR', '-1d'],
    ['FLOWTRAIL_RETENTION_INTERRUPTED', '100001d'],
    ['FLOWTRAIL_RETENTION_INTERRUPTED', 'never'],
    ['FLOWTRAIL_RETENTION_MAX_PER_WORKFLOW', '-1'],
    ['FLOWTRAIL_RETENTION_MAX_PER_WORKFLOW', '1.5'],
    ['FLOWTRAIL_RETENTION_MAX_PER_WORKFLOW', 'ten'],
    ['FLOWTRAIL_RETENTION_MAX_PER_WORKFLOW', '99999999999999999999'],
  ])('%s=%p names the variable', (name, raw) => {
    const error = configError(() => resolveLoggerConfig({ configFile: false }, { [name]: raw }));
    expect(error.field).toBe(name);
    expect(error.message).toContain(name);
    expect(error.message).toContain(JSON.stringify(raw));
  });
});
