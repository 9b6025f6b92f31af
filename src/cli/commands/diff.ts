import type { CappedJson, ChildComparison, ExecutionComparison, JsonDiff, PathChange, StepComparison } from '../../store';
import { commonOptions, parseInteger, UsageError, type Command, type CommandSpec } from '../args';
import { colorStatus, formatDuration, formatTime, makePalette, NONE, renderTable, sanitize, truncate, type Palette } from '../format';
import { withStore } from '../openStore';

/** Columns of a value shown in a change line; `--json` has the capped value in full. */
const VALUE_WIDTH = 60;

const spec: CommandSpec = {
  name: 'diff',
  positionals: '<a> <b>',
  summary: 'Compare two executions node by node: status, duration, and the data paths that changed.',
  description:
    'Steps pair by node id and occurrence: the k-th step of a node in <a> with its k-th step in <b>.\n' +
    'Each pair shows its status and duration on both sides; its input and output are compared as\n' +
    'JSON, path by path ($.items[2].price). Steps run in one execution only are listed as such.\n' +
    'Child executions are paired by the node that started them and compared in turn. Runs of\n' +
    'different workflows may be compared. A truncated or redacted value is compared as the marker\n' +
    'that was stored, never as the content it stands for.',
  options: [
    { name: 'depth', type: 'string', value: 'n', description: 'levels of child executions to compare, 0 to 10 (default 3)' },
    { name: 'max-paths', type: 'string', value: 'n', description: 'changed paths listed per input or output (default 50)' },
    ...commonOptions,
  ],
  examples: [
    'flowtrail diff 0193b2c4-5e6f-7a8b-9c0d-1e2f3a4b5c6d 0193b2d0-0a1b-7c2d-8e3f-4a5b6c7d8e9f',
    'flowtrail diff <a> <b> --depth 0',
    "flowtrail diff <a> <b> --json | jq '.steps[] | select(.changed) | .nodeId'",
  ],
};

/** `flowtrail diff <a> <b>`: store.compareExecutions, side by side. */
export const diffCommand: Command = {
  spec,
  async run(args, context) {
    const [a, b, extra] = args.positionals;
    if (a === undefined || b === undefined) {
      throw new UsageError(`missing execution id${a === undefined ? 's' : ' <b>'} (usage: flowtrail diff <a> <b>)`);
    }
    if (extra !== undefined) throw new UsageError(`unexpected argument ${JSON.stringify(extra)} (diff takes two execution ids)`);
    const depth = args.string('depth');
    const maxPaths = args.string('max-paths');
    const options = {
      maxDepth: depth === undefined ? undefined : parseInteger(depth, '--depth', 0, 10),
      maxPaths: maxPaths === undefined ? undefined : parseInteger(maxPaths, '--max-paths', 0, 100_000),
    };
    const comparison = await withStore(args, context, 'read', (store) => store.compareExecutions(a, b, options));
    if (args.flag('json')) {
      context.print(`${JSON.stringify(comparison, null, 2)}\n`);
      return;
    }
    context.print(renderComparison(comparison, makePalette(context.color)));
  },
};

/** The whole `diff` page: the two runs side by side, the step table, each changed step's paths, then the children. */
export function renderComparison(comparison: ExecutionComparison, palette: Palette): string {
  const sections = [renderHeader(comparison, palette)];
  const { counts } = comparison;
  const summary =
    `Steps: ${counts.matched} in both (${counts.changed} changed), ` + `${counts.onlyInA} only in A, ${counts.onlyInB} only in B`;
  sections.push(`${palette.bold(summary)}\n${comparison.steps.length > 0 ? renderStepTable(comparison.steps, palette) : ''}`);
  const changed = comparison.steps.filter((step) => step.presence === 'both' && hasDataChanges(step));
  if (changed.length > 0) sections.push(changed.map((step) => renderStepChanges(step, palette)).join(''));
  if (comparison.children === null) sections.push(`${palette.dim('Child executions not compared (--depth reached).')}\n`);
  else if (comparison.children.length > 0) sections.push(renderChildren(comparison.children, palette));
  return sections.join('\n');
}

function renderHeader(comparison: ExecutionComparison, palette: Palette): string {
  const { a, b } = comparison;
  const rows: [string, string, string][] = [
    ['Execution', a.id, b.id],
    ['Workflow', `${sanitize(a.workflowId)} (${sanitize(a.workflowName)})`, `${sanitize(b.workflowId)} (${sanitize(b.workflowName)})`],
    ['Status', colorStatus(a.status, palette), colorStatus(b.status, palette)],
    ['Trigger', sanitize(a.triggerType), sanitize(b.triggerType)],
    ['Started', formatTime(a.startedAt, { millis: true }), formatTime(b.startedAt, { millis: true })],
    ['Duration', formatDuration(a.durationMs), `${formatDuration(b.durationMs)}${durationChange(comparison.durationChangeMs, ' (', ')')}`],
  ];
  if (a.errorMessage !== null || b.errorMessage !== null) {
    const error = (message: string | null) => (message === null ? NONE : palette.red(truncate(sanitize(message), 40)));
    rows.push(['Error', error(a.errorMessage), error(b.errorMessage)]);
  }
  let text = renderTable(
    [{ header: '' }, { header: 'A' }, { header: 'B' }],
    rows.map(([label, left, right]) => [palette.dim(label), left, right]),
    palette,
  );
  if (!comparison.sameWorkflow) {
    text += palette.yellow(`Note: these are runs of different workflows (${sanitize(a.workflowId)} and ${sanitize(b.workflowId)}).`) + '\n';
  }
  return text;
}

