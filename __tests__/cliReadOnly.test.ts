import { createHash } from 'node:crypto';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client } from 'pg';
import { Database } from 'sqlite3';
import { DataSource } from 'typeorm';
import { executionHistoryEntities, uuidv7 } from '../src';
import { CreateExecutionHistory1764201600000 } from '../src/migrations/1764201600000-CreateExecutionHistory';
import { cli, CLI_MAIN } from './support/cli';
import { until } from './support/until';
import { cliArgs, databaseKinds, makeDatabase, mysqlType, pgUrl, tempDir, userSqliteOptions, type TestDatabase } from './support/databases';

/** The CLI's read commands must change nothing; only prune and migrate write, and only a flowtrail history. */

function sha256(path: string): string {
  return createHash('sha256').update(readFileSync(path)).digest('hex');
}

function sqlite<T>(path: string, sql: string): Promise<T[]> {
  return new Promise((resolve, reject) => {
    const db = new Database(path, (error) => {
      if (error) return reject(error);
      db.all(sql, (queryError, rows) => db.close(() => (queryError ? reject(queryError) : resolve(rows as T[]))));
    });
  });
}

/** The SQLite driver a kind names, for the CLI too. */
function driverEnv(db: TestDatabase): Record<string, string | undefined> {
  return { FLOWTRAIL_SQLITE_DRIVER: db.describe.FLOWTRAIL_SQLITE_DRIVER };
}

function where(db: TestDatabase): string[] {
  return cliArgs(db);
}

async function migrationsApplied(db: TestDatabase): Promise<number> {
  if ('database' in db.options) {
    const [row] = await sqlite<{ n: number }>(db.options.database, 'SELECT COUNT(*) AS n FROM flowtrail_migrations');
    return row!.n;
  }
  if (!('schema' in db.options)) {
    const dataSource = new DataSource({ type: mysqlType, url: db.options.url });
    await dataSource.initialize();
    try {
      const [row] = (await dataSource.query('SELECT COUNT(*) AS n FROM flowtrail_migrations')) as { n: number | string }[];
      return Number(row!.n);
    } finally {
      await dataSource.destroy();
    }
  }
  const client = new Client({ connectionString: pgUrl });
  await client.connect();
  try {
    const { rows } = await client.query(`SELECT COUNT(*)::int AS n FROM "${db.options.schema}".flowtrail_migrations`);
    return (rows[0] as { n: number }).n;
  } finally {
    await client.end();
  }
}

const READS = (id: string) => [
  ['list'],
  ['list', '--status', 'success', '--json'],
  ['list', '--tag', 'tenant=acme', '--json'],
  ['list', '--where', 'output.ok=1', '--json'],
  ['show', id],
  ['show', id, '--data', '--json'],
  ['stats'],
  ['export', '--steps'],
  ['export', '--format', 'csv'],
  ['prune', '--older-than', '1d', '--dry-run'],
];

