import type { Server } from 'node:http';
import { defineWorkflow, FunctionNode, WorkflowRunner, type ExecutionStore } from '../../src';
import { MAX_CHILDREN, MAX_GRAPH_NODES } from '../../src/ui/executionDetail';
import { databaseKinds, makeDatabase, type TestDatabase } from '../support/databases';
import { serveViewer, stopServer, ViewerHistory } from '../support/viewerFixture';

async function getJson(url: string): Promise<any> {
  const response = await fetch(url);
  expect(response.status).toBe(200);
  return response.json();
}

// `/api/executions/:id` brings what the Execution page draws besides the steps: children and the graph.
describe.each(databaseKinds.filter((kind) => kind !== 'better-sqlite3'))('an execution in the API on %s', (kind) => {
  let db: TestDatabase;
  let store: ExecutionStore;
  let history: ViewerHistory;
  let server: Server;
  let base: string;

  beforeAll(async () => {
    db = makeDatabase(kind);
    store = await db.open();
    history = new ViewerHistory(store);
    ({ server, url: base } = await serveViewer(store));
  });
  afterAll(async () => {
    await stopServer(server);
    await history.close();
    await store.close();
    await db.drop();
  });

  test('comes with its child executions and its stored workflow shape', async () => {
    const { id, childId } = await history.runFulfilment();
    const detail = await getJson(`${base}/api/executions/${id}`);
    const invoice = detail.steps.find((step: { nodeId: string }) => step.nodeId === 'invoice');
    expect(detail.children).toEqual([expect.objectContaining({ id: childId, workflowId: 'tax', parentStepId: invoice.id })]);
    expect(detail.children[0]).not.toHaveProperty('triggerData');
    expect(detail.childrenTruncated).toBe(false);
    expect(detail.definitionNote).toBeNull();
    expect(detail.definition.nodes.map((node: { id: string }) => node.id)).toEqual([
      'validate',
      'price',
      'stock',
      'crm',
      'large',
      'review',
      'auto',
      'invoice',
    ]);
    expect(detail.definition.edges).toContainEqual({ from: 'large', output: 'false', to: 'auto', input: 'false' });

    const child = await getJson(`${base}/api/executions/${childId}`);
    expect(child.execution.parentExecutionId).toBe(id);
    expect(child.children).toEqual([]);
    expect(child.definition.id).toBe('tax');
  });

  test('without a stored shape, or with one too large to draw, says so instead of sending one', async () => {
    await history.seed();
    const [decorated] = (await store.listExecutions({ workflowId: 'refund', limit: 1 })).items;
    expect(await getJson(`${base}/api/executions/${decorated!.id}`)).toMatchObject({
      definition: null,
      definitionNote: 'none',
      children: [],
    });

    const nodes = Array.from({ length: MAX_GRAPH_NODES + 1 }, (_, i) => new FunctionNode(`n${i}`, `Node ${i}`, async () => ({})));
    await new WorkflowRunner({ logger: history.logger }).run(defineWorkflow({ id: 'wide', name: 'Wide', nodes, connections: [] }), {
      type: 'manual',
      data: null,
    });
    await history.logger.flush();
    const [wide] = (await store.listExecutions({ workflowId: 'wide', limit: 1 })).items;
    const answer = await getJson(`${base}/api/executions/${wide!.id}`);
    expect(answer).toMatchObject({ definition: null, definitionNote: 'too-large' });
    expect(answer.steps).toHaveLength(MAX_GRAPH_NODES + 1);
  });

  test('with more children than it sends, sends the latest of them, oldest first', async () => {
    const startedAt = Date.now() - 60_000;
    const run = (id: string, at: number, parentExecutionId?: string) => ({
      id,
      workflowId: parentExecutionId ? 'many-child' : 'many',
      workflowName: '',
      triggerType: 'manual',
      status: 'success' as const,
      startedAt: at,
      completedAt: at + 1,
      durationMs: 1,
      ...(parentExecutionId ? { parentExecutionId } : {}),
    });
    const ids = Array.from({ length: MAX_CHILDREN + 1 }, (_, i) => `many-child-${String(i).padStart(3, '0')}`);
    await store.writeBatch({ executions: [run('many', startedAt), ...ids.map((id, i) => run(id, startedAt + 10 + i, 'many'))], steps: [] });
    const detail = await getJson(`${base}/api/executions/many`);
    expect(detail.childrenTruncated).toBe(true);
    expect(detail.children.map((child: { id: string }) => child.id)).toEqual(ids.slice(1));
  });
});
