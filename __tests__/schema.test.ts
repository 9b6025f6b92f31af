import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { Client } from 'pg';
import { DataSource, type DataSourceOptions } from 'typeorm';
import { ExecutionStore, executionHistoryEntities, executionHistoryMigrations, uuidv7 } from '../src';
import { CreateExecutionHistory1764201600000 } from '../src/migrations/1764201600000-CreateExecutionHistory';
import { NameStepsForeignKey1795996800000 } from '../src/migrations/1795996800000-NameStepsForeignKey';
import { AddExecutionTags1796860800000 } from '../src/migrations/1796860800000-AddExecutionTags';
import { DropUnqueriedIndexes1798070400000 } from '../src/migrations/1798070400000-DropUnqueriedIndexes';
import {
  definitionsTable,
  executionsTable,
  instancesTable,
  stepsTable,
  tagsTable,
  type ColumnDef,
  type ColumnKind,
  type TableDef,
} from '../src/store/schema';
import {
  databaseKinds,
  isSqlite,
  dropMysqlDatabase,
  mysqlAdmin,
  mysqlType,
  mysqlUrlOf,
  pgUrl,
  tempDir,
  userSqliteOptions,
  type DatabaseKind,
} from './support/databases';

/**
 * The schema is written four ways — `src/store/schema.ts`, the entities, the migrations and what
 * `synchronize` builds from the entities — and these tests hold them to each other as TypeORM
 * itself sees them, in a plain DataSource of a user's own (not the store's).
 */

/** The TypeORM column type each kind of the schema definition must be declared with. */
const ENTITY_TYPES: Record<ColumnKind, { type: string; length?: string }> = {
  id: { type: 'varchar', length: '36' },
  text: { type: 'text' },
  status: { type: 'varchar', length: '16' },
  integer: { type: 'integer' },
  epochMs: { type: 'bigint' },
  json: { type: 'simple-json' },
  tagKey: { type: 'varchar', length: '64' },
  tagValue: { type: 'varchar', length: '256' },
  traceId: { type: 'varchar', length: '32' },
  spanId: { type: 'varchar', length: '16' },
  hash: { type: 'varchar', length: '64' },
};

/** The indexes crash recovery and the history queries rely on, with the partial ones' condition. */
const RECOVERY_INDEXES = ['idx_executions_running', 'idx_steps_running'];

interface UserDatabase {
  options: DataSourceOptions;
  drop(): Promise<void>;
}

/** A database as a user's project would give one: its own DataSource options, a PostgreSQL schema that is not on the search path. */
function userDatabase(kind: DatabaseKind): UserDatabase {
  if (kind === 'mysql') {
    const name = `ft_user_${randomBytes(6).toString('hex')}`;
    // As a user's DBA would make it; synchronize takes the database's default character set.
    mysqlAdmin(`CREATE DATABASE ${name} CHARACTER SET utf8mb4`);
    return { options: { type: mysqlType, url: mysqlUrlOf(name) }, drop: async () => dropMysqlDatabase(name) };
  }
  if (isSqlite(kind)) {
    const dir = tempDir();
    return {
      options: userSqliteOptions(kind, join(dir, 'app.sqlite')),
      drop: async () => rmSync(dir, { recursive: true, force: true }),
    };
  }
  const schema = `ft_user_${randomBytes(6).toString('hex')}`;
  return {
    options: { type: 'postgres', url: pgUrl, schema },
    drop: async () => {
      const client = new Client({ connectionString: pgUrl });
      await client.connect();
      try {
        await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      } finally {
        await client.end();
      }
    },
  };
}

async function createSchema(options: DataSourceOptions): Promise<void> {
  if (options.type !== 'postgres') return;
  const client = new Client({ connectionString: pgUrl });
  await client.connect();
  try {
    await client.query(`CREATE SCHEMA "${options.schema}"`);
  } finally {
    await client.end();
  }
}

/** What TypeORM would change to make the database match the entities: nothing, when they agree. */
async function pendingSchemaChanges(dataSource: DataSource): Promise<string[]> {
  const log = await dataSource.driver.createSchemaBuilder().log();
  return log.upQueries.map((query) => query.query);
}

/**
 * Index name → whether it is partial on `status = 'running'`, as the database itself reports.
 * MySQL and MariaDB have no partial indexes: theirs hold every row.
 */
