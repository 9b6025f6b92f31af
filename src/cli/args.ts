/**
 * The CLI's argv parser and help renderer. Hand-written (no dependency) so that every message is
 * ours: one line, naming the flag and the command, with a "did you mean" when there is a near miss.
 */

/** A failure the user can fix by running something else. `exitCode` is 1 for runtime errors. */
export class CliError extends Error {
  readonly exitCode: number = 1;
}

/** The command line itself is wrong (unknown flag, bad value, missing argument): exit code 2. */
export class UsageError extends CliError {
  override readonly exitCode: number = 2;
}

// On the prototypes, so that stacks (FLOWTRAIL_DEBUG) name the class: they are captured in the constructor.
CliError.prototype.name = 'CliError';
UsageError.prototype.name = 'UsageError';

export interface OptionSpec {
  /** Long name without dashes: `workflow` is `--workflow`. */
  name: string;
  /** One letter: `o` is `-o`. */
  short?: string;
  type: 'string' | 'boolean';
  /** Placeholder shown in help for a string option: `--since <when>`. */
  value?: string;
  /** A string option that may be given more than once; read with `strings()`. */
  repeatable?: boolean;
  description: string;
}

export interface CommandSpec {
  name: string;
  /** One line, for the top-level command list. */
  summary: string;
  /** Positional arguments as they appear in the usage line, e.g. `<executionId>`. */
  positionals?: string;
  /** Longer text under the usage line. */
  description?: string;
  options: readonly OptionSpec[];
  examples: readonly string[];
}

/** The parsed command line of one command. */
export class ParsedArgs {
  constructor(
    readonly command: string,
    private readonly values: ReadonlyMap<string, string | true | string[]>,
    readonly positionals: readonly string[],
  ) {}

  /** The value of a string option, or undefined when it was not given. */
  string(name: string): string | undefined {
    const value = this.values.get(name);
    return typeof value === 'string' ? value : undefined;
  }

  /** Every value of a repeatable option, in the order given. */
  strings(name: string): string[] {
    const value = this.values.get(name);
    return Array.isArray(value) ? [...value] : [];
  }

  flag(name: string): boolean {
    return this.values.get(name) === true;
  }

  /** The options as given, in spec order (a repeated one once per value): used to print the command for the next page. */
  entries(spec: CommandSpec): [OptionSpec, string | true][] {
    const result: [OptionSpec, string | true][] = [];
    for (const option of spec.options) {
      const value = this.values.get(option.name);
      if (Array.isArray(value)) for (const each of value) result.push([option, each]);
      else if (value !== undefined) result.push([option, value]);
    }
    return result;
  }
}

/** Options every command takes: where the database is, and how to print. */
export const commonOptions: readonly OptionSpec[] = [
  { name: 'db', type: 'string', value: 'file', description: 'SQLite history file (default: $FLOWTRAIL_DB or ./.flowtrail/history.sqlite)' },
  { name: 'url', type: 'string', value: 'postgres://…', description: 'PostgreSQL or MySQL/MariaDB (mysql://…) URL instead of a file' },
  { name: 'schema', type: 'string', value: 'name', description: 'PostgreSQL schema holding the tables (default: public)' },
  { name: 'json', type: 'boolean', description: 'print machine-readable JSON' },
  { name: 'help', short: 'h', type: 'boolean', description: 'show this help' },
];

/**
 * Splits argv into the command name and its arguments. Common options may come before the
 * command (`flowtrail --db x.sqlite list`), so their values are skipped while looking for it.
 */
export function splitCommand(argv: readonly string[]): { command: string | undefined; rest: string[] } {
  const valued = new Set(commonOptions.filter((option) => option.type === 'string').map((option) => `--${option.name}`));
  for (let i = 0; i < argv.length; i++) {
    const token = argv[i] as string;
    if (token === '--') break;
    if (token.startsWith('-') && token !== '-') {
      if (valued.has(token)) i++;
      continue;
    }
    return { command: token, rest: [...argv.slice(0, i), ...argv.slice(i + 1)] };
  }
  return { command: undefined, rest: [...argv] };
}

/** Whether `-h`/`--help` appears before any `--`: help wins over every other mistake on the line. */
export function wantsHelp(argv: readonly string[]): boolean {
  for (const token of argv) {
    if (token === '--') return false;
    if (token === '--help' || token === '-h') return true;
  }
  return false;
}

/**
 * Parses a command's arguments against its spec.
 * @throws UsageError on an unknown option, a missing or unexpected value, or a repeated option.
 */
