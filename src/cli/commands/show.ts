import type { ExecutionStep, WorkflowExecution } from '../../entities';
import { CliError, commonOptions, UsageError, type Command, type CommandSpec } from '../args';
import {
  colorStatus,
  formatDuration,
  formatTime,
  indentJson,
  makePalette,
  NONE,
  renderTable,
  sanitize,
  sanitizeBlock,
  shellQuote,
  timelineBar,
  type Palette,
} from '../format';
import type { ExecutionStore } from '../../store/ExecutionStore';
import type { WorkflowShape } from '../../store/WorkflowShape';
import { renderGraph } from '../graphText';
import { withStore } from '../openStore';

const TIMELINE_WIDTH = 30;
/** Child executions listed under a parent; more than this is what `list` is for. */
const MAX_CHILDREN = 20;

const spec: CommandSpec = {
  name: 'show',
  positionals: '<executionId>',
  summary: 'Show one execution: its header, then its steps in order on a timeline.',
  description:
    "Each step gets a bar on the execution's time line: where it starts is when the step started,\n" +
    'its length is how long it ran. --data adds the captured input and output of every step, and\n' +
    'the error message and stack of steps that failed. --graph adds the graph of the workflow as\n' +
    'it was when this run started (stored by the runner once per definition), each node with its\n' +
    'status in this run. A re-run names the execution it was forked from; an execution re-run\n' +
    'lists its re-runs as forks.',
  options: [
    { name: 'data', short: 'd', type: 'boolean', description: 'include captured data, trigger data, metadata and error stacks' },
    { name: 'graph', short: 'g', type: 'boolean', description: "draw the workflow's graph as this run had it, each node with its status" },
    ...commonOptions,
  ],
  examples: [
    'flowtrail show 0193b2c4-5e6f-7a8b-9c0d-1e2f3a4b5c6d',
    'flowtrail show 0193b2c4-5e6f-7a8b-9c0d-1e2f3a4b5c6d --data',
    'flowtrail show 0193b2c4-5e6f-7a8b-9c0d-1e2f3a4b5c6d --graph',
    'flowtrail show 0193b2c4-5e6f-7a8b-9c0d-1e2f3a4b5c6d --json | jq .steps[].status',
  ],
};

/** `flowtrail show <id>`: one execution, its steps on a timeline, optionally their data. */
export const showCommand: Command = {
  spec,
  async run(args, context) {
    const [id, extra] = args.positionals;
    if (id === undefined) throw new UsageError('missing execution id (usage: flowtrail show <executionId>)');
    if (extra !== undefined) throw new UsageError(`unexpected argument ${JSON.stringify(extra)} (show takes one execution id)`);
    await withStore(args, context, 'read', async (store) => {
      const execution = await store.getExecution(id, { steps: true });
      if (!execution) throw new CliError(`no execution with id ${JSON.stringify(id)}`);
      const graph = args.flag('graph');
      const hash = execution.definitionHash ?? null;
      const definition = graph && hash !== null ? await store.getDefinition(hash) : null;
      if (args.flag('json')) {
        const shown = graph ? { ...execution, definition: definition?.definition ?? null } : execution;
        context.print(`${JSON.stringify(shown, null, 2)}\n`);
        return;
      }
      const children = await store.listExecutions({ parentExecutionId: id, limit: MAX_CHILDREN });
      const forks = await store.listExecutions({ forkedFromExecutionId: id, limit: MAX_CHILDREN });
      const forkedAt = await forkedNode(store, execution);
      const palette = makePalette(context.color);
      const options = { data: args.flag('data'), palette, forks: forks.items, forkedAt };
      let page = renderExecution(execution, children.items, options);
      if (graph) page += `\n${renderGraphSection(execution, hash, definition?.definition ?? null, palette)}`;
      context.print(page);
    });
  },
};

interface RenderOptions {
  data: boolean;
  palette: Palette;
  now?: number;
  /** Re-runs of this execution. */
  forks?: readonly WorkflowExecution[];
  /** The node of the step this execution was forked at, when it is one. */
  forkedAt?: string | null;
}

/** The node of the original step a re-run was forked at; null when it has none (or it is gone). */
async function forkedNode(store: ExecutionStore, execution: WorkflowExecution): Promise<string | null> {
  const { forkedFromExecutionId: original, forkedFromStepId: stepId } = execution;
  if (!original || !stepId) return null;
  const steps = await store.getSteps(original);
  return steps.find((step) => step.id === stepId)?.nodeId ?? null;
}

