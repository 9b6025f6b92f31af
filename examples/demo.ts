/**
 * `npm run demo`: runs the example workflows on the embedded SQLite history (or FLOWTRAIL_DB),
 * then reads the history back from the database and prints it.
 */
import { relative } from 'node:path';
import { ExecutionLogger, ExecutionStore, WorkflowRunner, type ExecutionStep, type RunResult, type WorkflowExecution } from '../src';
import { BURST, DEMO_RUNS, runBurst } from './demoRuns';
import { orderProcessing } from './workflows';

const BAR_WIDTH = 32;

// Colour only for a terminal: piped output (CI logs, files) stays plain text. NO_COLOR always wins.
const useColor =
  process.env.NO_COLOR === undefined &&
  (process.env.FORCE_COLOR ? process.env.FORCE_COLOR !== '0' : process.stdout.isTTY === true && process.env.TERM !== 'dumb');
const sgr = (code: number) => (text: string) => (useColor ? `\u001b[${code}m${text}\u001b[0m` : text);
const [bold, dim, red, green, yellow] = [sgr(1), sgr(2), sgr(31), sgr(32), sgr(33)];
const byStatus: Record<string, (text: string) => string> = { success: green, error: red, skipped: dim, interrupted: yellow };

async function main(): Promise<void> {
  const store = await ExecutionStore.open();
  const logger = new ExecutionLogger(store);
  ExecutionLogger.setDefault(logger);
  await logger.ready;
  // No logger given: the runner records through the default one set above.
  const runner = new WorkflowRunner();
  console.log(`${bold('flowtrail demo')}: recording to ${store.target}\n`);

  const burstStart = Date.now();
  const burst = await runBurst(runner);
  const succeeded = burst.filter((outcome) => outcome.status === 'fulfilled').length;
  report(`${BURST} concurrent order-processing runs`, `${succeeded}/${BURST} succeeded in ${Date.now() - burstStart} ms`);

  for (const demo of DEMO_RUNS) await showRun(demo.title, () => demo.run(runner), demo.describe);

  // Everything below is read back from the database, after the logger wrote all it had queued.
  await logger.shutdown();

  const recent = await store.listExecutions({ limit: 10 });
  console.log(`\n${bold('10 most recent executions')} ${dim('(store.listExecutions)')}`);
  const stepCounts = await Promise.all(recent.items.map(async (execution) => (await store.getSteps(execution.id)).length));
  console.log(
    table(
      ['ID', 'WORKFLOW', 'STATUS', 'TRIGGER', 'STEPS', 'DURATION'],
      recent.items.map((execution, i) => [
        `…${execution.id.slice(-8)}`,
        execution.workflowId + (execution.parentExecutionId ? ' (child)' : ''),
        execution.status,
        execution.triggerType,
        String(stepCounts[i]),
        `${execution.durationMs ?? '-'} ms`,
      ]),
      { 2: (status) => (byStatus[status] ?? String)(status) },
      [4, 5],
    ),
  );

  const [parallel] = (await store.listExecutions({ workflowId: orderProcessing.id, triggerType: 'manual', limit: 1 })).items;
  if (parallel) {
    const steps = await store.getSteps(parallel.id);
    console.log(`\n${bold(`Step timeline of ${parallel.workflowName}`)} ${dim(`(execution ${parallel.id})`)}`);
    console.log(timeline(parallel, steps));
  }

  const where = relative(process.cwd(), store.target) || store.target;
  const dbFlag = store.dialect === 'sqlite' ? `--db ${where}` : '--url <your FLOWTRAIL_DB url>';
  console.log(`\nHistory database: ${store.target}`);
  console.log('Look further with the CLI:');
  console.log(`  npx flowtrail list ${dbFlag}`);
  console.log(`  npx flowtrail show ${parallel?.id ?? '<executionId>'} ${dbFlag}`);
  console.log(`  npx flowtrail stats ${dbFlag}`);
  console.log('Or open it in the browser:');
  console.log(`  npx flowtrail ui ${dbFlag}`);
  await store.close();
}

/** Runs one example and prints one line about it; a failing workflow is reported, not thrown. */
async function showRun(title: string, run: () => Promise<RunResult>, describe?: (result: RunResult) => string): Promise<void> {
  const startedAt = Date.now();
  try {
    const result = await run();
    report(title, `${green('success')} in ${Date.now() - startedAt} ms${describe ? `, ${describe(result)}` : ''}`);
  } catch (error) {
    report(title, `${red('error')} (caught by the demo): ${error instanceof Error ? error.message : String(error)}`);
  }
}

function report(title: string, outcome: string): void {
  console.log(`  ${title.padEnd(40, '.')} ${outcome}`);
}

/** Columns padded on the plain text, coloured afterwards, so escapes never break the alignment. */
function table(
  headers: string[],
  rows: string[][],
  paint: Record<number, (cell: string) => string> = {},
  rightAligned: number[] = [],
): string {
  const widths = headers.map((header, column) => Math.max(header.length, ...rows.map((row) => (row[column] ?? '').length)));
  const line = (cells: string[], colour: boolean) =>
    cells
      .map((cell, column) => {
        const width = widths[column] ?? 0;
        const padded = rightAligned.includes(column) ? cell.padStart(width) : cell.padEnd(width);
        const painter = colour ? paint[column] : undefined;
        return painter ? padded.replace(cell, painter(cell)) : padded;
      })
      .join('  ')
      .trimEnd();
  return [dim(line(headers, false)), ...rows.map((row) => line(row, true))].map((text) => `  ${text}`).join('\n');
}

/** Each step as a bar placed on the execution's time axis: parallel steps show side by side. */
function timeline(execution: WorkflowExecution, steps: ExecutionStep[]): string {
  const start = execution.startedAt;
  const end = Math.max(execution.completedAt ?? start, ...steps.map((step) => step.completedAt ?? step.startedAt));
  const span = Math.max(1, end - start);
  const rows = steps.map((step) => {
    const from = Math.min(BAR_WIDTH - 1, Math.round(((step.startedAt - start) / span) * BAR_WIDTH));
    const length = Math.max(1, Math.min(BAR_WIDTH - from, Math.round(((step.durationMs ?? 0) / span) * BAR_WIDTH)));
    const bar = `${'·'.repeat(from)}${'█'.repeat(length)}${'·'.repeat(BAR_WIDTH - from - length)}`;
    return [String(step.stepIndex), step.nodeId, step.nodeType, step.status, `${step.durationMs ?? '-'} ms`, bar];
  });
  const axis = `0 ms ${'─'.repeat(Math.max(1, BAR_WIDTH - `0 ms  ${span} ms`.length))} ${span} ms`;
  return table(['#', 'NODE', 'TYPE', 'STATUS', 'DURATION', axis], rows, { 3: (status) => (byStatus[status] ?? String)(status) }, [0, 4]);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
