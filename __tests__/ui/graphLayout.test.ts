import { layoutGraph } from '../../ui/graphLayout';

const node = (id: string) => ({ id, type: 'function', name: id.toUpperCase() });
const edge = (from: string, to: string) => ({ from, output: 'out', to, input: 'in' });

describe('layoutGraph', () => {
  test('puts each node one layer after its deepest upstream node, in declaration order within a layer', () => {
    const layout = layoutGraph({
      id: 'w',
      name: 'W',
      nodes: ['merge', 'root', 'a', 'b', 'late'].map(node),
      edges: [edge('root', 'a'), edge('root', 'b'), edge('a', 'merge'), edge('b', 'merge'), edge('root', 'late'), edge('merge', 'late')],
    });
    expect(layout.nodes.map(({ id, layer, row }) => [id, layer, row])).toEqual([
      ['merge', 2, 0],
      ['root', 0, 0],
      ['a', 1, 0],
      ['b', 1, 1],
      ['late', 3, 0],
    ]);
    expect([layout.layers, layout.rows]).toEqual([4, 2]);
    expect(layout.edges).toHaveLength(6);
  });

  test('a stored shape that loops, repeats a node or names a missing one is still drawn, not hung on', () => {
    const layout = layoutGraph({
      id: 'w',
      name: 'W',
      nodes: ['x', 'y', 'x', 'z'].map(node),
      edges: [edge('x', 'y'), edge('y', 'x'), edge('z', 'nowhere'), edge('z', 'z')],
    });
    expect(layout.nodes.map(({ id, layer }) => [id, layer])).toEqual([
      ['x', 0],
      ['y', 1],
      ['z', 0],
    ]);
    expect(layout.edges.map(({ from, to }) => `${from.id}>${to.id}`)).toEqual(['x>y', 'y>x']);
  });
});