async function indexes(dataSource: DataSource): Promise<Map<string, { partial: boolean }>> {
  const found = new Map<string, { partial: boolean }>();
  if (dataSource.options.type === 'mysql' || dataSource.options.type === 'mariadb') {
    const rows: { name: string }[] = await dataSource.query(
      'SELECT DISTINCT index_name AS name FROM information_schema.statistics WHERE table_schema = DATABASE()',
    );
    for (const row of rows) found.set(row.name, { partial: false });
  } else if (dataSource.options.type === 'postgres') {
    const rows: { indexname: string; indexdef: string }[] = await dataSource.query(
      'SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = $1',
      [dataSource.options.schema],
    );
    for (const row of rows) found.set(row.indexname, { partial: / WHERE /.test(row.indexdef) });
  } else {
    const rows: { name: string; sql: string | null }[] = await dataSource.query("SELECT name, sql FROM sqlite_master WHERE type = 'index'");
    for (const row of rows) found.set(row.name, { partial: / WHERE /i.test(row.sql ?? '') });
  }
  return found;
}

/** A table's name in raw SQL on the user's database (PostgreSQL: in the DataSource's schema). */
function qualified(kind: DatabaseKind, options: DataSourceOptions, table: string): string {
  return kind === 'postgres' ? `"${(options as { schema: string }).schema}".${table}` : table;
}

/** A row written in SQL, as an earlier release's store left it. */
async function insertRow(
  dataSource: DataSource,
  kind: DatabaseKind,
  options: DataSourceOptions,
  table: string,
  row: Record<string, unknown>,
) {
  const columns = Object.keys(row);
  const placeholders = columns.map((_, i) => (kind === 'postgres' ? `$${i + 1}` : '?'));
  await dataSource.query(
    `INSERT INTO ${qualified(kind, options, table)} (${columns.join(', ')}) VALUES (${placeholders.join(', ')})`,
    Object.values(row),
  );
}

describe('the schema definition and the entities', () => {
  const dataSource = new DataSource({ ...userSqliteOptions('sqlite', ':memory:'), entities: executionHistoryEntities });
  beforeAll(() => dataSource.initialize());
  afterAll(() => dataSource.destroy());

  test.each([
    ['WorkflowExecution', executionsTable],
    ['ExecutionStep', stepsTable],
    ['LoggerInstance', instancesTable],
    ['ExecutionTag', tagsTable],
    ['WorkflowDefinition', definitionsTable],
  ] as const)('%s declares exactly the columns of the schema, in its order, with their kinds', (entity, table) => {
    const metadata = dataSource.getMetadata(entity);
    expect(metadata.tableName).toBe(table.name);
    const declared = metadata.columns.map((column) => ({
      property: column.propertyName,
      column: column.databaseName,
      nullable: column.isNullable,
      type: String(column.type),
      length: column.length || undefined,
    }));
    const defined = Object.entries((table as TableDef<Record<string, ColumnDef>>).columns).map(([property, def]) => ({
      property,
      column: def.column,
      nullable: def.isNullable,
      ...ENTITY_TYPES[def.kind],
    }));
    expect(declared).toEqual(defined);
  });
});

