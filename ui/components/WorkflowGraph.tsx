import { useMemo } from 'preact/hooks';
import type { StepSummary, WorkflowShape } from '../api';
import { layoutGraph } from '../graphLayout';

/** A node's box and the gaps between boxes, in CSS pixels (styles.css `.graph-node` agrees). */
const NODE_WIDTH = 168;
const NODE_HEIGHT = 52;
const GAP_X = 48;
const GAP_Y = 16;

/**
 * The workflow's stored shape, left to right by topological layer, each node coloured by the
 * status of its step in this run and saying it in words (`not run` when it has none). Clicking a
 * node selects its step. Boxes are HTML buttons placed through the CSSOM (allowed by the page's
 * CSP); the edges are an SVG of lines only, hidden from assistive technology.
 */
export function WorkflowGraph({
  shape,
  steps,
  selected,
  onSelect,
}: {
  shape: WorkflowShape;
  steps: StepSummary[];
  selected: string | null;
  onSelect: (step: StepSummary) => void;
}) {
  const layout = useMemo(() => layoutGraph(shape), [shape]);
  // A node run more than once (a loop) shows its last step.
  const stepOf = new Map<string, StepSummary>();
  for (const step of steps) stepOf.set(step.nodeId, step);
  const x = (layer: number) => layer * (NODE_WIDTH + GAP_X);
  const y = (row: number) => row * (NODE_HEIGHT + GAP_Y);
  const width = Math.max(1, x(layout.layers) - GAP_X);
  const height = Math.max(1, y(layout.rows) - GAP_Y);
  return (
    <div class="graph" style={{ width: `${width}px`, height: `${height}px` }}>
      <svg class="graph-edges" width={width} height={height} viewBox={`0 0 ${width} ${height}`} aria-hidden="true" focusable="false">
        {layout.edges.map(({ from, to, output }, index) => {
          const [x1, y1] = [x(from.layer) + NODE_WIDTH, y(from.row) + NODE_HEIGHT / 2];
          const [x2, y2] = [x(to.layer), y(to.row) + NODE_HEIGHT / 2];
          const bend = Math.max(GAP_X / 2, (x2 - x1) / 2);
          const taken = stepOf.get(to.id)?.status !== 'skipped';
          return (
            <path
              key={index}
              class={taken ? 'graph-edge' : 'graph-edge not-taken'}
              data-output={output}
              d={`M${x1},${y1} C${x1 + bend},${y1} ${x2 - bend},${y2} ${x2},${y2}`}
            />
          );
        })}
      </svg>
      <ul class="graph-nodes" aria-label="Workflow nodes">
        {layout.nodes.map((node) => {
          const step = stepOf.get(node.id);
          const status = step?.status ?? 'not run';
          return (
            <li
              key={node.id}
              data-node={node.id}
              data-status={status}
              class="graph-node-item"
              style={{ left: `${x(node.layer)}px`, top: `${y(node.row)}px` }}
            >
              <button
                type="button"
                class={`graph-node node-${step?.status ?? 'not-run'}${step && step.id === selected ? ' selected' : ''}`}
                disabled={!step}
                aria-current={step && step.id === selected ? 'true' : undefined}
                onClick={() => step && onSelect(step)}
              >
                <span class="graph-node-name">{node.name || node.id}</span>
                <span class="graph-node-status">{status}</span>
              </button>
            </li>
          );
        })}
      </ul>
    </div>
  );
}
