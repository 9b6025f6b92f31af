import { rmSync } from 'node:fs';
import {
  currentExecution,
  ExecutionLogger,
  FunctionNode,
  LoggedNode,
  LoggedWorkflow,
  QueryError,
  uuidv7,
  WorkflowRunner,
  type ExecutionStore,
  type NewExecution,
} from '../src';
import { MAX_TAGS } from '../src/store/tags';
import { databaseKinds, isSqlite, tempDir, useStorePerTest } from './support/databases';
import { until } from './support/until';

/** Texts a tag may be given, each of which must be found by itself and only by itself. */
const HOSTILE = [
  "it's",
  '"; DROP TABLE execution_tags; --',
  "' OR '1'='1",
  '%_\\',
  'ünïcødé',
  '𝄞 astral 🎉',
  '\u0000nul',
  '',
  ' trailing ',
  'TRAILING',
  'x'.repeat(256),
];

function execution(startedAt: number, tags?: Record<string, string> | null): NewExecution & { id: string } {
  return { id: uuidv7(startedAt), workflowId: 'w', workflowName: 'W', triggerType: 'manual', status: 'running', startedAt, tags };
}

async function tagRows(store: ExecutionStore): Promise<{ execution_id: string; tag_key: string; tag_value: string }[]> {
  return store.dataSource.query('SELECT execution_id, tag_key, tag_value FROM execution_tags ORDER BY execution_id, tag_key');
}

async function ids(store: ExecutionStore, tags: Record<string, string>, limit?: number): Promise<string[]> {
  const found: string[] = [];
  let cursor: string | null = null;
  do {
    const page = await store.listExecutions({ tags, limit, cursor });
    found.push(...page.items.map((item) => item.id));
    cursor = page.nextCursor;
  } while (cursor);
  return found;
}