describe('read commands on a SQLite file that is not (yet) a flowtrail history', () => {
  test("an application's own database keeps its bytes and its journal mode", async () => {
    const dir = tempDir();
    const app = join(dir, 'app.sqlite');
    await sqlite(app, 'CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT)');
    await sqlite(app, "INSERT INTO users (name) VALUES ('ada')");
    const before = sha256(app);
    for (const args of [['list'], ['stats'], ['show', 'x'], ['export'], ['prune', '--keep', '1', '--dry-run'], ['migrate']]) {
      const result = await cli([...args, '--db', app]);
      expect({ args, code: result.code, stderr: result.stderr }).toMatchObject({ args, code: 1 });
      expect(result.stderr).toContain('no flowtrail history');
    }
    expect(sha256(app)).toBe(before);
    expect(await sqlite(app, 'PRAGMA journal_mode')).toEqual([{ journal_mode: 'delete' }]);
    expect(existsSync(`${app}-wal`)).toBe(false);
  });

  test('an empty file stays empty', async () => {
    const empty = join(tempDir(), 'empty.sqlite');
    writeFileSync(empty, '');
    const result = await cli(['list', '--db', empty]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('no flowtrail history');
    expect(readFileSync(empty)).toHaveLength(0);
  });
});

describe.each(databaseKinds)('read commands on a flowtrail history on %s', (kind) => {
  let db: TestDatabase;
  afterEach(() => db.drop());

  /** A history at the first migration only, as an older release left it, with one execution. */
  async function olderHistory(): Promise<string> {
    db = makeDatabase(kind);
    if (kind === 'postgres') {
      const client = new Client({ connectionString: pgUrl });
      await client.connect();
      await client.query(`CREATE SCHEMA "${(db.options as { schema: string }).schema}"`);
      await client.end();
    }
    const options =
      'database' in db.options
        ? userSqliteOptions(kind, db.options.database)
        : 'schema' in db.options
          ? ({ type: 'postgres', url: pgUrl, schema: db.options.schema } as const)
          : ({ type: mysqlType, url: db.options.url } as const);
    const dataSource = new DataSource({
      ...options,
      entities: executionHistoryEntities,
      migrations: [CreateExecutionHistory1764201600000],
      migrationsTableName: 'flowtrail_migrations',
    });
    await dataSource.initialize();
    await dataSource.runMigrations();
    // Rows as that release wrote them, in SQL: today's store writes columns that schema has not.
    const id = uuidv7();
    const table = (name: string) => (kind === 'postgres' ? `"${(db.options as { schema: string }).schema}".${name}` : name);
    const marks = (n: number) => Array.from({ length: n }, (_, i) => (kind === 'postgres' ? `$${i + 1}` : '?')).join(', ');
    await dataSource.query(
      `INSERT INTO ${table('workflow_executions')} (id, workflow_id, workflow_name, trigger_type, status, started_at) VALUES (${marks(6)})`,
      [id, 'w', 'W', 'manual', 'success', 1],
    );
    await dataSource.query(
      `INSERT INTO ${table('execution_steps')} (id, execution_id, node_id, node_type, step_index, started_at, status, output_data) VALUES (${marks(8)})`,
      [uuidv7(), id, 'n', 't', 0, 1, 'success', JSON.stringify({ ok: 1 })],
    );
    await dataSource.destroy();
    return id;
  }

  test('list, show, stats, export and a dry run read an older history as it is, say what it lacks, and change nothing', async () => {
    const id = await olderHistory();
    const file = 'database' in db.options ? db.options.database : undefined;
    const before = file === undefined ? undefined : sha256(file);
    for (const args of READS(id)) {
      const result = await cli([...args, ...where(db)], { env: driverEnv(db) });
      expect({ args, code: result.code }).toEqual({ args, code: 0 });
      expect(result.stderr).toContain('NameStepsForeignKey1795996800000');
      expect(result.stderr).toContain('flowtrail migrate');
      expect(result.stdout).not.toBe('');
    }
    expect(await migrationsApplied(db)).toBe(1);
    if (file !== undefined) expect(sha256(file)).toBe(before);

    const migrated = await cli(['migrate', ...where(db)], { env: driverEnv(db) });
    expect(migrated).toMatchObject({ code: 0, stderr: '' });
    expect(migrated.stdout).toBe(
      'Applied 4 migrations: NameStepsForeignKey1795996800000, AddExecutionTags1796860800000, AddLineageAndTraces1797465600000, DropUnqueriedIndexes1798070400000\n',
    );
    expect(await migrationsApplied(db)).toBe(5);
    expect(await cli(['migrate', '--json', ...where(db)], { env: driverEnv(db) })).toMatchObject({
      code: 0,
      stdout: '{"applied":[]}\n',
      stderr: '',
    });
    const shown = await cli(['show', id, '--json', ...where(db)], { env: driverEnv(db) });
    expect(shown.stderr).toBe('');
    expect(JSON.parse(shown.stdout)).toMatchObject({ id, steps: [{ outputData: { ok: 1 } }] });
  });

  test('tail follows an older history as it is', async () => {
    const id = await olderHistory();
    const env: NodeJS.ProcessEnv = { ...process.env, ...driverEnv(db), TZ: 'UTC', NO_COLOR: '1' };
    for (const name of ['FORCE_COLOR', 'FLOWTRAIL_DB', 'FLOWTRAIL_DEBUG']) delete env[name];
    const tail = spawn(process.execPath, [CLI_MAIN, 'tail', '--json', '--since', '1d', '--interval', '20ms', ...where(db)], {
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    tail.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    tail.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => tail.once('exit', (code) => resolve(code)));
    try {
      await until(() => stdout.includes(id) || tail.exitCode !== null, 'tail to print the execution');
      tail.kill('SIGINT');
      expect(await exited).toBe(0);
      expect(stdout).toContain(id);
      expect(stderr).not.toMatch(/tags|no such column|Unknown column|does not exist/);
    } finally {
      tail.kill('SIGKILL');
    }
  });

  test('prune migrates and removes; the dry run before it removed nothing', async () => {
    const id = await olderHistory();
    expect(JSON.parse((await cli(['prune', '--keep', '0', '--dry-run', '--json', ...where(db)], { env: driverEnv(db) })).stdout)).toEqual({
      removed: 0,
      wouldRemove: 1,
      dryRun: true,
    });
    expect(JSON.parse((await cli(['show', id, '--json', ...where(db)], { env: driverEnv(db) })).stdout)).toMatchObject({ id });
    const pruned = await cli(['prune', '--keep', '0', '--json', ...where(db)], { env: driverEnv(db) });
    expect(pruned).toMatchObject({ code: 0, stderr: '' });
    expect(JSON.parse(pruned.stdout)).toEqual({ removed: 1 });
    expect(await migrationsApplied(db)).toBe(5);
  });
});
