import { once } from 'node:events';
import { STEP_STATUSES } from '../../entities/ExecutionStep';
import type { ExecutionStep, WorkflowExecution } from '../../entities';
import type { FollowEvent } from '../../store';
import { commonOptions, noPositionals, parseChoice, UsageError, type Command, type CommandSpec } from '../args';
import { parseDuration, parseTimeBound } from '../duration';
import { colorStatus, formatDuration, formatTime, makePalette, sanitize, type Palette } from '../format';
import { withStore } from '../openStore';

const spec: CommandSpec = {
  name: 'tail',
  summary: 'Follow the history as it is written: new executions, their steps, and their changes.',
  description:
    'One line per event, as every process writing to this database commits it: an execution or a\n' +
    'step that started, and the end of one that was running. --json prints one JSON object per\n' +
    'line (NDJSON). Runs until Ctrl-C, or until the reader of its output goes away.',
  options: [
    { name: 'workflow', short: 'w', type: 'string', value: 'id', description: "only this workflow's executions and their steps" },
    {
      name: 'status',
      short: 's',
      type: 'string',
      value: 'status',
      description: 'only rows written with, or changed to: running, success, error, interrupted, skipped',
    },
    {
      name: 'since',
      type: 'string',
      value: 'when',
      description: 'start from rows started this long ago (5m) or at an ISO date (default: now)',
    },
    { name: 'interval', type: 'string', value: 'duration', description: 'how often to look for new rows, 10ms to 60s (default 100ms)' },
    ...commonOptions,
  ],
  examples: [
    'flowtrail tail',
    'flowtrail tail --workflow order-sync --status error',
    'flowtrail tail --since 10m --json | jq -c "select(.type == \\"step\\")"',
  ],
};

/** `flowtrail tail`: `store.follow()` on a terminal, until Ctrl-C or a closed pipe. */
export const tailCommand: Command = {
  spec,
  async run(args, context) {
    noPositionals(args);
    const workflowId = args.string('workflow');
    const statusText = args.string('status');
    const status = statusText === undefined ? undefined : parseChoice(statusText, '--status', STEP_STATUSES);
    const sinceText = args.string('since');
    // A time before 1970 is the start of the history.
    const since = sinceText === undefined ? undefined : Math.max(0, parseTimeBound(sinceText, '--since'));
    const pollIntervalMs = parseInterval(args.string('interval'));
    const json = args.flag('json');
    const palette = makePalette(context.color);
    const stdout = context.stdout;

    // Ctrl-C, a kill, or a reader gone (`| head -3`): end the loop, close the store, exit 0.
    // A second Ctrl-C finds no handler and kills the process, should closing ever hang.
    const stop = new AbortController();
    const onSignal = () => stop.abort();
    const onError = () => stop.abort();
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
    stdout.on('error', onError);
    const write = async (text: string) => {
      if (stop.signal.aborted) return;
      if (stdout.write(text)) return;
      // A slow reader: wait for it rather than buffer without bound.
      await once(stdout, 'drain', { signal: stop.signal }).catch(() => undefined);
    };
    try {
      await withStore(args, context, 'read', async (store) => {
        const events = store.follow({ since, workflowId, status, signal: stop.signal, pollIntervalMs });
        context.warn(`flowtrail: following ${store.target} (Ctrl-C to stop)\n`);
        for await (const event of events) {
          await write(json ? `${JSON.stringify(event)}\n` : `${renderEvent(event, palette)}\n`);
        }
      });
    } finally {
      process.removeListener('SIGINT', onSignal);
      process.removeListener('SIGTERM', onSignal);
      stdout.removeListener('error', onError);
    }
  },
};

function parseInterval(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const ms = parseDuration(text, '--interval');
  if (ms < 10 || ms > 60_000) throw new UsageError(`--interval ${text} is out of range (10ms to 60s)`);
  return ms;
}

/**
 * One event on one line: when, the status, what (execution or step, its id), and which:
 * `2026-11-30 15:04:05.123  running  execution 0193…  order-sync`
 * `2026-11-30 15:04:05.311  success  step      0193…  #0 fetch (http)  of 0193…  188ms`
 */
export function renderEvent(event: FollowEvent, palette: Palette): string {
  const row: WorkflowExecution | ExecutionStep = event.type === 'execution' ? event.execution : event.step;
  const at = event.change === 'updated' ? (row.completedAt ?? row.startedAt) : row.startedAt;
  const parts = [formatTime(at, { millis: true }), padStatus(row.status, palette)];
  if (event.type === 'execution') {
    parts.push(`execution ${event.execution.id}`, sanitize(event.execution.workflowId));
  } else {
    const step = event.step;
    parts.push(
      `step      ${step.id}`,
      `#${step.stepIndex} ${sanitize(step.nodeId)} (${sanitize(step.nodeType)})`,
      `of ${step.executionId}`,
    );
  }
  if (row.status !== 'running' && row.durationMs !== null) parts.push(formatDuration(row.durationMs));
  if (row.errorMessage) parts.push(palette.red(sanitize(oneLine(row.errorMessage))));
  return parts.join('  ');
}

/** The status word padded to the longest one, so that the columns after it line up (colour codes have no width). */
function padStatus(status: string, palette: Palette): string {
  return colorStatus(status, palette) + ' '.repeat(Math.max(0, 'interrupted'.length - status.length));
}

function oneLine(text: string): string {
  const first = text.split('\n', 1)[0] ?? '';
  return first.length > 200 ? `${first.slice(0, 200)}…` : first;
}