describe.each(databaseKinds)('tags on %s', (kind) => {
  const current = useStorePerTest(kind);

  test('an execution inserted with tags is found by every one of them, newest first, page by page', async () => {
    const { store } = current;
    const rows = [
      execution(1000, { tenant: 'acme', region: 'eu' }),
      execution(2000, { tenant: 'acme', region: 'us' }),
      execution(3000, { tenant: 'globex', region: 'eu' }),
      execution(4000, { tenant: 'acme', region: 'eu' }),
      execution(5000),
    ];
    await store.writeBatch({ executions: rows });
    const [a, b, , d] = rows.map((row) => row.id);
    expect(await ids(store, { tenant: 'acme' }, 1)).toEqual([d, b, a]);
    expect(await ids(store, { tenant: 'acme', region: 'eu' })).toEqual([d, a]);
    expect(await ids(store, { tenant: 'nobody' })).toEqual([]);
    expect(await ids(store, { tenant: 'acme', nokey: 'eu' })).toEqual([]);
    // With the other filters, and shown on the row.
    expect((await store.listExecutions({ tags: { region: 'eu' }, startedBefore: 3500 })).items.map((e) => e.id)).toEqual([rows[2]!.id, a]);
    expect((await store.getExecution(a!))?.tags).toEqual({ tenant: 'acme', region: 'eu' });
    expect((await store.getExecution(rows[4]!.id))?.tags).toBeNull();
  });

  test('an update with tags replaces the set; replaying both writes changes nothing', async () => {
    const { store } = current;
    const row = execution(1000, { tenant: 'acme' });
    const update = { id: row.id, patch: { tags: { tenant: 'acme', orderId: 'o-1' } } };
    await store.writeBatch({ executions: [row] });
    await store.writeBatch({ executionUpdates: [update] });
    expect(await ids(store, { orderId: 'o-1' })).toEqual([row.id]);
    // The spool delivers at least once: the insert replayed after the update is skipped, and the index with it.
    await store.writeBatch({ executions: [row] });
    await store.writeBatch({ executions: [row], executionUpdates: [update] });
    expect(await tagRows(store)).toEqual([
      { execution_id: row.id, tag_key: 'orderId', tag_value: 'o-1' },
      { execution_id: row.id, tag_key: 'tenant', tag_value: 'acme' },
    ]);
    await store.updateExecution(row.id, { tags: { tenant: 'globex' } });
    expect(await ids(store, { orderId: 'o-1' })).toEqual([]);
    expect(await ids(store, { tenant: 'globex' })).toEqual([row.id]);
    expect(await ids(store, { tenant: 'acme' })).toEqual([]);
  });

  test('hostile keys and values are stored and found as given, each only by itself', async () => {
    const { store } = current;
    const rows = HOSTILE.map((text, i) => execution(1000 + i, { [text === '' ? 'empty' : text.slice(0, 64)]: text, v: text }));
    await store.writeBatch({ executions: rows });
    for (const [i, text] of HOSTILE.entries()) {
      expect(await ids(store, { v: text })).toEqual([rows[i]!.id]);
      expect(await ids(store, { [text === '' ? 'empty' : text.slice(0, 64)]: text })).toEqual([rows[i]!.id]);
    }
    // A lone surrogate is stored as U+FFFD, and found by either.
    const lone = execution(9000, { k: 'a\uD800b' });
    await store.writeBatch({ executions: [lone] });
    expect(await ids(store, { k: 'a\uD800b' })).toEqual([lone.id]);
    expect(await ids(store, { k: 'a\uFFFDb' })).toEqual([lone.id]);
  });

  test('what does not fit the index stays in the column, unindexed, and never fails the batch', async () => {
    const { store } = current;
    const many = Object.fromEntries(Array.from({ length: MAX_TAGS + 8 }, (_, i) => [`k${i}`, `v${i}`]));
    const odd = { long: 'x'.repeat(257), ['k'.repeat(65)]: 'v', n: 5 as unknown as string, ok: 'yes', '\u0000a': '1', '\uFFFDa': '2' };
    const rows = [execution(1000, many), execution(2000, odd)];
    await store.writeBatch({ executions: rows });
    expect((await tagRows(store)).filter((row) => row.execution_id === rows[0]!.id)).toHaveLength(MAX_TAGS);
    expect((await tagRows(store)).filter((row) => row.execution_id === rows[1]!.id).map((row) => row.tag_key)).toEqual(
      expect.arrayContaining(['ok', '\uFFFDa']),
    );
    expect(await ids(store, { ok: 'yes' })).toEqual([rows[1]!.id]);
    expect((await store.getExecution(rows[1]!.id))?.tags).toMatchObject({ long: 'x'.repeat(257), n: 5 });
  });

  test('retention removes the tags with their executions', async () => {
    const { store } = current;
    const rows = [execution(1000, { tenant: 'acme' }), execution(2000, { tenant: 'acme' })].map((row) => ({
      ...row,
      status: 'success' as const,
    }));
    await store.writeBatch({ executions: rows });
    expect(await store.cleanupExcessExecutions(1)).toBe(1);
    expect((await tagRows(store)).map((row) => row.execution_id)).toEqual([rows[1]!.id]);
    expect(await store.cleanupOldExecutions(0)).toBe(1);
    expect(await tagRows(store)).toEqual([]);
  });

  test('a tags filter that could match nothing stored is a QueryError naming the field', async () => {
    const { store } = current;
    await expect(store.listExecutions({ tags: 'tenant=acme' as never })).rejects.toThrow(QueryError);
    await expect(store.listExecutions({ tags: { tenant: 5 } as never })).rejects.toMatchObject({ field: 'tags.tenant' });
    await expect(store.listExecutions({ tags: { ['k'.repeat(65)]: 'v' } })).rejects.toMatchObject({ field: 'tags' });
    await expect(store.listExecutions({ tags: { k: 'v'.repeat(257) } })).rejects.toMatchObject({ field: 'tags.k' });
    expect((await store.listExecutions({ tags: {} })).items).toEqual([]);
  });
});

interface Order {
  tenant: string;
  id: string;
  tags?: [unknown, unknown][];
}

/** A workflow tagged by its decorator at start and by a node while it runs. */
function defineWorkflow(logger: ExecutionLogger, seen: { during?: boolean }[] = []) {
  class Charge {
    readonly id = 'charge';
    @LoggedNode()
    async execute(order: Order): Promise<string> {
      const execution = currentExecution();
      expect(execution).toEqual({ executionId: expect.any(String), stepId: expect.any(String), tag: expect.any(Function) });
      seen.push({ during: execution?.tag('orderId', order.id) });
      for (const [key, value] of order.tags ?? []) execution?.tag(key as string, value as string);
      await new Promise((resolve) => setImmediate(resolve));
      return 'ok';
    }
  }
  class Checkout {
    readonly id = 'checkout';
    @LoggedWorkflow({ logger, tags: (_self, [order]: [Order]) => ({ tenant: order.tenant, attempt: 1, apiToken: 'hunter2' }) })
    async run(order: Order): Promise<string> {
      return new Charge().execute(order);
    }
  }
  return Checkout;
}

