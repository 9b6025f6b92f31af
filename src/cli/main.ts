#!/usr/bin/env node
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { FlowtrailError, QueryError } from '../errors';
import {
  CliError,
  commonOptions,
  parseCommandArgs,
  renderCommandHelp,
  renderOptions,
  splitCommand,
  suggest,
  UsageError,
  wantsHelp,
  type Command,
  type CommandContext,
} from './args';
import { diffCommand } from './commands/diff';
import { exportCommand } from './commands/export';
import { listCommand } from './commands/list';
import { migrateCommand } from './commands/migrate';
import { pruneCommand } from './commands/prune';
import { showCommand } from './commands/show';
import { statsCommand } from './commands/stats';
import { tailCommand } from './commands/tail';
import { uiCommand } from './commands/ui';
import { colorEnabled } from './format';

const commands: readonly Command[] = [
  listCommand,
  showCommand,
  diffCommand,
  tailCommand,
  statsCommand,
  pruneCommand,
  exportCommand,
  migrateCommand,
  uiCommand,
];

/** Runs one command line. @returns the exit code: 0, 1 for runtime errors, 2 for usage errors. */
async function main(argv: readonly string[], context: CommandContext): Promise<number> {
  let { command: name, rest } = splitCommand(argv);
  if (name === 'help') {
    // `flowtrail help list` is `flowtrail list --help`.
    [name, rest] = [rest.find((token) => !token.startsWith('-')), ['--help']];
  }
  if (name === undefined) {
    if (rest.includes('--version') || rest.includes('-v')) return (context.print(`${version()}\n`), 0);
    if (wantsHelp(rest)) return (context.print(topHelp()), 0);
    const known = new Set(commonOptions.map((option) => `--${option.name}`));
    const unknown = rest.find((token) => token.startsWith('-') && !known.has(token.split('=')[0] as string));
    if (unknown !== undefined) throw new UsageError(`unknown option ${unknown.split('=')[0]} (see flowtrail --help)`);
    if (rest.length > 0)
      throw new UsageError('missing command: list, show, diff, tail, stats, prune, export, migrate or ui (see flowtrail --help)');
    process.stderr.write(topHelp());
    return 2;
  }
  const command = commands.find((candidate) => candidate.spec.name === name);
  if (!command) {
    const hint = suggest(
      name,
      commands.map((candidate) => candidate.spec.name),
    );
    throw new UsageError(`unknown command ${JSON.stringify(name)}${hint ? ` (did you mean ${hint}?)` : ''}; see flowtrail --help`);
  }
  if (wantsHelp(rest)) return (context.print(renderCommandHelp(command.spec)), 0);
  await command.run(parseCommandArgs(rest, command.spec), context);
  return 0;
}

function topHelp(): string {
  const width = Math.max(...commands.map((command) => command.spec.name.length));
  return [
    `flowtrail ${version()}: the execution history of your workflows`,
    '',
    'Usage: flowtrail <command> [options]',
    '',
    'Commands:',
    ...commands.map((command) => `  ${command.spec.name.padEnd(width)}  ${command.spec.summary}`),
    '',
    'Options (every command):',
    ...renderOptions([...commonOptions, { name: 'version', short: 'v', type: 'boolean', description: 'print the version' }]),
    '',
    'Environment:',
    '  FLOWTRAIL_DB     the database when no --db/--url is given: a SQLite file, or a postgres:// or mysql:// URL',
    '  NO_COLOR         set (to anything) to never colour output; wins over FORCE_COLOR',
    '  FORCE_COLOR      colour even when stdout is not a terminal ("0" or "false": never)',
    '  FLOWTRAIL_DEBUG  print stack traces with errors',
    '',
    'Examples:',
    '  flowtrail list --status error --since 24h',
    '  flowtrail show <executionId> --data',
    '  flowtrail diff <executionA> <executionB>',
    '  flowtrail tail --workflow order-sync --json',
    '  flowtrail stats --since 7d',
    '  flowtrail prune --older-than 30d --dry-run',
    '  flowtrail export --format csv --steps --out steps.csv',
    '  flowtrail list --url postgres://user@db:5432/app --schema history',
    '  flowtrail list --url mysql://user@db:3306/app',
    '  flowtrail ui',
    '',
    'Run "flowtrail <command> --help" for the options of one command.',
    '',
  ].join('\n');
}

/** The version in package.json: two folders up from this file both in src/cli and in dist/cli. */
function version(): string {
  const pkg = JSON.parse(readFileSync(join(__dirname, '..', '..', 'package.json'), 'utf8')) as { version: string };
  return pkg.version;
}

/** One line on stderr, and the exit code for it; the stack only when FLOWTRAIL_DEBUG asks. */
function report(error: unknown, env: NodeJS.ProcessEnv): number {
  const message = error instanceof Error ? error.message || error.name : String(error);
  process.stderr.write(`flowtrail: ${message.replace(/\s*[\r\n]+\s*/g, ' ').trim()}\n`);
  if (env.FLOWTRAIL_DEBUG) process.stderr.write(`${debugDetails(error)}\n`);
  if (error instanceof CliError) return error.exitCode;
  // A bad --cursor reaches us as the store's QueryError: the command line is what is wrong.
  if (error instanceof QueryError) return 2;
  return 1;
}

function debugDetails(error: unknown): string {
  const parts: string[] = [];
  for (let cause: unknown = error, depth = 0; cause !== undefined && depth < 5; depth++) {
    parts.push(cause instanceof Error ? (cause.stack ?? cause.message) : String(cause));
    cause = cause instanceof FlowtrailError || cause instanceof Error ? cause.cause : undefined;
    if (cause !== undefined) parts.push('Caused by:');
  }
  return parts.join('\n');
}

// A reader that goes away (`flowtrail list | head -1`) is not an error worth a stack trace.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code !== 'EPIPE') process.exitCode = report(error, process.env);
});

const context: CommandContext = {
  stdout: process.stdout,
  print: (text) => void process.stdout.write(text),
  warn: (text) => void process.stderr.write(text),
  env: process.env,
  color: colorEnabled(process.stdout, process.env),
};

main(process.argv.slice(2), context).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.exitCode = report(error, process.env);
  },
);
