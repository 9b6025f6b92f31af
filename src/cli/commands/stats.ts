import type { ExecutionStats } from '../../store';
import { commonOptions, noPositionals, UsageError, type Command, type CommandSpec } from '../args';
import { parseTimeBound } from '../duration';
import { formatDuration, formatPercent, makePalette, renderTable, sanitize } from '../format';
import { withStore } from '../openStore';

const spec: CommandSpec = {
  name: 'stats',
  summary: 'Runs, outcomes, success rate and duration percentiles per workflow.',
  description:
    'Success rate is success / (success + error + interrupted). Durations (p50, p95, max) are over\n' +
    'runs that finished with success or error. Without --workflow, workflows with no run in the\n' +
    'window are left out.',
  options: [
    { name: 'workflow', short: 'w', type: 'string', value: 'id', description: 'only this workflow' },
    { name: 'since', type: 'string', value: 'when', description: 'runs started at or after: a duration ago (7d) or an ISO date' },
    { name: 'until', type: 'string', value: 'when', description: 'runs started before: a duration ago or an ISO date' },
    ...commonOptions,
  ],
  examples: ['flowtrail stats', 'flowtrail stats --since 7d', 'flowtrail stats --workflow order-sync --since 2025-01-01 --json'],
};

/** One row of `stats --json`. */
export type WorkflowStats = { workflowId: string } & ExecutionStats;

/** `flowtrail stats`: one row of store.getStats per workflow. */
export const statsCommand: Command = {
  spec,
  async run(args, context) {
    noPositionals(args);
    const now = Date.now();
    const workflowId = args.string('workflow');
    const sinceText = args.string('since');
    const untilText = args.string('until');
    const since = sinceText === undefined ? undefined : parseTimeBound(sinceText, '--since', now);
    const until = untilText === undefined ? undefined : parseTimeBound(untilText, '--until', now);
    if (since !== undefined && until !== undefined && since >= until)
      throw new UsageError(`--since ${sinceText} is not before --until ${untilText}`);

    const rows = await withStore(args, context, 'read', async (store) => {
      const ids = workflowId === undefined ? await store.listWorkflowIds() : [workflowId];
      const result: WorkflowStats[] = [];
      for (const id of ids) {
        const stats = await store.getStats({ workflowId: id, since, until });
        if (stats.total > 0 || workflowId !== undefined) result.push({ workflowId: id, ...stats });
      }
      return result;
    });

    if (args.flag('json')) {
      context.print(`${JSON.stringify(rows, null, 2)}\n`);
      return;
    }
    if (rows.length === 0) {
      context.print('No executions in this window.\n');
      return;
    }
    const palette = makePalette(context.color);
    const count = (n: number) => String(n);
    context.print(
      renderTable(
        [
          { header: 'WORKFLOW', maxWidth: 40 },
          { header: 'RUNS', align: 'right' },
          { header: 'SUCCESS', align: 'right' },
          { header: 'ERROR', align: 'right' },
          { header: 'RUNNING', align: 'right' },
          { header: 'INTERRUPTED', align: 'right' },
          { header: 'SUCCESS %', align: 'right' },
          { header: 'P50', align: 'right' },
          { header: 'P95', align: 'right' },
          { header: 'MAX', align: 'right' },
        ],
        rows.map((row) => [
          sanitize(row.workflowId),
          count(row.total),
          count(row.success),
          row.error > 0 ? palette.red(count(row.error)) : count(row.error),
          count(row.running),
          row.interrupted > 0 ? palette.yellow(count(row.interrupted)) : count(row.interrupted),
          formatPercent(row.successRate),
          formatDuration(row.p50DurationMs),
          formatDuration(row.p95DurationMs),
          formatDuration(row.maxDurationMs),
        ]),
        palette,
      ),
    );
  },
};
