import { NotFoundError, QueryError, type ExecutionComparison, type StepComparison } from '../src';
import { HOSTILE, HUGE, seedCompareFixture, truncatedMarker, type CompareFixture } from './support/compareFixture';
import { databaseKinds, useStorePerTest } from './support/databases';

/** A step pair as `node#occurrence presence statusA→statusB`. */
const outline = (steps: readonly StepComparison[]) =>
  steps.map((s) => `${s.nodeId}#${s.occurrence} ${s.presence} ${s.a?.status ?? '∅'}→${s.b?.status ?? '∅'}`);

const stepOf = (comparison: ExecutionComparison, nodeId: string, occurrence = 0) =>
  comparison.steps.find((s) => s.nodeId === nodeId && s.occurrence === occurrence) as StepComparison;

describe.each(databaseKinds)('store.compareExecutions on %s', (kind) => {
  const current = useStorePerTest(kind);
  let f: CompareFixture;

  beforeEach(async () => {
    f = await seedCompareFixture(current.store);
  });

  test('pairs steps by node and occurrence, in order of first appearance, with status and duration on each side', async () => {
    const result = await current.store.compareExecutions(f.a.id, f.b.id);
    expect(result.a).toMatchObject({ id: f.a.id, workflowId: 'orders', status: 'success', durationMs: 1000, stepCount: 5 });
    expect(result.b).toMatchObject({ id: f.b.id, status: 'error', durationMs: 1250, errorMessage: 'charge failed', stepCount: 4 });
    expect(result).toMatchObject({ sameWorkflow: true, statusChanged: true, durationChangeMs: 250 });
    expect(outline(result.steps)).toEqual([
      'fetch#0 both success→success',
      'item#0 both success→success',
      'item#1 onlyA success→∅',
      // Only in b: just before the next step both runs have, after a's own steps there.
      'audit#0 onlyB ∅→success',
      'charge#0 both success→error',
      'notify#0 onlyA success→∅',
    ]);
    expect(result.counts).toEqual({ matched: 3, changed: 2, onlyInA: 2, onlyInB: 1 });
    const item = stepOf(result, 'item');
    expect(item).toMatchObject({ changed: false, statusChanged: false, durationChangeMs: 2, input: { changes: [], omitted: 0 } });
    expect(item.a).toMatchObject({ stepIndex: 1, nodeType: 'code', durationMs: 10 });
    expect(item.b).toMatchObject({ stepIndex: 1, durationMs: 12 });
    const charge = stepOf(result, 'charge');
    expect(charge).toMatchObject({ changed: true, statusChanged: true, durationChangeMs: 400 });
    expect(charge.b).toMatchObject({ stepIndex: 3, errorMessage: 'card declined' });
    expect(stepOf(result, 'item', 1)).toMatchObject({ b: null, input: null, output: null, durationChangeMs: null, changed: true });
  });

  test('input and output paths added, removed and changed, hostile values read back exactly, huge ones capped', async () => {
    const fetch = stepOf(await current.store.compareExecutions(f.a.id, f.b.id), 'fetch');
    expect(fetch.input).toEqual({
      changes: [
        {
          path: '$.auth.password',
          kind: 'changed',
          a: { json: '"[REDACTED]"', omittedBytes: 0 },
          b: { json: '"hunter2"', omittedBytes: 0 },
          marker: 'redacted',
        },
      ],
      omitted: 0,
    });
    const output = fetch.output?.changes ?? [];
    expect(output.map((c) => `${c.kind} ${c.path}`)).toEqual([
      'changed $.note',
      'removed $.items[1]',
      'changed $.items[0].price',
      'changed $.blob',
    ]);
    expect(output[0]).toMatchObject({ a: { json: JSON.stringify(HOSTILE) }, b: { json: JSON.stringify(`${HOSTILE}!`) } });
    expect(output[1]?.a).toEqual({ json: '{"sku":"B","price":3}', omittedBytes: 0 });
    expect(output[2]).toMatchObject({ a: { json: '12.5' }, b: { json: '13' } });
    const blob = output[3];
    expect(blob?.a?.json).toBe(`"${'é'.repeat(99)}`);
    expect(blob?.a?.omittedBytes).toBe(Buffer.byteLength(JSON.stringify(HUGE)) - 199);
    expect(blob?.b?.omittedBytes).toBe(Buffer.byteLength(JSON.stringify(`${HUGE}?`)) - 199);
    const audit = stepOf(await current.store.compareExecutions(f.b.id, f.other.id), 'audit');
    expect(audit.a?.nodeType).toBe('log');
  });

  test('a truncated payload is reported as changed with its markers, never as a diff of content it does not have', async () => {
    const charge = stepOf(await current.store.compareExecutions(f.a.id, f.b.id), 'charge');
    expect(charge.output).toEqual({
      changes: [
        {
          path: '$',
          kind: 'changed',
          a: { json: JSON.stringify(truncatedMarker(90_000, '{"receipt":"r-1...')), omittedBytes: 0 },
          b: { json: JSON.stringify(truncatedMarker(91_000, '{"receipt":"r-2...')), omittedBytes: 0 },
          marker: 'truncated',
        },
      ],
      omitted: 0,
    });
    expect(charge.input?.changes).toEqual([
      { path: '$.amount', kind: 'changed', a: { json: '28', omittedBytes: 0 }, b: { json: '13', omittedBytes: 0 } },
    ]);
  });

  test('child executions are paired by the node that started them and compared recursively, down to maxDepth', async () => {
    const result = await current.store.compareExecutions(f.a.id, f.b.id);
    expect(result.children?.map((c) => `${c.parentNodeId}#${c.parentOccurrence} ${c.workflowId}#${c.occurrence} ${c.presence}`)).toEqual([
      'charge#0 payment#0 both',
      'charge#0 fraud-check#0 onlyB',
    ]);
    const [payment, fraud] = result.children ?? [];
    expect(fraud).toMatchObject({ a: null, b: { id: f.childB2.id, stepCount: null }, comparison: null });
    const child = payment?.comparison as ExecutionComparison;
    expect(child).toMatchObject({
      a: { id: f.childA.id, stepCount: 1 },
      b: { id: f.childB.id },
      statusChanged: true,
      durationChangeMs: 400,
    });
    expect(outline(child.steps)).toEqual(['authorize#0 both success→error']);
    expect(stepOf(child, 'authorize').input?.changes.map((c) => c.path)).toEqual(['$.card']);
    const grandchild = child.children?.[0]?.comparison as ExecutionComparison;
    expect(grandchild).toMatchObject({ a: { id: f.grandchildA.id }, b: { id: f.grandchildB.id }, durationChangeMs: 1 });
    expect(grandchild.children).toEqual([]);

    const shallow = await current.store.compareExecutions(f.a.id, f.b.id, { maxDepth: 1 });
    expect(shallow.children?.[0]?.comparison?.children).toBeNull();
    expect((await current.store.compareExecutions(f.a.id, f.b.id, { maxDepth: 0 })).children).toBeNull();
  });

  test('runs of different workflows can be compared, and the result says so; a run against itself has no change', async () => {
    const result = await current.store.compareExecutions(f.a.id, f.other.id);
    expect(result).toMatchObject({ sameWorkflow: false, a: { workflowId: 'orders' }, b: { workflowId: 'billing' } });
    expect(result.counts).toEqual({ matched: 1, changed: 1, onlyInA: 4, onlyInB: 0 });
    const same = await current.store.compareExecutions(f.b.id, f.b.id);
    expect(same.counts).toEqual({ matched: 4, changed: 0, onlyInA: 0, onlyInB: 0 });
    expect(same.children?.map((c) => c.presence)).toEqual(['both', 'both']);
  });

  test('path and value caps are options', async () => {
    const fetch = stepOf(await current.store.compareExecutions(f.a.id, f.b.id, { maxPaths: 1, maxValueBytes: 16 }), 'fetch');
    expect(fetch.output?.changes).toHaveLength(1);
    expect(fetch.output?.omitted).toBe(3);
    const note = JSON.stringify(HOSTILE);
    expect(fetch.output?.changes[0]?.a).toEqual({ json: note.slice(0, 16), omittedBytes: Buffer.byteLength(note) - 16 });
    // Changes only counted are changes still.
    const counted = await current.store.compareExecutions(f.a.id, f.b.id, { maxPaths: 0 });
    expect(counted.counts).toEqual({ matched: 3, changed: 2, onlyInA: 2, onlyInB: 1 });
    expect(stepOf(counted, 'fetch')).toMatchObject({ changed: true, input: { changes: [], omitted: 1 } });
  });

  test('an unknown id is a NotFoundError naming it; a non-string id or a bad option is a QueryError', async () => {
    const store = current.store;
    await expect(store.compareExecutions(f.a.id, 'no-such-id')).rejects.toThrow(NotFoundError);
    await expect(store.compareExecutions("'; DROP TABLE workflow_executions; --", f.a.id)).rejects.toThrow(
      `No execution with id "'; DROP TABLE workflow_executions; --"`,
    );
    await expect(store.compareExecutions(undefined as unknown as string, f.a.id)).rejects.toThrow(QueryError);
    await expect(store.compareExecutions(f.a.id, 42 as unknown as string)).rejects.toThrow('Invalid b: 42 is not an id');
    await expect(store.compareExecutions(f.a.id, f.b.id, { maxDepth: 11 })).rejects.toThrow('Invalid maxDepth');
    await expect(store.compareExecutions(f.a.id, f.b.id, { maxPaths: 1.5 })).rejects.toThrow('Invalid maxPaths');
    // The tables are still there after the hostile id.
    expect((await store.compareExecutions(f.a.id, f.a.id)).counts.changed).toBe(0);
  });
});