function renderStepTable(steps: readonly StepComparison[], palette: Palette): string {
  const index = (value: number | undefined) => (value === undefined ? NONE : String(value));
  return renderTable(
    [
      { header: 'NODE', maxWidth: 28 },
      { header: 'STEP A', align: 'right' },
      { header: 'STEP B', align: 'right' },
      { header: 'STATUS A' },
      { header: 'STATUS B' },
      { header: 'DURATION A', align: 'right' },
      { header: 'DURATION B', align: 'right' },
      { header: 'CHANGE', align: 'right' },
      { header: 'DIFFERENCES' },
    ],
    steps.map((step) => [
      sanitize(step.nodeId),
      index(step.a?.stepIndex),
      index(step.b?.stepIndex),
      step.a ? colorStatus(step.a.status, palette) : NONE,
      step.b ? colorStatus(step.b.status, palette) : NONE,
      formatDuration(step.a?.durationMs),
      formatDuration(step.b?.durationMs),
      durationChange(step.durationChangeMs),
      differences(step, palette),
    ]),
    palette,
  );
}

function differences(step: StepComparison, palette: Palette): string {
  if (step.presence === 'onlyA') return palette.red('only in A');
  if (step.presence === 'onlyB') return palette.green('only in B');
  const parts: string[] = [];
  if (step.statusChanged) parts.push('status');
  const count = (label: string, diff: JsonDiff | null) => {
    const n = (diff?.changes.length ?? 0) + (diff?.omitted ?? 0);
    if (n > 0) parts.push(`${label} ${n} path${n === 1 ? '' : 's'}`);
  };
  count('input', step.input);
  count('output', step.output);
  return parts.length > 0 ? palette.yellow(parts.join(', ')) : '';
}

function hasDataChanges(step: StepComparison): boolean {
  const count = (diff: JsonDiff | null) => (diff ? diff.changes.length + diff.omitted : 0);
  return count(step.input) + count(step.output) > 0;
}

function renderStepChanges(step: StepComparison, palette: Palette): string {
  const occurrence = step.occurrence > 0 ? ` (occurrence ${step.occurrence + 1})` : '';
  let text = `${palette.bold(`${sanitize(step.nodeId)}${occurrence}`)}  ${palette.dim(`step ${step.a?.stepIndex} / ${step.b?.stepIndex}`)}\n`;
  for (const [label, diff] of [
    ['input', step.input],
    ['output', step.output],
  ] as const) {
    if (!diff || (diff.changes.length === 0 && diff.omitted === 0)) continue;
    text += `  ${palette.dim(label)}\n`;
    for (const change of diff.changes) text += `    ${renderChange(change, palette)}\n`;
    if (diff.omitted > 0) text += `    ${palette.dim(`… and ${diff.omitted} more path${diff.omitted === 1 ? '' : 's'} (--max-paths)`)}\n`;
  }
  return text;
}

/** `~ $.price  12.5 → 13`: changed paths in yellow, added in green, removed in red. */
function renderChange(change: PathChange, palette: Palette): string {
  const path = sanitize(change.path);
  const marker = change.marker ? palette.dim(` (${change.marker}: stored as a marker)`) : '';
  if (change.kind === 'added') return `${palette.green(`+ ${path}`)}  ${value(change.b)}${marker}`;
  if (change.kind === 'removed') return `${palette.red(`- ${path}`)}  ${value(change.a)}${marker}`;
  return `${palette.yellow(`~ ${path}`)}  ${value(change.a)} → ${value(change.b)}${marker}`;
}

/** A value's JSON on one line, cut to VALUE_WIDTH columns; "…" says there is more (here, or in what the store kept). */
function value(capped: CappedJson | undefined): string {
  if (!capped) return NONE;
  const text = sanitize(capped.json);
  const shown = truncate(text, VALUE_WIDTH);
  return capped.omittedBytes > 0 && shown === text ? `${text}…` : shown;
}

function renderChildren(children: readonly ChildComparison[], palette: Palette): string {
  const label = (child: ChildComparison) => {
    const from = child.parentNodeId === null ? '(no parent step)' : sanitize(child.parentNodeId);
    return `${from} → ${sanitize(child.workflowId)}${child.occurrence > 0 ? ` (${child.occurrence + 1})` : ''}`;
  };
  const table = renderTable(
    [{ header: 'STARTED BY → WORKFLOW', maxWidth: 48 }, { header: 'STATUS A' }, { header: 'STATUS B' }, { header: 'IN' }],
    children.map((child) => [
      label(child),
      child.a ? colorStatus(child.a.status, palette) : NONE,
      child.b ? colorStatus(child.b.status, palette) : NONE,
      child.presence === 'onlyA' ? palette.red('only in A') : child.presence === 'onlyB' ? palette.green('only in B') : 'both',
    ]),
    palette,
  );
  const nested = children
    .filter((child) => child.comparison !== null)
    .map((child) => {
      const body = renderComparison(child.comparison as ExecutionComparison, palette)
        .split('\n')
        .map((line) => (line === '' ? line : `  ${line}`))
        .join('\n');
      return `${palette.bold(`── Child ${label(child)}`)}\n${body}`;
    });
  return [`${palette.bold(`Child executions (${children.length})`)}\n${table}`, ...nested].join('\n');
}

/** "+250ms" / "-1.20s" between `before` and `after`; empty when there is no change to show. */
function durationChange(ms: number | null, before = '', after = ''): string {
  if (ms === null) return before === '' ? NONE : '';
  const sign = ms > 0 ? '+' : ms < 0 ? '-' : '±';
  return `${before}${sign}${formatDuration(Math.abs(ms))}${after}`;
}