describe.each(databaseKinds)('entities and migrations agree on %s, as TypeORM sees them', (kind) => {
  let db: UserDatabase;
  let dataSource: DataSource | undefined;

  beforeEach(async () => {
    db = userDatabase(kind);
    await createSchema(db.options);
  });

  afterEach(async () => {
    if (dataSource?.isInitialized) await dataSource.destroy();
    dataSource = undefined;
    await db.drop();
  });

  test('after the migrations run, TypeORM finds nothing to change', async () => {
    dataSource = new DataSource({ ...db.options, entities: executionHistoryEntities, migrations: executionHistoryMigrations });
    await dataSource.initialize();
    await dataSource.runMigrations();
    expect(await pendingSchemaChanges(dataSource)).toEqual([]);
    const found = await indexes(dataSource);
    for (const name of RECOVERY_INDEXES) expect(found.get(name)).toEqual({ partial: kind !== 'mysql' });
  });

  const synchronizes = kind !== 'mysql';

  if (!synchronizes)
    test('on MySQL/MariaDB, synchronize cannot index the text columns: the migrations are the way', async () => {
      // TypeORM has no prefix length for an index, and these servers index no whole TEXT column (README: MySQL).
      dataSource = new DataSource({ ...db.options, entities: executionHistoryEntities, synchronize: true });
      await expect(dataSource.initialize()).rejects.toThrow(
        /BLOB\/TEXT column 'workflow_id' used in key specification without a key length|Specified key was too long/,
      );
    });

  if (synchronizes)
    test('synchronize alone builds a schema that passes the same checks, and the store works on it', async () => {
      dataSource = new DataSource({ ...db.options, entities: executionHistoryEntities, synchronize: true });
      await dataSource.initialize();
      expect(await pendingSchemaChanges(dataSource)).toEqual([]);
      const found = await indexes(dataSource);
      for (const name of RECOVERY_INDEXES) expect(found.get(name)).toEqual({ partial: true });

      const store = await ExecutionStore.open({ dataSource, runMigrations: false });
      const executionId = await store.createExecution({
        workflowId: 'w',
        workflowName: 'W',
        triggerType: 'manual',
        status: 'running',
        startedAt: 1,
        tags: { tenant: 'acme' },
      });
      expect((await store.listExecutions({ tags: { tenant: 'acme' } })).items.map((e) => e.id)).toEqual([executionId]);
      await store.addStep({ executionId, nodeId: 'n', nodeType: 't', stepIndex: 0, startedAt: 1, status: 'running' });
      expect(await store.recoverInterrupted({ leaseMs: 1 })).toEqual({ executions: 1, steps: 1 });
      expect(await store.getExecution(executionId, { steps: true })).toMatchObject({
        status: 'interrupted',
        steps: [{ status: 'interrupted' }],
      });
      expect(await store.countOldExecutions(0)).toBe(1);
      expect(await store.cleanupOldExecutions(0)).toBe(1);
      expect(await store.getSteps(executionId)).toEqual([]);
      await store.close();
    });

  test('the newest-first history query walks its index, also where synchronize made it ascending', async () => {
    dataSource = new DataSource({
      ...db.options,
      entities: executionHistoryEntities,
      ...(synchronizes ? { synchronize: true } : { migrations: executionHistoryMigrations, migrationsRun: true }),
    });
    await dataSource.initialize();
    const table = kind === 'postgres' ? `"${(db.options as { schema: string }).schema}".workflow_executions` : 'workflow_executions';
    const query = `SELECT id FROM ${table} WHERE workflow_id = 'w' ORDER BY started_at DESC, id DESC LIMIT 51`;
    if (kind === 'mysql') {
      const [plan] = (await dataSource.query(`EXPLAIN ${query}`)) as { key: string | null; Extra: string }[];
      expect(plan).toMatchObject({ key: 'idx_executions_workflow_started' });
      expect(plan?.Extra).not.toMatch(/filesort/i);
    } else if (kind === 'postgres') {
      // An empty table is cheapest to scan whole: ask for the plan an index allows.
      await dataSource.transaction(async (manager) => {
        await manager.query('SET LOCAL enable_seqscan = off');
        const plan = JSON.stringify(await manager.query(`EXPLAIN ${query}`));
        expect(plan).toMatch(/Index (Only )?Scan Backward using idx_executions_workflow_started/);
      });
    } else {
      const plan = JSON.stringify(await dataSource.query(`EXPLAIN QUERY PLAN ${query}`));
      expect(plan).toMatch(/USING (COVERING )?INDEX idx_executions_workflow_started/);
      expect(plan).not.toContain('TEMP B-TREE');
    }
  });

  test('a database written before the foreign key was named is upgraded with its data, and then agrees too', async () => {
    // The first release's schema and rows, as its migration left them.
    const old = new DataSource({ ...db.options, entities: executionHistoryEntities, migrations: [CreateExecutionHistory1764201600000] });
    await old.initialize();
    await old.runMigrations();
    // Written as its store wrote them, in SQL: today's store writes columns that schema has not.
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) {
      const id = uuidv7();
      ids.push(id);
      await insertRow(old, kind, db.options, 'workflow_executions', {
        id,
        workflow_id: 'w',
        workflow_name: 'W',
        trigger_type: 'manual',
        status: 'success',
        started_at: 1000 + i,
        metadata: JSON.stringify({ i }),
      });
      for (let s = 0; s < 2; s++) {
        await insertRow(old, kind, db.options, 'execution_steps', {
          id: uuidv7(),
          execution_id: id,
          node_id: `n${s}`,
          node_type: 't',
          step_index: s,
          started_at: 1000 + i,
          status: 'success',
          output_data: JSON.stringify({ s }),
        });
      }
    }
    await old.destroy();

    dataSource = new DataSource({ ...db.options, entities: executionHistoryEntities, migrations: executionHistoryMigrations });
    const store = await ExecutionStore.open({ dataSource });
    expect(await pendingSchemaChanges(dataSource)).toEqual([]);
    for (const [i, id] of ids.entries()) {
      expect(await store.getExecution(id, { steps: true })).toMatchObject({
        metadata: { i },
        steps: [
          { nodeId: 'n0', outputData: { s: 0 } },
          { nodeId: 'n1', outputData: { s: 1 } },
        ],
      });
    }
    // The rebuilt key still cascades, and still refuses an orphan step.
    expect(await store.cleanupExcessExecutions(1)).toBe(2);
    expect((await store.getStepsOf(ids)).size).toBe(1);
    await expect(
      store.addStep({ executionId: uuidv7(), nodeId: 'x', nodeType: 't', stepIndex: 0, startedAt: 1, status: 'success' }),
    ).rejects.toThrow();
    const found = await indexes(dataSource);
    for (const name of [...RECOVERY_INDEXES, 'idx_steps_execution_index', 'idx_executions_workflow_started'])
      expect(found.has(name)).toBe(true);
    // The indexes no query reads are gone from an upgraded history too; the node index only on SQLite, where the node search does not read it.
    expect(found.has('idx_executions_workflow')).toBe(false);
    expect(found.has('idx_steps_node')).toBe(!isSqlite(kind));
    await store.close();
  });

  test('a database written by the release before tags is upgraded with its data; its runs then take tags and are found by them', async () => {
    // The previous release's schema (its two migrations) and rows, written by its store's writes.
    const old = new DataSource({
      ...db.options,
      entities: executionHistoryEntities,
      migrations: [CreateExecutionHistory1764201600000, NameStepsForeignKey1795996800000],
    });
    await old.initialize();
    await old.runMigrations();
    const table = qualified(kind, db.options, 'workflow_executions');
    const ids = [uuidv7(1000), uuidv7(2000)];
    for (const [i, id] of ids.entries()) {
      await insertRow(old, kind, db.options, 'workflow_executions', {
        id,
        workflow_id: 'w',
        workflow_name: 'W',
        trigger_type: 'manual',
        status: 'success',
        started_at: 1000 * (i + 1),
        metadata: JSON.stringify({ i }),
      });
    }
    await old.destroy();

    dataSource = new DataSource({ ...db.options, entities: executionHistoryEntities, migrations: executionHistoryMigrations });
    const store = await ExecutionStore.open({ dataSource });
    expect(await pendingSchemaChanges(dataSource)).toEqual([]);
    expect((await store.listExecutions()).items.map((e) => [e.id, e.metadata, e.tags])).toEqual([
      [ids[1], { i: 1 }, null],
      [ids[0], { i: 0 }, null],
    ]);
    await store.updateExecution(ids[0]!, { tags: { tenant: 'acme' } });
    expect((await store.listExecutions({ tags: { tenant: 'acme' } })).items.map((e) => e.id)).toEqual([ids[0]]);
    expect((await indexes(dataSource)).has('idx_tags_lookup')).toBe(true);
    // The new table's key cascades too.
    await dataSource.query(`DELETE FROM ${table} WHERE id = ${kind === 'postgres' ? '$1' : '?'}`, [ids[0]]);
    expect((await store.listExecutions({ tags: { tenant: 'acme' } })).items).toEqual([]);
    const tagTable = qualified(kind, db.options, 'execution_tags');
    expect(await dataSource.query(`SELECT execution_id FROM ${tagTable}`)).toEqual([]);
    await store.close();
  });

  test('a database written by the release before traces, forks and definitions is upgraded with its data; new rows carry them', async () => {
    const old = new DataSource({
      ...db.options,
      entities: executionHistoryEntities,
      migrations: [CreateExecutionHistory1764201600000, NameStepsForeignKey1795996800000, AddExecutionTags1796860800000],
    });
    await old.initialize();
    await old.runMigrations();
    const oldId = uuidv7(1000);
    await insertRow(old, kind, db.options, 'workflow_executions', {
      id: oldId,
      workflow_id: 'w',
      workflow_name: 'W',
      trigger_type: 'manual',
      status: 'success',
      started_at: 1000,
      tags: JSON.stringify({ tenant: 'acme' }),
    });
    const oldStep = uuidv7(1000);
    await insertRow(old, kind, db.options, 'execution_steps', {
      id: oldStep,
      execution_id: oldId,
      node_id: 'n',
      node_type: 't',
      step_index: 0,
      started_at: 1000,
      status: 'success',
      output_data: JSON.stringify({ total: 5 }),
    });
    await old.destroy();

    dataSource = new DataSource({ ...db.options, entities: executionHistoryEntities, migrations: executionHistoryMigrations });
    const store = await ExecutionStore.open({ dataSource });
    expect(await pendingSchemaChanges(dataSource)).toEqual([]);
    expect(await store.getExecution(oldId, { steps: true })).toMatchObject({
      tags: { tenant: 'acme' },
      traceId: null,
      forkedFromExecutionId: null,
      definitionHash: null,
      steps: [{ outputData: { total: 5 }, traceId: null, spanId: null, reusedFromStepId: null }],
    });

    // A fork of the old run, with the shape it ran and a reused step, in one batch (twice: replays change nothing).
    const hash = 'a'.repeat(64);
    const forkId = uuidv7(2000);
    const batch = {
      definitions: [{ hash, workflowId: 'w', definition: { nodes: [{ id: 'n' }], edges: [] }, createdAt: 2000 }],
      executions: [
        {
          id: forkId,
          workflowId: 'w',
          workflowName: 'W',
          triggerType: 'manual',
          status: 'success' as const,
          startedAt: 2000,
          traceId: '0af7651916cd43dd8448eb211c80319c',
          spanId: 'b7ad6b7169203331',
          forkedFromExecutionId: oldId,
          forkedFromStepId: oldStep,
          definitionHash: hash,
        },
      ],
      steps: [
        {
          id: uuidv7(2000),
          executionId: forkId,
          nodeId: 'n',
          nodeType: 't',
          stepIndex: 0,
          startedAt: 2000,
          status: 'reused' as const,
          outputData: { total: 5 },
          reusedFromStepId: oldStep,
        },
      ],
    };
    for (const jsonBatches of [true, false]) {
      store.jsonBatches = jsonBatches;
      await store.writeBatch(batch);
      await store.writeBatch({ ...batch, definitions: [{ ...batch.definitions[0]!, workflowId: 'changed', createdAt: 3000 }] });
    }
    expect(await store.getExecution(forkId, { steps: true })).toMatchObject({
      traceId: '0af7651916cd43dd8448eb211c80319c',
      spanId: 'b7ad6b7169203331',
      forkedFromExecutionId: oldId,
      forkedFromStepId: oldStep,
      replayOfStepId: null,
      definitionHash: hash,
      steps: [{ status: 'reused', reusedFromStepId: oldStep, outputData: { total: 5 } }],
    });
    const definitions = await dataSource.query(
      `SELECT hash, workflow_id, definition, created_at FROM ${qualified(kind, db.options, 'workflow_definitions')}`,
    );
    expect(
      definitions.map((row: Record<string, unknown>) => [
        row.hash,
        row.workflow_id,
        JSON.parse(String(row.definition)),
        Number(row.created_at),
      ]),
    ).toEqual([[hash, 'w', { nodes: [{ id: 'n' }], edges: [] }, 2000]]);
    const found = await indexes(dataSource);
    for (const name of ['idx_executions_trace', 'idx_executions_forked_from'])
      expect(found.get(name)).toEqual({ partial: kind !== 'mysql' });
    await store.close();

    // Undone (the PostgreSQL schema is not on the search path), the indexes no query reads are back;
    // undone again, the history is the release before's; done again, it agrees.
    await dataSource.undoLastMigration();
    const restored = await indexes(dataSource);
    for (const name of ['idx_steps_node', 'idx_executions_workflow']) expect(restored.get(name)).toEqual({ partial: false });
    // Undone twice on MySQL (a run cut short), nothing is made twice.
    if (kind === 'mysql') {
      const runner = dataSource.createQueryRunner();
      try {
        await new DropUnqueriedIndexes1798070400000().down(runner);
      } finally {
        await runner.release();
      }
    }
    await dataSource.undoLastMigration();
    expect((await pendingSchemaChanges(dataSource)).join('\n')).toMatch(/trace_id/);
    const left = await indexes(dataSource);
    expect(['idx_executions_trace', 'idx_executions_forked_from'].filter((name) => left.has(name))).toEqual([]);
    expect(await dataSource.runMigrations()).toHaveLength(2);
    expect(await pendingSchemaChanges(dataSource)).toEqual([]);
  });
});
