import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { ExecutionStore } from '../src';
import { betterSqliteAvailable, defaultSqliteDriver, tempDir } from './support/databases';
import { installWithout, type PartialInstall } from './support/installWithout';

/** Whether the installed TypeORM still has its `sqlite` (sqlite3) driver: 0.3 does, 1.x does not. */
const typeormHasSqlite3 = (() => {
  try {
    require.resolve('typeorm/driver/sqlite/SqliteDriver');
    return true;
  } catch {
    return false;
  }
})();

/**
 * Opens the embedded store in the project as a user's program would, records a workflow through
 * the writer thread, reads it back read-only and from `:memory:`, and prints what happened as JSON.
 */
const USER_PROGRAM = `
require('reflect-metadata');
const { existsSync } = require('node:fs');
const { ExecutionLogger, ExecutionStore } = require('flowtrail');
const options = JSON.parse(process.env.STORE_OPTIONS);
(async () => {
  let store;
  try {
    store = await ExecutionStore.open(options);
  } catch (error) {
    console.log(JSON.stringify({ error: { name: error.name, code: error.code, message: error.message }, created: existsSync(options.database) }));
    return;
  }
  const logger = new ExecutionLogger(store, { configFile: false, spoolDir: false });
  await logger.ready;
  const id = await logger.startExecution({ workflowId: 'w', workflowName: 'W' });
  await logger.completeExecution(id, true);
  await logger.flush();
  const { writerThread, written } = logger.stats();
  await logger.shutdown();
  const type = store.dataSource.options.type;
  await store.close();
  const reader = await ExecutionStore.open({ ...options, readOnly: true });
  const read = (await reader.listExecutions({})).items.map((item) => item.status);
  const readerType = reader.dataSource.options.type;
  await reader.close();
  const memory = await ExecutionStore.open({ ...options, database: ':memory:' });
  const memoryType = memory.dataSource.options.type;
  await memory.close();
  console.log(JSON.stringify({ type, readerType, memoryType, writerThread, written, read }));
})();
`;

/** A test that needs better-sqlite3 to load: skipped, and saying so in its name, where it does not (globalSetup). */
const withBetterSqlite3 = (name: string, fn: () => Promise<void>) =>
  betterSqliteAvailable ? test(name, fn) : test.skip(`${name} (better-sqlite3 does not load on this Node)`, fn);

describe('the embedded SQLite driver, chosen by what is installed', () => {
  const installs: PartialInstall[] = [];
  afterAll(() => installs.forEach((install) => install.remove()));

  async function runIn(missing: string[], options: object): Promise<Record<string, unknown>> {
    const install = installWithout(missing);
    installs.push(install);
    const database = join(install.dir, 'data', 'history.sqlite');
    const result = await install.run(USER_PROGRAM, {
      STORE_OPTIONS: JSON.stringify({ database, ...options }),
      FLOWTRAIL_SQLITE_DRIVER: '',
    });
    expect(result).toMatchObject({ code: 0, stderr: '' });
    return JSON.parse(result.stdout) as Record<string, unknown>;
  }

  test('here: sqlite3 where TypeORM has its driver (0.3), else better-sqlite3', async () => {
    expect(defaultSqliteDriver).toBe(typeormHasSqlite3 ? 'sqlite3' : 'better-sqlite3');
    const dir = tempDir();
    const store = await ExecutionStore.open({ database: join(dir, 'history.sqlite') });
    expect(store.dataSource.options.type).toBe(typeormHasSqlite3 ? 'sqlite' : 'better-sqlite3');
    await store.close();
  });

  withBetterSqlite3('without sqlite3, the store, its writer thread, a read-only reopen and :memory: run on better-sqlite3', async () => {
    expect(await runIn(['sqlite3'], {})).toEqual({
      type: 'better-sqlite3',
      readerType: 'better-sqlite3',
      memoryType: 'better-sqlite3',
      writerThread: true,
      written: 1,
      read: ['success'],
    });
  });

  test('with neither driver: a StoreOpenError naming what to install, and no file left behind', async () => {
    const outcome = await runIn(['sqlite3', 'better-sqlite3'], {});
    expect(outcome).toMatchObject({ error: { name: 'StoreOpenError', code: 'FLOWTRAIL_STORE_OPEN' }, created: false });
    const message = (outcome.error as { message: string }).message;
    expect(message).toContain('npm install better-sqlite3');
    if (typeormHasSqlite3) expect(message).toContain('npm install sqlite3');
    else expect(message).toContain('has no driver for "sqlite3"');
    const dataDir = join(installs.at(-1)!.dir, 'data');
    expect(existsSync(dataDir) ? readdirSync(dataDir) : []).toEqual([]);
  });

  test('a driver named but not installed: a StoreOpenError naming it', async () => {
    const outcome = await runIn(['better-sqlite3'], { sqliteDriver: 'better-sqlite3' });
    expect(outcome).toMatchObject({ error: { name: 'StoreOpenError' }, created: false });
    expect((outcome.error as { message: string }).message).toMatch(/"better-sqlite3" is not installed.*npm install better-sqlite3/);
  });

  withBetterSqlite3('FLOWTRAIL_SQLITE_DRIVER names the driver; an unknown name is a ConfigError naming the variable', async () => {
    const dir = tempDir();
    const saved = process.env.FLOWTRAIL_SQLITE_DRIVER;
    try {
      process.env.FLOWTRAIL_SQLITE_DRIVER = 'better-sqlite3';
      const store = await ExecutionStore.open({ database: join(dir, 'history.sqlite') });
      expect(store.dataSource.options.type).toBe('better-sqlite3');
      await store.close();
      process.env.FLOWTRAIL_SQLITE_DRIVER = 'sqlite';
      const error = await ExecutionStore.open({ database: join(dir, 'other.sqlite') }).catch((e: unknown) => e);
      expect(error).toMatchObject({ name: 'ConfigError', field: 'FLOWTRAIL_SQLITE_DRIVER' });
      expect(existsSync(join(dir, 'other.sqlite'))).toBe(false);
    } finally {
      if (saved === undefined) delete process.env.FLOWTRAIL_SQLITE_DRIVER;
      else process.env.FLOWTRAIL_SQLITE_DRIVER = saved;
    }
  });
});
