import { QueryError, uuidv7, type ExecutionStore, type NewExecution } from '../src';
import { MAX_TAGS } from '../src/store/tags';
import { databaseKinds, useStorePerTest } from './support/databases';

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