/** `--graph`: the definition this run had, each node with its status; or why there is none. */
function renderGraphSection(execution: WorkflowExecution, hash: string | null, shape: WorkflowShape | null, palette: Palette): string {
  if (hash === null)
    return `${palette.bold('Graph')}\nNo workflow definition was stored for this execution (it was not started by the workflow runner, or before definitions were recorded).\n`;
  if (shape === null)
    return `${palette.bold('Graph')}\nThe definition this execution ran (${sanitize(hash)}) is not in this history, or cannot be read.\n`;
  const title = `Graph of ${sanitize(shape.id)} (definition ${sanitize(hash.slice(0, 12))}, ${shape.nodes.length} nodes, ${shape.edges.length} edges)`;
  return `${palette.bold(title)}\n${renderGraph(shape, execution.steps ?? [], palette)}`;
}

/** The whole `show` page for one execution (with `steps` loaded). */
export function renderExecution(execution: WorkflowExecution, children: readonly WorkflowExecution[], options: RenderOptions): string {
  const { palette } = options;
  const steps = execution.steps ?? [];
  const sections = [renderHeader(execution, options)];

  const origin = execution.startedAt;
  const span = timelineSpan(execution, steps, options.now ?? Date.now());
  // Steps get their own span ids with `otel.spans`, or when the workflow wraps nodes in spans of its own.
  const spanColumn = steps.some((step) => step.spanId !== null && step.spanId !== execution.spanId);
  if (steps.length === 0) sections.push('No steps recorded.\n');
  else {
    const table = renderTable(
      [
        { header: '#', align: 'right' },
        { header: 'NODE', maxWidth: 24 },
        { header: 'TYPE', maxWidth: 20 },
        { header: 'NAME', maxWidth: 28 },
        { header: 'STATUS' },
        { header: 'DURATION', align: 'right' },
        { header: `TIMELINE (${formatDuration(span)})` },
        ...(spanColumn ? [{ header: 'SPAN' }] : []),
      ],
      steps.map((step) => [
        String(step.stepIndex),
        sanitize(step.nodeId),
        sanitize(step.nodeType),
        step.nodeName === null ? NONE : sanitize(step.nodeName),
        colorStatus(step.status, palette),
        formatDuration(step.durationMs),
        barColor(step.status, palette)(timelineBar(step.startedAt - origin, stepLength(step, options.now), span, TIMELINE_WIDTH)),
        ...(spanColumn ? [stepSpan(step, execution)] : []),
      ]),
      palette,
    );
    sections.push(`${palette.bold(`Steps (${steps.length})`)}\n${table}`);
  }
  if (options.data) sections.push(...steps.map((step) => renderStepData(step, palette)));
  if (children.length > 0) {
    const table = renderTable(
      [
        { header: 'ID' },
        { header: 'WORKFLOW', maxWidth: 32 },
        { header: 'STATUS' },
        { header: 'PARENT STEP' },
        { header: 'DURATION', align: 'right' },
      ],
      children.map((child) => [
        child.id,
        sanitize(child.workflowId),
        colorStatus(child.status, palette),
        child.parentStepId ?? NONE,
        formatDuration(child.durationMs),
      ]),
      palette,
    );
    sections.push(`${palette.bold(`Child executions (${children.length}${children.length === MAX_CHILDREN ? '+' : ''})`)}\n${table}`);
  }
  return sections.join('\n');
}

