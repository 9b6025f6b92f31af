import {
  captureData,
  ConditionNode,
  findLostData,
  FunctionNode,
  RetryNode,
  workflowDefinition,
  type ExecutionStep,
  type Workflow,
} from '../src';
import { buildRedactPattern, DEFAULT_REDACT_KEYS } from '../src/capture';
import { makePalette } from '../src/cli/format';
import { renderGraph } from '../src/cli/graphText';
import { parseWorkflowShape } from '../src/store/WorkflowShape';

const edge = (from: string, output: string, to: string, input = output) => ({ from: { node: from, output }, to: { node: to, input } });

function refund(approve: (amount: number) => boolean, label = 'Manual review'): Workflow {
  return {
    id: 'refund',
    name: 'Refund',
    nodes: [
      new ConditionNode('large', 'Over 100?', ({ trigger }) => approve((trigger as { amount: number }).amount)),
      new FunctionNode('review', label, ({ true: data }) => ({ out: data }), { requiredInputs: ['true'], type: 'review' }),
      new FunctionNode('auto', 'Auto-approve', ({ false: data }) => ({ out: data }), { requiredInputs: ['false'] }),
      new RetryNode('notify', 'Notify', () => ({ sent: true })),
    ],
    connections: [
      edge('large', 'true', 'review'),
      edge('large', 'false', 'auto'),
      edge('review', 'out', 'notify', 'reviewed'),
      edge('auto', 'out', 'notify'),
    ],
  };
}