export function parseCommandArgs(argv: readonly string[], spec: CommandSpec): ParsedArgs {
  const byLong = new Map(spec.options.map((option) => [option.name, option]));
  const byShort = new Map(spec.options.filter((option) => option.short).map((option) => [option.short as string, option]));
  const values = new Map<string, string | true | string[]>();
  const positionals: string[] = [];
  const where = `for "flowtrail ${spec.name}"`;

  for (let i = 0; i < argv.length; i++) {
    const token = argv[i] as string;
    if (token === '--') {
      positionals.push(...argv.slice(i + 1));
      break;
    }
    if (!token.startsWith('-') || token === '-') {
      positionals.push(token);
      continue;
    }
    const long = token.startsWith('--');
    const eq = long ? token.indexOf('=') : -1;
    const name = long ? token.slice(2, eq === -1 ? undefined : eq) : token.slice(1);
    const option = long ? byLong.get(name) : byShort.get(name);
    if (!option) {
      const hint = suggest(name, [...byLong.keys()]);
      throw new UsageError(
        `unknown option ${token.slice(0, eq === -1 ? undefined : eq)} ${where}${hint ? ` (did you mean --${hint}?)` : ''}`,
      );
    }
    const flag = `--${option.name}`;
    if (values.has(option.name) && !option.repeatable) throw new UsageError(`${flag} given more than once`);
    if (option.type === 'boolean') {
      if (eq !== -1) throw new UsageError(`${flag} takes no value`);
      values.set(option.name, true);
      continue;
    }
    let value: string | undefined;
    if (eq !== -1) value = token.slice(eq + 1);
    else {
      const next = argv[i + 1];
      // `--limit --json` is a forgotten value, not a limit of "--json"; `--x=--odd` still works.
      if (next !== undefined && !next.startsWith('--')) {
        value = next;
        i++;
      }
    }
    if (value === undefined || value === '')
      throw new UsageError(`${flag} needs a value${option.value ? ` (${flag} <${option.value}>)` : ''}`);
    if (option.repeatable) values.set(option.name, [...((values.get(option.name) as string[] | undefined) ?? []), value]);
    else values.set(option.name, value);
  }
  return new ParsedArgs(spec.name, values, positionals);
}

/** The closest candidate within a small edit distance, for "did you mean". */
export function suggest(input: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Math.max(2, Math.floor(input.length / 3)) + 1;
  for (const candidate of candidates) {
    const distance = candidate.startsWith(input) && input.length >= 2 ? 1 : editDistance(input, candidate);
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  return best;
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const substitution = (previous[j - 1] as number) + (a[i - 1] === b[j - 1] ? 0 : 1);
      current.push(Math.min((previous[j] as number) + 1, (current[j - 1] as number) + 1, substitution));
    }
    previous = current;
  }
  return previous[b.length] as number;
}

/** Parses a whole number option in [min, max]. @throws UsageError naming the flag. */
export function parseInteger(text: string, flag: string, min: number, max: number): number {
  const value = /^\d+$/.test(text) ? Number(text) : NaN;
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    throw new UsageError(`invalid ${flag} ${JSON.stringify(text)} (expected a whole number from ${min} to ${max})`);
  }
  return value;
}

/** Checks a value against a fixed set. @throws UsageError listing the allowed values. */
export function parseChoice<T extends string>(text: string, flag: string, choices: readonly T[]): T {
  if ((choices as readonly string[]).includes(text)) return text as T;
  const hint = suggest(text, choices);
  throw new UsageError(
    `invalid ${flag} ${JSON.stringify(text)} (expected one of ${choices.join(', ')}${hint ? `; did you mean ${hint}?` : ''})`,
  );
}

/** Help text of one command, built from its spec so that it cannot drift from what is parsed. */
export function renderCommandHelp(spec: CommandSpec): string {
  const lines = [`Usage: flowtrail ${spec.name}${spec.positionals ? ` ${spec.positionals}` : ''} [options]`, '', spec.summary];
  if (spec.description) lines.push('', spec.description);
  lines.push('', 'Options:', ...renderOptions(spec.options), '', 'Examples:', ...spec.examples.map((example) => `  ${example}`));
  return `${lines.join('\n')}\n`;
}

/** The options section: one aligned line per option. */
export function renderOptions(options: readonly OptionSpec[]): string[] {
  const labels = options.map((option) => {
    const long = `--${option.name}${option.type === 'string' ? ` <${option.value ?? 'value'}>` : ''}`;
    return option.short ? `-${option.short}, ${long}` : `    ${long}`;
  });
  const width = Math.max(...labels.map((label) => label.length));
  return options.map((option, i) => `  ${(labels[i] as string).padEnd(width)}  ${option.description}`);
}

/** What a command runs with: the streams and environment, chosen once by main. */
export interface CommandContext {
  /** Where results go. Commands other than export print a whole result at once through `print`. */
  stdout: NodeJS.WritableStream;
  print(text: string): void;
  /** Notes that are not results (stderr): what the user should know, that a pipe must not receive. */
  warn(text: string): void;
  env: NodeJS.ProcessEnv;
  /** Whether stdout gets colour (TTY, NO_COLOR, FORCE_COLOR already decided). */
  color: boolean;
}

/** One `flowtrail <name>` command: its spec (for parsing and help) and what it does. */
export interface Command {
  spec: CommandSpec;
  run(args: ParsedArgs, context: CommandContext): Promise<void>;
}

/** Refuses positional arguments a command does not take (a typo such as `list wf-1` for `--workflow wf-1`). */
export function noPositionals(args: ParsedArgs): void {
  const [first] = args.positionals;
  if (first !== undefined) {
    throw new UsageError(
      `unexpected argument ${JSON.stringify(first)} for "flowtrail ${args.command}" (see flowtrail ${args.command} --help)`,
    );
  }
}
