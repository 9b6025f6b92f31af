import type { ExecutionStatus, ExecutionStep, WorkflowExecution } from '../../entities';
import { STEP_STATUSES } from '../../entities/ExecutionStep';
import type { ListExecutionsQuery } from '../../store';
import {
  commonOptions,
  noPositionals,
  parseChoice,
  parseInteger,
  UsageError,
  type Command,
  type CommandSpec,
  type OptionSpec,
  type ParsedArgs,
} from '../args';
import { parseTimeBound } from '../duration';
import { parseTags } from '../tagArgs';
import { colorStatus, formatDuration, formatTime, makePalette, renderTable, sanitize, shellQuote, type Palette } from '../format';
import { withStore } from '../openStore';
import { runningNow, type RunningNow } from '../runningNow';
import { parseWhere } from '../wherePredicate';

export const executionStatuses: readonly ExecutionStatus[] = ['running', 'success', 'error', 'interrupted'];

/** The filters `list` and `export` share. */
export const filterOptions: readonly OptionSpec[] = [
  { name: 'workflow', short: 'w', type: 'string', value: 'id', description: 'only this workflow' },
  { name: 'status', short: 's', type: 'string', value: 'status', description: 'only running, success, error or interrupted' },
  { name: 'trigger', type: 'string', value: 'type', description: 'only this trigger type (webhook, schedule, manual, …)' },
  { name: 'since', type: 'string', value: 'when', description: 'started at or after: a duration ago (12h, 30d) or an ISO date' },
  { name: 'until', type: 'string', value: 'when', description: 'started before: a duration ago or an ISO date' },
  { name: 'trace', type: 'string', value: 'trace-id', description: 'only runs started in this OpenTelemetry trace (32 hex digits)' },
  { name: 'parent', type: 'string', value: 'execution-id', description: 'only the child executions this one started' },
  { name: 'forked-from', type: 'string', value: 'execution-id', description: 'only the re-runs forked from this execution' },
  { name: 'tag', type: 'string', value: 'key=value', repeatable: true, description: 'only runs with this tag (repeat: all must match)' },
  {
    name: 'where',
    type: 'string',
    value: 'test',
    repeatable: true,
    description:
      "a step's data passes: output.code=05, input.user.id=42, output.note~text, output.amount>100, output.x, !output.x (repeatable: all on one step)",
  },
  { name: 'node', type: 'string', value: 'id', description: 'a step of this node id (with --where: the same step)' },
  { name: 'node-type', type: 'string', value: 'type', description: 'a step of this node type' },
  {
    name: 'step-status',
    type: 'string',
    value: 'status',
    description: 'a step that ended so: success, error, interrupted, skipped or running',
  },
];

/** A trace id as backends show it; stored lowercase, so an uppercase one is read as the same id. */
function parseTraceId(text: string): string {
  const id = text.trim().toLowerCase();
  if (!/^[0-9a-f]{32}$/.test(id)) throw new UsageError(`--trace ${text}: not a trace id (32 hex digits)`);
  return id;
}

export type ExecutionFilters = Omit<ListExecutionsQuery, 'limit' | 'cursor'>;

/**
 * Reads the shared filter flags into a store query.
 * @throws UsageError on a bad status or time, or a window that ends before it starts.
 */
export function readFilters(args: ParsedArgs, now = Date.now()): ExecutionFilters {
  const filters: ExecutionFilters = {};
  const workflow = args.string('workflow');
  const status = args.string('status');
  const trigger = args.string('trigger');
  const since = args.string('since');
  const until = args.string('until');
  if (workflow !== undefined) filters.workflowId = workflow;
  if (status !== undefined) filters.status = parseChoice(status, '--status', executionStatuses);
  if (trigger !== undefined) filters.triggerType = trigger;
  if (since !== undefined) filters.startedAfter = parseTimeBound(since, '--since', now);
  if (until !== undefined) filters.startedBefore = parseTimeBound(until, '--until', now);
  const trace = args.string('trace');
  if (trace !== undefined) filters.traceId = parseTraceId(trace);
  const parent = args.string('parent');
  if (parent !== undefined) filters.parentExecutionId = parent;
  const forkedFrom = args.string('forked-from');
  if (forkedFrom !== undefined) filters.forkedFromExecutionId = forkedFrom;
  const tags = parseTags(args.strings('tag'));
  if (tags !== undefined) filters.tags = tags;
  const where = args.strings('where').map(parseWhere);
  if (where.length > 0) filters.where = where;
  const node = args.string('node');
  const nodeType = args.string('node-type');
  const stepStatus = args.string('step-status');
  if (node !== undefined) filters.node = node;
  if (nodeType !== undefined) filters.nodeType = nodeType;
  if (stepStatus !== undefined) filters.stepStatus = parseChoice(stepStatus, '--step-status', STEP_STATUSES);
  if (filters.startedAfter !== undefined && filters.startedBefore !== undefined && filters.startedAfter >= filters.startedBefore) {
    throw new UsageError(`--since ${since} is not before --until ${until}`);
  }
  return filters;
}