describe('workflow definitions', () => {
  test('the shape holds nodes and edges, no functions; the same shape hashes the same whatever the functions', () => {
    const { shape, json, hash } = workflowDefinition(refund((amount) => amount > 100));
    expect(shape).toEqual({
      format: 1,
      id: 'refund',
      name: 'Refund',
      nodes: [
        { id: 'large', type: 'condition', name: 'Over 100?', outputNames: ['true', 'false'] },
        { id: 'review', type: 'review', name: 'Manual review', requiredInputs: ['true'] },
        { id: 'auto', type: 'function', name: 'Auto-approve', requiredInputs: ['false'] },
        { id: 'notify', type: 'retry', name: 'Notify' },
      ],
      edges: [
        { from: 'large', output: 'true', to: 'review', input: 'true' },
        { from: 'large', output: 'false', to: 'auto', input: 'false' },
        { from: 'review', output: 'out', to: 'notify', input: 'reviewed' },
        { from: 'auto', output: 'out', to: 'notify', input: 'out' },
      ],
    });
    expect(JSON.parse(json)).toEqual(shape);
    expect(hash).toMatch(/^[0-9a-f]{64}$/);
    expect(workflowDefinition(refund((amount) => amount > 5000)).hash).toBe(hash);
    expect(workflowDefinition(refund((amount) => amount > 100, 'Review')).hash).not.toBe(hash);
    expect(parseWorkflowShape(json)).toEqual(shape);
    // Computed once per workflow object, again when its nodes or connections are other objects.
    const workflow = refund(() => true);
    expect(workflowDefinition(workflow)).toBe(workflowDefinition(workflow));
    const grown = { ...workflow, nodes: [...workflow.nodes, new FunctionNode('extra', 'Extra', () => ({}))] };
    expect(workflowDefinition(grown).hash).not.toBe(hash);
    expect(Object.isFrozen(workflowDefinition(workflow).shape.nodes[0])).toBe(true);
    expect(parseWorkflowShape('{"format":2}')).toBeNull();
    expect(parseWorkflowShape('not json')).toBeNull();
  });

  test('findLostData finds each marker capture writes instead of data, with its path', () => {
    const redact = buildRedactPattern(DEFAULT_REDACT_KEYS);
    const circular: Record<string, unknown> = { name: 'loop' };
    circular.self = circular;
    const captured = captureData(
      {
        user: { name: 'ada', password: 'x' },
        'odd key': [1, { token: 't' }],
        link: circular,
        fn: function named() {},
        url: new URL('postgres://app:hunter2@db/x'),
        when: new Date(0),
        big: 12n,
        map: new Map([['a', 1]]),
        buffer: Buffer.alloc(2000),
      },
      { maxDataSize: 100_000, redact },
    );
    expect(findLostData(captured)).toEqual([
      { path: '$.user.password', kind: 'redacted' },
      { path: '$["odd key"][1].token', kind: 'redacted' },
      { path: '$.link.self', kind: 'not-followed' },
      { path: '$.fn', kind: 'not-data' },
      { path: '$.url', kind: 'masked' },
      { path: '$.buffer', kind: 'binary-preview' },
    ]);
    expect(findLostData(captured, { limit: 2, base: ['output'] })).toEqual([
      { path: '$.output.user.password', kind: 'redacted' },
      { path: '$.output["odd key"][1].token', kind: 'redacted' },
    ]);
    expect(findLostData(captureData('x'.repeat(5000), { maxDataSize: 1000, redact }))).toEqual([{ path: '$', kind: 'truncated' }]);
    // A thenable's function and a throwing toJSON; and arguments built by hand may be cyclic.
    const pending = { then: () => undefined };
    const throwing = {
      toJSON() {
        throw new Error('no');
      },
    };
    expect(findLostData(captureData({ pending, throwing }, { maxDataSize: 1000, redact }))).toEqual([
      { path: '$.pending.then', kind: 'not-data' },
      { path: '$.throwing', kind: 'unreadable' },
    ]);
    const args: unknown[] = ['[Thenable]'];
    args.push(args);
    expect(findLostData(args)).toEqual([{ path: '$[0]', kind: 'not-data' }]);
    expect(findLostData(captureData({ when: new Date(0), n: 1, list: [1, 2] }, { maxDataSize: 1000, redact }))).toEqual([]);
    expect(findLostData(null)).toEqual([]);
  });

  test('the graph is drawn in topological order, indented by depth, each node with its status in the run', () => {
    const { shape } = workflowDefinition(refund(() => true));
    const step = (nodeId: string, status: string) => ({ nodeId, status }) as ExecutionStep;
    const text = renderGraph(
      shape,
      [
        step('large', 'reused'),
        step('review', 'success'),
        step('auto', 'skipped'),
        step('notify#1', 'error'),
        step('notify#2', 'success'),
        step('notify', 'success'),
      ],
      makePalette(false),
    );
    expect(text).toBe(
      [
        'NODE        TYPE       NAME           STATUS                INPUTS FROM',
        'large       condition  Over 100?      reused                (trigger)',
        '  review    review     Manual review  success               large.true',
        '  auto      function   Auto-approve   skipped               large.false',
        '    notify  retry      Notify         success (2 attempts)  review.out → reviewed, auto.out',
        '',
      ].join('\n'),
    );
    expect(renderGraph(shape, [], makePalette(false))).toContain('not run');
  });
  test('a stored definition missing a field the graph reads is unreadable (null), not a crash of show --graph', () => {
    const { shape } = workflowDefinition(refund(() => true));
    const json = JSON.parse(JSON.stringify(shape)) as { nodes: Record<string, unknown>[]; edges: Record<string, unknown>[] };
    expect(parseWorkflowShape(JSON.stringify(json))).toEqual(shape);
    const damaged = [
      { ...json, name: undefined },
      { ...json, nodes: [{ ...json.nodes[0], name: undefined }, ...json.nodes.slice(1)] },
      { ...json, nodes: [{ ...json.nodes[0], requiredInputs: [1] }, ...json.nodes.slice(1)] },
      { ...json, nodes: [null, ...json.nodes.slice(1)] },
      { ...json, edges: [{ ...json.edges[0], output: undefined }, ...json.edges.slice(1)] },
      { ...json, edges: [{ ...json.edges[0], input: 7 }, ...json.edges.slice(1)] },
    ];
    for (const definition of damaged) {
      const parsed = parseWorkflowShape(JSON.stringify(definition));
      expect(parsed).toBeNull();
    }
  });
});
