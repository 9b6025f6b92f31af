import type { ExecutionStore } from '../../store';
import type { RetentionOptions } from '../../store';
import { commonOptions, noPositionals, parseChoice, parseInteger, UsageError, type Command, type CommandSpec } from '../args';
import { parseDuration } from '../duration';
import { withStore } from '../openStore';

const spec: CommandSpec = {
  name: 'prune',
  summary: 'Delete old executions (with their steps) from the history.',
  description:
    'Give one rule: --older-than removes executions that started longer ago than the duration;\n' +
    '--keep keeps the newest <n> finished executions of each workflow and removes the rest.\n' +
    'With --status, only executions that ended so (--keep then counts among them).\n' +
    'Running executions are never removed. --dry-run only counts what would go.',
  options: [
    {
      name: 'older-than',
      type: 'string',
      value: 'duration',
      description: 'remove executions started before this long ago (30d, 12h, 90m)',
    },
    { name: 'keep', type: 'string', value: 'n', description: 'keep the newest n finished executions per workflow' },
    { name: 'status', type: 'string', value: 'status', description: 'only executions that ended so: success, error or interrupted' },
    { name: 'dry-run', type: 'boolean', description: 'count what would be removed, remove nothing' },
    ...commonOptions,
  ],
  examples: [
    'flowtrail prune --older-than 30d',
    'flowtrail prune --keep 1000 --dry-run',
    'flowtrail prune --status success --older-than 7d',
    'flowtrail prune --older-than 12h --json',
  ],
};

const FINISHED_STATUSES = ['success', 'error', 'interrupted'] as const;

type Rule = { kind: 'age'; text: string; maxAgeMs: number } | { kind: 'keep'; keep: number };

/** `flowtrail prune`: the store's retention, by age or by count, or a count of what it would remove. */
export const pruneCommand: Command = {
  spec,
  async run(args, context) {
    noPositionals(args);
    const rule = readRule(args.string('older-than'), args.string('keep'));
    const statusText = args.string('status');
    const options: RetentionOptions = statusText === undefined ? {} : { status: parseChoice(statusText, '--status', FINISHED_STATUSES) };
    const dryRun = args.flag('dry-run');
    const count = await withStore(args, context, dryRun ? 'read' : 'write', (store) =>
      dryRun ? countRemovable(store, rule, options) : remove(store, rule, options),
    );

    if (args.flag('json')) {
      context.print(`${JSON.stringify(dryRun ? { removed: 0, wouldRemove: count, dryRun: true } : { removed: count })}\n`);
      return;
    }
    const what = `${count}${options.status ? ` ${options.status}` : ''} execution${count === 1 ? '' : 's'}`;
    const why = rule.kind === 'age' ? `started more than ${rule.text} ago` : `beyond the newest ${rule.keep} finished per workflow`;
    context.print(dryRun ? `Would remove ${what} ${why} (dry run: nothing was deleted).\n` : `Removed ${what} ${why}.\n`);
  },
};

function readRule(olderThan: string | undefined, keep: string | undefined): Rule {
  if (olderThan !== undefined && keep !== undefined) throw new UsageError('give --older-than or --keep, not both');
  if (olderThan !== undefined) return { kind: 'age', text: olderThan, maxAgeMs: parseDuration(olderThan, '--older-than') };
  if (keep !== undefined) return { kind: 'keep', keep: parseInteger(keep, '--keep', 0, Number.MAX_SAFE_INTEGER) };
  throw new UsageError('prune needs a rule: --older-than <duration> or --keep <n> (see flowtrail prune --help)');
}

function remove(store: ExecutionStore, rule: Rule, options: RetentionOptions): Promise<number> {
  return rule.kind === 'age' ? store.cleanupOldExecutions(rule.maxAgeMs, options) : store.cleanupExcessExecutions(rule.keep, options);
}

/** What the store's cleanup would remove, counted by the store with the conditions it deletes by. */
function countRemovable(store: ExecutionStore, rule: Rule, options: RetentionOptions): Promise<number> {
  return rule.kind === 'age' ? store.countOldExecutions(rule.maxAgeMs, options) : store.countExcessExecutions(rule.keep, options);
}