const spec: CommandSpec = {
  name: 'list',
  summary: 'List executions, newest first.',
  description:
    'Pages with a cursor: when there are more rows than --limit, the last lines give the cursor and\n' +
    'the command that prints the next page. Pages do not shift while new executions arrive.\n' +
    'With --status running, each row also gives the step it is in now and how long it has run.\n' +
    'With --where, --node, --node-type or --step-status, only executions with a step that meets all of\n' +
    'them are listed, and each row names the steps that did. A --where value reads as a number, true,\n' +
    'false or null when it is one in JSON, else as text ("5" in quotes is the text 5). Redacted values\n' +
    'match only as [REDACTED]; a payload cut at maxDataSize only on its _truncated/_preview marker.',
  options: [
    ...filterOptions,
    { name: 'limit', short: 'n', type: 'string', value: 'n', description: 'rows per page, 1 to 1000 (default 20)' },
    { name: 'cursor', type: 'string', value: 'cursor', description: 'continue after the page that printed this cursor' },
    ...commonOptions,
  ],
  examples: [
    'flowtrail list',
    'flowtrail list --workflow order-sync --status error --since 24h',
    'flowtrail list --trigger webhook --since 2025-01-01 --until 2025-02-01 --json',
    'flowtrail list --limit 50 --cursor <cursor printed by the previous page>',
    'flowtrail list --status running',
    'flowtrail list --tag tenant=acme --tag region=eu',
    "flowtrail list --where 'output.code=05' --node charge",
    "flowtrail list --workflow checkout --since 24h --where 'input.customer.id=c-17' --where 'output.amount>100'",
    "flowtrail list --where 'output.error.message~declined' --step-status error",
  ],
};

/** `flowtrail list`: one page of executions, with the command for the next. */
export const listCommand: Command = {
  spec,
  async run(args, context) {
    noPositionals(args);
    const filters = readFilters(args);
    const limit = parseInteger(args.string('limit') ?? '20', '--limit', 1, 1000);
    const cursor = args.string('cursor');
    const { page, running } = await withStore(args, context, 'read', async (store) => {
      const listed = await store.listExecutions({ ...filters, limit, cursor });
      if (filters.status !== 'running') return { page: listed, running: undefined };
      const stepsOf = await store.getStepsOf(listed.items.map((execution) => execution.id));
      return { page: listed, running: runningNow(listed.items, stepsOf, Date.now()) };
    });
    if (args.flag('json')) {
      context.print(`${JSON.stringify(running ? { ...page, running } : page, null, 2)}\n`);
      return;
    }
    const palette = makePalette(context.color);
    if (page.items.length === 0) {
      context.print(cursor ? 'No more executions.\n' : 'No executions match.\n');
      return;
    }
    let text = running ? renderRunning(page.items, running, palette) : renderExecutions(page.items, palette, page.matchingSteps);
    if (page.nextCursor) {
      text += `\nNext cursor: ${page.nextCursor}\n`;
      text += `Next page:   ${nextPageCommand(args, page.nextCursor)}\n`;
    }
    context.print(text);
  },
};

/** The executions table of `list`; with the steps that met step conditions, a column naming them. */
export function renderExecutions(
  items: readonly WorkflowExecution[],
  palette: Palette,
  matchingSteps?: Record<string, ExecutionStep[]>,
): string {
  return renderTable(
    [
      { header: 'ID' },
      { header: 'WORKFLOW', maxWidth: 32 },
      { header: 'STATUS' },
      { header: 'TRIGGER', maxWidth: 16 },
      { header: 'STARTED' },
      { header: 'DURATION', align: 'right' },
      ...(matchingSteps ? [{ header: 'MATCHED STEPS', maxWidth: 40 }] : []),
    ],
    items.map((execution) => [
      execution.id,
      sanitize(execution.workflowId),
      colorStatus(execution.status, palette),
      sanitize(execution.triggerType),
      formatTime(execution.startedAt),
      formatDuration(execution.durationMs),
      ...(matchingSteps ? [sanitize(describeMatches(matchingSteps[execution.id] ?? []))] : []),
    ]),
    palette,
  );
}

/** `charge #3, refund #5`: node and step index, the first few. */
function describeMatches(steps: readonly ExecutionStep[]): string {
  const shown = steps.slice(0, 3).map((step) => `${step.nodeId} #${step.stepIndex}`);
  return steps.length > shown.length ? `${shown.join(', ')}, +${steps.length - shown.length}` : shown.join(', ');
}

/** The table of `list --status running`: where each execution is now, instead of a duration it does not have yet. */
function renderRunning(items: readonly WorkflowExecution[], running: Record<string, RunningNow>, palette: Palette): string {
  return renderTable(
    [
      { header: 'ID' },
      { header: 'WORKFLOW', maxWidth: 32 },
      { header: 'TRIGGER', maxWidth: 16 },
      { header: 'STARTED' },
      { header: 'ELAPSED', align: 'right' },
      { header: 'NOW', maxWidth: 48 },
    ],
    items.map((execution) => {
      const now = running[execution.id];
      return [
        execution.id,
        sanitize(execution.workflowId),
        sanitize(execution.triggerType),
        formatTime(execution.startedAt),
        formatDuration(now?.elapsedMs),
        sanitize(describeNow(now)),
      ];
    }),
    palette,
  );
}

function describeNow(now: RunningNow | undefined): string {
  if (!now) return '';
  const step = now.currentStep;
  if (step) return `${step.nodeId} (${step.nodeType}, step ${step.stepIndex}) for ${formatDuration(step.elapsedMs).trim()}`;
  return now.lastNodeId === null ? 'before its first step' : `between steps, after ${now.lastNodeId}`;
}

/** The same command with the new cursor: every flag as given (database ones too), ready to paste. */
function nextPageCommand(args: ParsedArgs, cursor: string): string {
  const parts = ['flowtrail', 'list'];
  for (const [option, value] of args.entries(spec)) {
    if (option.name === 'cursor' || option.name === 'help') continue;
    if (value === true) parts.push(`--${option.name}`);
    // Parsed back, `--workflow --x` would be a forgotten value; the `=` form keeps a leading dash.
    else if (value.startsWith('-')) parts.push(shellQuote(`--${option.name}=${value}`));
    else parts.push(`--${option.name}`, shellQuote(value));
  }
  parts.push('--cursor', cursor);
  return parts.join(' ');
}