function renderHeader(execution: WorkflowExecution, options: RenderOptions): string {
  const { palette } = options;
  const fields: [string, string][] = [
    ['Execution', execution.id],
    ['Workflow', `${sanitize(execution.workflowId)} (${sanitize(execution.workflowName)})`],
    ['Status', colorStatus(execution.status, palette)],
    ['Trigger', sanitize(execution.triggerType)],
    ['Started', formatTime(execution.startedAt, { millis: true })],
    ['Completed', formatTime(execution.completedAt, { millis: true })],
    ['Duration', formatDuration(execution.durationMs)],
  ];
  if (execution.parentExecutionId) {
    fields.push([
      'Parent',
      `${sanitize(execution.parentExecutionId)}${execution.parentStepId ? ` (step ${sanitize(execution.parentStepId)})` : ''}`,
    ]);
  }
  if (execution.traceId) fields.push(['Trace', `${sanitize(execution.traceId)} (span ${sanitize(execution.spanId ?? NONE)})`]);
  if (execution.forkedFromExecutionId) {
    const at = options.forkedAt
      ? ` at step ${sanitize(options.forkedAt)}`
      : execution.forkedFromStepId
        ? ` at step ${sanitize(execution.forkedFromStepId)}`
        : '';
    fields.push(['Forked from', `${sanitize(execution.forkedFromExecutionId)}${at}`]);
  }
  if (execution.replayOfStepId) fields.push(['Replay of', `step ${sanitize(execution.replayOfStepId)}`]);
  if (options.forks !== undefined && options.forks.length > 0) {
    const more = options.forks.length === MAX_CHILDREN ? ' …' : '';
    fields.push(['Forks', options.forks.map((fork) => sanitize(fork.id)).join(', ') + more]);
  }
  const tags = tagsText(execution.tags);
  if (tags !== '') fields.push(['Tags', tags]);
  if (execution.errorMessage !== null) fields.push(['Error', palette.red(sanitize(execution.errorMessage))]);
  const width = Math.max(...fields.map(([label]) => label.length));
  let text = fields.map(([label, value]) => `${palette.dim(label.padEnd(width))}  ${value}`).join('\n') + '\n';
  if (options.data) {
    text += block('Trigger data', execution.triggerData, palette);
    text += block('Metadata', execution.metadata, palette);
    if (execution.errorStack) text += `${palette.dim('Error stack')}\n${indentText(execution.errorStack, 2)}\n`;
  }
  return text;
}

/** A step's span id; prefixed by its trace id in the rare case it started in another trace than its execution. */
function stepSpan(step: ExecutionStep, execution: WorkflowExecution): string {
  if (step.spanId === null) return NONE;
  const trace = step.traceId !== null && step.traceId !== execution.traceId ? `${step.traceId}/` : '';
  return sanitize(trace + step.spanId);
}

/** `key=value` pairs as `--tag` takes them, quoted where a shell would split them; '' when there are none. */
function tagsText(tags: unknown): string {
  if (tags === null || typeof tags !== 'object' || Array.isArray(tags)) return '';
  return Object.entries(tags as Record<string, unknown>)
    .map(([key, value]) => sanitize(shellQuote(`${key}=${typeof value === 'string' ? value : JSON.stringify(value)}`)))
    .join(' ');
}

function renderStepData(step: ExecutionStep, palette: Palette): string {
  const title = `Step ${step.stepIndex} · ${sanitize(step.nodeId)} (${sanitize(step.nodeType)}) · ${colorStatus(step.status, palette)}`;
  let text = `${palette.bold(title)}\n`;
  text += indentText(block('Input', step.inputData, palette), 2, false);
  text += indentText(block('Output', step.outputData, palette), 2, false);
  if (step.errorMessage !== null) text += `  ${palette.dim('Error')}  ${palette.red(sanitize(step.errorMessage))}\n`;
  if (step.errorStack) text += `  ${palette.dim('Stack')}\n${indentText(step.errorStack, 4)}\n`;
  return text;
}

function block(label: string, value: unknown, palette: Palette): string {
  if (value === null || value === undefined) return `${palette.dim(label)}  ${NONE}\n`;
  return `${palette.dim(label)}\n${indentJson(value, 2)}\n`;
}

function indentText(text: string, indent: number, clean = true): string {
  const pad = ' '.repeat(indent);
  const body = clean ? sanitizeBlock(text) : text;
  return body
    .split('\n')
    .map((line) => (line === '' ? line : pad + line))
    .join('\n');
}

/** How long a step ran; a step still running has run until now (until the execution ended, if it did). */
function stepLength(step: ExecutionStep, now = Date.now()): number {
  if (step.durationMs !== null) return step.durationMs;
  if (step.completedAt !== null) return step.completedAt - step.startedAt;
  return step.status === 'running' ? Math.max(0, now - step.startedAt) : 0;
}

/** The time the bars are scaled to: the execution's duration, stretched to cover any step that ran past it. */
function timelineSpan(execution: WorkflowExecution, steps: readonly ExecutionStep[], now: number): number {
  let end = execution.durationMs ?? (execution.status === 'running' ? now - execution.startedAt : 0);
  for (const step of steps) end = Math.max(end, step.startedAt - execution.startedAt + stepLength(step, now));
  return Math.max(1, end);
}

function barColor(status: string, palette: Palette): (text: string) => string {
  if (status === 'error') return palette.red;
  if (status === 'running') return palette.cyan;
  if (status === 'interrupted') return palette.yellow;
  return palette.green;
}