describe.each(databaseKinds)('tagging runs on %s', (kind) => {
  const current = useStorePerTest(kind);
  let spoolDir: string;
  let loggerStore: ExecutionStore | undefined;
  const loggers: ExecutionLogger[] = [];

  beforeEach(() => {
    spoolDir = tempDir('flowtrail-tags-spool-');
  });

  afterEach(async () => {
    for (const logger of loggers.splice(0)) await logger.shutdown();
    if (loggerStore) {
      if (!loggerStore.dataSource.isInitialized) await loggerStore.dataSource.initialize();
      await loggerStore.close();
      loggerStore = undefined;
    }
    rmSync(spoolDir, { recursive: true, force: true });
  });

  function startLogger(store: ExecutionStore, config: ConstructorParameters<typeof ExecutionLogger>[1] = {}): ExecutionLogger {
    const logger = new ExecutionLogger(store, {
      configFile: false,
      spoolDir,
      flushIntervalMs: 5,
      retryDelayMs: 5,
      maxRetryDelayMs: 20,
      onError: () => undefined,
      ...config,
    });
    loggers.push(logger);
    return logger;
  }

  test.each([true, false])('decorator tags and tags from inside the run are stored and found (writer thread: %s)', async (writerThread) => {
    const logger = startLogger(current.store, { writerThread });
    await logger.ready;
    const Checkout = defineWorkflow(logger);
    expect(await new Checkout().run({ tenant: 'acme', id: 'o-1' })).toBe('ok');
    expect(await new Checkout().run({ tenant: 'globex', id: 'o-2' })).toBe('ok');
    expect(await logger.flush()).toBe(true);
    const page = await current.store.listExecutions({ tags: { tenant: 'acme' } });
    expect(page.items).toHaveLength(1);
    expect(page.items[0]!.tags).toEqual({ tenant: 'acme', attempt: '1', apiToken: '[REDACTED]', orderId: 'o-1' });
    expect((await current.store.listExecutions({ tags: { orderId: 'o-2', tenant: 'globex' } })).items).toHaveLength(1);
    expect(logger.stats().tagsDropped).toBe(0);
  });

  test('a tag set inside a run is written while it runs, not only at its end', async () => {
    const logger = startLogger(current.store);
    await logger.ready;
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    class Slow {
      readonly id = 'slow';
      @LoggedWorkflow({ logger })
      async run(): Promise<void> {
        currentExecution()?.tag('stage', 'waiting');
        await gate;
      }
    }
    const run = new Slow().run();
    await until(async () => (await current.store.listExecutions({ tags: { stage: 'waiting' } })).items.length === 1, 'the tag stored');
    expect((await current.store.listExecutions({ tags: { stage: 'waiting' } })).items[0]!.status).toBe('running');
    release();
    await run;
  });

  test('hostile and over-limit tags never reach the workflow: kept as far as they fit, the rest dropped and counted', async () => {
    const logger = startLogger(current.store);
    await logger.ready;
    const seen: { during?: boolean }[] = [];
    const Checkout = defineWorkflow(logger, seen);
    const hostile: [unknown, unknown][] = [
      ['quote', 'it\'s "quoted"; DROP TABLE execution_tags; --'],
      ['nul', 'a\u0000b'],
      ['astral', '𝄞🎉'],
      ['lone', 'x\uDC00y'],
      ['long', 'v'.repeat(257)],
      ['k'.repeat(65), 'v'],
      ['', 'empty key'],
      [Symbol('s'), 'symbol key'],
      ['object', { a: 1 }],
      ['nothing', undefined],
      ['big', 10n ** 30n],
      ...Array.from({ length: 40 }, (_, i): [string, string] => [`t${i}`, String(i)]),
    ];
    expect(await new Checkout().run({ tenant: 'acme', id: 'o-1', tags: hostile })).toBe('ok');
    expect(seen).toEqual([{ during: true }]);
    expect(await logger.flush()).toBe(true);
    const [stored] = (await current.store.listExecutions({ tags: { tenant: 'acme' } })).items;
    // 4 from the start and orderId, then quote, nul, astral, lone, big: 9; then t0…t22 up to 32.
    expect(Object.keys(stored!.tags!)).toHaveLength(MAX_TAGS);
    expect(stored!.tags).toMatchObject({
      quote: 'it\'s "quoted"; DROP TABLE execution_tags; --',
      nul: 'a\uFFFDb',
      astral: '𝄞🎉',
      lone: 'x\uFFFDy',
      big: String(10n ** 30n),
      t22: '22',
    });
    expect(stored!.tags).not.toHaveProperty('t23');
    // long, k×65, '', symbol, object, undefined, and t23…t39.
    expect(logger.stats().tagsDropped).toBe(6 + 17);
    for (const [key, value] of Object.entries(stored!.tags!)) {
      expect((await current.store.listExecutions({ tags: { [key]: value } })).items.map((e) => e.id)).toEqual([stored!.id]);
    }
  });

  test('without decorators: startExecution({ tags }) and logger.tag(id, …); an id not running here is refused, not thrown', async () => {
    const logger = startLogger(current.store);
    await logger.ready;
    const id = await logger.startExecution({ workflowId: 'w', workflowName: 'W', tags: { tenant: 'acme' } });
    expect(logger.tag(id, 'orderId', 'o-7')).toBe(true);
    expect(logger.tag('not-an-execution', 'k', 'v')).toBe(false);
    expect(logger.tag(id, 'bad', { no: 'object' } as never)).toBe(false);
    await logger.completeExecution(id, true);
    expect(await logger.flush()).toBe(true);
    expect((await current.store.getExecution(id))?.tags).toEqual({ tenant: 'acme', orderId: 'o-7' });
    expect(logger.stats().tagsDropped).toBe(1);
    expect(currentExecution()).toBeUndefined();
  });

  test('the built-in runner takes tags per run', async () => {
    const logger = startLogger(current.store);
    await logger.ready;
    const runner = new WorkflowRunner({ logger });
    const node = new FunctionNode('a', 'A', () => {
      currentExecution()?.tag('node', 'a');
      return { done: true };
    });
    await runner.run({ id: 'wf', name: 'WF', nodes: [node], connections: [] }, { type: 'manual' }, { tags: { tenant: 'acme' } });
    expect(await logger.flush()).toBe(true);
    expect((await current.store.listExecutions({ tags: { tenant: 'acme', node: 'a' } })).items).toHaveLength(1);
  });

  test('tags written during an outage go to the spool and are replayed into the column and the index', async () => {
    // The logger's own connection, so that it can go down and come back; no writer thread (its own connection would not see it).
    loggerStore = await current.db.open(isSqlite(kind) ? { busyTimeoutMs: 60_000 } : {});
    const logger = startLogger(loggerStore, { writerThread: false, maxQueueSize: 4, maxBatchSize: 2 });
    await logger.ready;
    const Checkout = defineWorkflow(logger);
    await loggerStore.dataSource.destroy();
    const probe = await logger.startExecution({ workflowId: 'probe', workflowName: 'probe' });
    await logger.completeExecution(probe, true);
    expect(await logger.flush()).toBe(false);
    for (let i = 0; i < 10; i++) expect(await new Checkout().run({ tenant: `t${i % 2}`, id: `o-${i}` })).toBe('ok');
    expect(logger.stats().spooled).toBeGreaterThan(0);

    await loggerStore.dataSource.initialize();
    expect(await logger.flush()).toBe(true);
    expect(logger.stats()).toMatchObject({ spoolBacklog: 0, dropped: 0, rejected: 0 });
    const ids = async (tags: Record<string, string>) => (await current.store.listExecutions({ tags })).items.length;
    expect(await ids({ tenant: 't0' })).toBe(5);
    expect(await ids({ tenant: 't1', orderId: 'o-9' })).toBe(1);
    const [row] = await current.store.dataSource.query('SELECT COUNT(*) AS n FROM execution_tags');
    expect(Number(row.n)).toBe(10 * 4);
  });
});
