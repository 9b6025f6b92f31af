import { DataSource } from 'typeorm';
import { ConfigError, ExecutionStore, executionHistoryEntities, executionHistoryMigrations, StoreOpenError, uuidv7 } from '../src';
import { encodeCursor } from '../src/store/cursor';
import { makeDatabase, mysqlAvailable, mysqlType, type TestDatabase } from './support/databases';

/**
 * What only MySQL/MariaDB needs: the session settings flowtrail's statements rely on, the URL
 * forms it refuses, its JSON_TABLE batches, its migration's commits, its index plans. The
 * behaviour every database shares runs on MySQL in the store-level suites.
 */
(mysqlAvailable ? describe : describe.skip)('MySQL/MariaDB', () => {
  let db: TestDatabase;
  beforeEach(() => {
    db = makeDatabase('mysql');
  });
  afterEach(() => db.drop());
  const url = () => (db.options as { url: string }).url;

  async function ownDataSource(options: object = {}): Promise<DataSource> {
    const dataSource = new DataSource({
      type: mysqlType,
      url: url(),
      charset: 'utf8mb4_general_ci',
      poolSize: 1,
      entities: executionHistoryEntities,
      migrations: executionHistoryMigrations,
      ...options,
    });
    await dataSource.initialize();
    return dataSource;
  }

  test("a DataSource whose sessions are not strict is refused: a bad value would be stored altered, a step's id rewritten", async () => {
    const dataSource = await ownDataSource();
    try {
      await dataSource.query("SET SESSION sql_mode = ''");
      const error = await ExecutionStore.open({ dataSource }).catch((thrown: unknown) => thrown);
      expect(error).toBeInstanceOf(StoreOpenError);
      expect((error as Error).message).toMatch(/sql_mode \(empty\) is not strict: add STRICT_TRANS_TABLES/);
    } finally {
      await dataSource.destroy();
    }
  });

  test('a DataSource on a 3-byte character set is refused, naming the option that fixes it', async () => {
    const dataSource = await ownDataSource({ charset: 'latin1_swedish_ci' });
    try {
      await expect(ExecutionStore.open({ dataSource })).rejects.toThrow(
        /connection character set is latin1: give the DataSource charset: 'utf8mb4'/,
      );
    } finally {
      await dataSource.destroy();
    }
  });

  test("a URL's query string is refused, not silently dropped as TypeORM would (ssl=… among them)", async () => {
    const error = await ExecutionStore.open({ url: `${url()}?ssl={"rejectUnauthorized":true}` }).catch((thrown: unknown) => thrown);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).field).toBe('url');
  });

  test('an update of an id longer than any stored one changes nothing, though JSON_TABLE cuts it', async () => {
    const store = await db.open();
    try {
      expect(store.jsonBatches).toBe(true);
      const id = uuidv7();
      await store.createExecution({ id, workflowId: 'w', workflowName: 'W', triggerType: 'manual', status: 'running', startedAt: 1 });
      await store.writeBatch({ executionUpdates: [{ id: `${id}abcd`, patch: { status: 'error' } }] });
      expect((await store.getExecution(id))?.status).toBe('running');
    } finally {
      await store.close();
    }
  });

  test('a value longer than its TEXT column is refused as data through the JSON batch path, never stored cut', async () => {
    const store = await db.open();
    try {
      expect(store.jsonBatches).toBe(true);
      const executionId = await store.createExecution({
        workflowId: 'w',
        workflowName: 'W',
        triggerType: 'manual',
        status: 'running',
        startedAt: 1,
      });
      const stepId = uuidv7();
      const big = 'x'.repeat(70_000);
      const step = {
        id: stepId,
        executionId,
        nodeId: 'n',
        nodeType: 't',
        stepIndex: 0,
        startedAt: 1,
        status: 'success' as const,
        outputData: big,
      };
      await expect(store.writeBatch({ steps: [step] })).rejects.toThrow(/Data too long/);
      expect(await store.getSteps(executionId)).toEqual([]);
      await store.addStep({ ...step, outputData: null });
      await expect(store.writeBatch({ stepUpdates: [{ id: stepId, patch: { outputData: big } }] })).rejects.toThrow(/Data too long/);
      expect((await store.getSteps(executionId))[0]?.outputData).toBeNull();
    } finally {
      await store.close();
    }
  });

  test('a migration that stopped half-way (each CREATE TABLE commits at once) is completed by the next open', async () => {
    const first = await db.open();
    await first.dataSource.query('DROP TABLE execution_steps');
    await first.dataSource.query('DELETE FROM flowtrail_migrations');
    await first.close();
    const store = await db.open();
    try {
      expect(await store.pendingMigrations()).toEqual([]);
      const executionId = await store.createExecution({
        workflowId: 'w',
        workflowName: 'W',
        triggerType: 'manual',
        status: 'running',
        startedAt: 1,
      });
      await store.addStep({ executionId, nodeId: 'n', nodeType: 't', stepIndex: 0, startedAt: 1, status: 'running' });
      expect(await store.getSteps(executionId)).toHaveLength(1);
    } finally {
      await store.close();
    }
  });

  // MariaDB turns a row comparison `(a, b) < (x, y)` into a scan of the whole index, so the cursor
  // is a range on started_at. Counted in index reads, on the store's one connection.
  test('listExecutions with a cursor near the end reads about one page of index entries, not the history', async () => {
    const store = await db.open({ poolSize: 1 });
    try {
      const executions = Array.from({ length: 2000 }, (_, i) => ({
        id: uuidv7(1_000_000 + i),
        workflowId: 'w',
        workflowName: 'W',
        triggerType: 'manual',
        status: 'success' as const,
        startedAt: 1_000_000 + i,
      }));
      await store.writeBatch({ executions });
      // A cursor 60 rows from the oldest: the page below it holds 50 of the 60 left.
      const cursor = encodeCursor({ startedAt: executions[60]!.startedAt, id: executions[60]!.id });
      const reads = async () => {
        const rows = (await store.dataSource.query("SHOW SESSION STATUS LIKE 'Handler_read%'")) as { Value: string }[];
        return rows.reduce((sum, row) => sum + Number(row.Value), 0);
      };
      for (const filter of [{}, { workflowId: 'w' }]) {
        const before = await reads();
        const page = await store.listExecutions({ ...filter, cursor });
        const read = (await reads()) - before;
        expect(page.items).toHaveLength(50);
        expect(read).toBeLessThan(300);
      }
    } finally {
      await store.close();
    }
  });
});
