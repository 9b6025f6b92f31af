import { closeSync, createWriteStream, openSync, realpathSync, renameSync, statSync, unlinkSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import type { ExecutionStore } from '../../store';
import { PRIVATE_FILE_MODE } from '../../makeFolder';
import { executionsTable, jsonPropertiesOf, propertiesOf, stepsTable } from '../../store/schema';
import { CliError, commonOptions, noPositionals, parseChoice, UsageError, type Command, type CommandSpec } from '../args';
import { resolveTarget, withStore } from '../openStore';
import { filterOptions, readFilters, type ExecutionFilters } from './list';

/** Executions per query. With steps fewer, since each may carry up to maxDataSize of data per step. */
const PAGE_SIZE = 500;
const PAGE_SIZE_WITH_STEPS = 100;

const EXECUTION_FIELDS = propertiesOf(executionsTable);
const STEP_FIELDS = propertiesOf(stepsTable);

/** Columns holding captured values: written to CSV as JSON text, so they read back exactly. */
const JSON_FIELDS = new Set<string>([...jsonPropertiesOf(executionsTable), ...jsonPropertiesOf(stepsTable)]);

const spec: CommandSpec = {
  name: 'export',
  summary: 'Stream executions (and their steps) as NDJSON or CSV, to stdout or a file.',
  description:
    'Reads the history a page at a time, so any number of rows streams in constant memory.\n' +
    'NDJSON: one execution per line; with --steps each line has a "steps" array.\n' +
    'CSV (RFC 4180, header row, CRLF): one row per execution; with --steps one row per step\n' +
    'instead (join on executionId). Data columns hold JSON text; empty means null.\n' +
    'Times are epoch milliseconds. Takes the same filters as list.',
  options: [
    { name: 'format', short: 'f', type: 'string', value: 'ndjson|csv', description: 'output format (default ndjson)' },
    {
      name: 'out',
      short: 'o',
      type: 'string',
      value: 'file',
      description: 'write to this file (complete or not at all) instead of stdout',
    },
    { name: 'steps', type: 'boolean', description: 'include steps (see above)' },
    ...filterOptions,
    ...commonOptions,
  ],
  examples: [
    'flowtrail export --format ndjson --since 7d > last-week.ndjson',
    'flowtrail export --format csv --steps --workflow order-sync --out steps.csv',
    'flowtrail export --status error | head -n 5',
  ],
};

/** `flowtrail export`: every matching execution (and step), streamed page by page. */
export const exportCommand: Command = {
  spec,
  async run(args, context) {
    noPositionals(args);
    const format = parseChoice(args.string('format') ?? 'ndjson', '--format', ['ndjson', 'csv'] as const);
    const filters = readFilters(args);
    const withSteps = args.flag('steps');
    const outArg = args.string('out');
    const out = outArg === undefined ? undefined : resolve(outArg);
    const target = resolveTarget(args, context.env);
    if (out !== undefined && target.kind === 'sqlite') refuseDatabaseFiles(out, target.path);

    const counts = await withStore(args, context, 'read', async (store) => {
      // Opened only once the database is known to exist: a failed export leaves no empty file behind.
      const file = out === undefined ? undefined : AtomicFile.create(out);
      const sink = new Sink(file ? file.stream : context.stdout);
      try {
        const result = await streamExport(store, sink, { format, filters, withSteps });
        if (file) await file.commit(sink);
        return result;
      } catch (error) {
        file?.abort();
        throw error;
      } finally {
        sink.detach();
      }
    });

    if (out === undefined) return;
    if (args.flag('json')) context.print(`${JSON.stringify({ ...counts, format, out })}\n`);
    else {
      const steps = withSteps ? ` (${counts.steps} step${counts.steps === 1 ? '' : 's'})` : '';
      context.print(`Exported ${counts.executions} execution${counts.executions === 1 ? '' : 's'}${steps} to ${out}\n`);
    }
  },
};

interface ExportOptions {
  format: 'ndjson' | 'csv';
  filters: ExecutionFilters;
  withSteps: boolean;
}

/** Pages through the matching executions and writes each page as one chunk. */
async function streamExport(store: ExecutionStore, sink: Sink, options: ExportOptions): Promise<{ executions: number; steps: number }> {
  const csv = options.format === 'csv';
  const counts = { executions: 0, steps: 0 };
  if (csv && !(await sink.write(csvRow(options.withSteps ? STEP_FIELDS : EXECUTION_FIELDS)))) return counts;
  let cursor: string | null = null;
  do {
    const page = await store.listExecutions({ ...options.filters, limit: options.withSteps ? PAGE_SIZE_WITH_STEPS : PAGE_SIZE, cursor });
    const steps = options.withSteps ? await store.getStepsOf(page.items.map((execution) => execution.id)) : undefined;
    let chunk = '';
    for (const execution of page.items) {
      const own = steps?.get(execution.id) ?? [];
      counts.executions++;
      counts.steps += own.length;
      if (!csv) chunk += `${JSON.stringify(steps ? { ...execution, steps: own } : execution)}\n`;
      else if (steps) for (const step of own) chunk += csvRow(STEP_FIELDS.map((field) => csvValue(step[field], field)));
      else chunk += csvRow(EXECUTION_FIELDS.map((field) => csvValue(execution[field], field)));
    }
    // The reader went away (`| head`): stop querying, quietly.
    if (chunk && !(await sink.write(chunk))) break;
    cursor = page.nextCursor;
  } while (cursor);
  return counts;
}

/**
 * The files that make up a SQLite database, by their real paths: an --out that is one of them (a
 * symlink to it, or a path through a symlinked folder) would be written over the history.
 */
function refuseDatabaseFiles(out: string, database: string): void {
  const real = realPath(database);
  const files = new Set([real, `${real}-wal`, `${real}-shm`, `${real}-journal`]);
  if (files.has(realPath(out))) throw new UsageError(`--out ${out} is the database ${database} or one of its files`);
}

/** The path with every symlink resolved, for a file that may not exist yet (its folder must). */
function realPath(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    try {
      return join(realpathSync(dirname(path)), basename(path));
    } catch {
      return resolve(path);
    }
  }
}

/** Characters that make a spreadsheet read a cell as a formula (OWASP's list). */
const FORMULA_START = /^[=+\-@\t\r]/;
const PLAIN_NUMBER = /^-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?$/;

/**
 * One CSV field's text: null is empty, data columns are JSON text, numbers as digits. A text
 * that a spreadsheet would run as a formula gets a leading `'`, which spreadsheets show as text
 * (a plain number stays as it is): strip one leading `'` from such a cell to read the value back.
 */
export function csvValue(value: unknown, field: string): string {
  if (value === null || value === undefined) return '';
  const text = JSON_FIELDS.has(field) ? JSON.stringify(value) : String(value);
  return FORMULA_START.test(text) && !PLAIN_NUMBER.test(text) ? `'${text}` : text;
}

/** One RFC 4180 record: fields with a quote, comma or line break are quoted, quotes doubled; CRLF ends it. */
export function csvRow(fields: readonly string[]): string {
  return `${fields.map((field) => (/[",\r\n]/.test(field) ? `"${field.replace(/"/g, '""')}"` : field)).join(',')}\r\n`;
}

/**
 * Writes to a stream with backpressure (waits for 'drain'), and notices a reader that went away
 * (EPIPE, e.g. `| head`) so the export stops instead of crashing or querying on for nobody.
 */
class Sink {
  private failure: Error | undefined;
  private gone = false;
  private readonly wake = new Set<() => void>();
  private readonly onError = (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') this.gone = true;
    else this.failure = error;
    for (const resolve of this.wake) resolve();
  };

  constructor(private readonly stream: NodeJS.WritableStream) {
    stream.on('error', this.onError);
  }

  /** @returns false when the reader is gone and nothing more should be written. */
  async write(chunk: string): Promise<boolean> {
    this.check();
    if (this.gone) return false;
    if (!this.stream.write(chunk)) {
      await new Promise<void>((resolve) => {
        const done = () => {
          this.stream.removeListener('drain', done);
          this.wake.delete(done);
          resolve();
        };
        this.stream.on('drain', done);
        this.wake.add(done);
      });
    }
    this.check();
    return !this.gone;
  }

  /** Waits until everything written has been handed to the OS (files only: stdout is never ended). */
  async end(): Promise<void> {
    await new Promise<void>((resolve) => {
      this.wake.add(resolve);
      this.stream.end(() => resolve());
    });
    this.check();
  }

  detach(): void {
    // Keep a no-op listener: an EPIPE arriving after we are done must not become an uncaught error.
    this.stream.removeListener('error', this.onError);
    if (this.stream.listenerCount('error') === 0) this.stream.on('error', () => undefined);
  }

  private check(): void {
    if (this.failure) throw new CliError(`cannot write output: ${this.failure.message}`);
  }
}

/**
 * An output file that appears complete or not at all: written beside the target under a
 * temporary name and renamed over it at the end. Special files (/dev/stdout, FIFOs) are written
 * in place, as renaming onto them would replace them.
 */
class AtomicFile {
  private constructor(
    readonly stream: NodeJS.WritableStream,
    private readonly path: string,
    private readonly temporary: string | undefined,
  ) {}

  /** Opens synchronously so that "no such folder" or "permission denied" is reported before any query. */
  static create(path: string): AtomicFile {
    let special = false;
    try {
      special = !statSync(path).isFile();
    } catch {
      // Does not exist yet: a regular file it will be.
    }
    const temporary = special ? undefined : join(dirname(path), `.${basename(path)}.${process.pid}.tmp`);
    let fd: number;
    try {
      // Private, like the history it comes from (an existing special file keeps its own mode).
      fd = openSync(temporary ?? path, 'w', PRIVATE_FILE_MODE);
    } catch (error) {
      // Name the path the user gave, not our temporary one.
      throw new CliError(`cannot write ${path}: ${(error as Error).message.replace(/, open '.*'$/, '')}`);
    }
    try {
      return new AtomicFile(createWriteStream('', { fd }), path, temporary);
    } catch (error) {
      closeSync(fd);
      throw error;
    }
  }

  async commit(sink: Sink): Promise<void> {
    await sink.end();
    if (this.temporary) renameSync(this.temporary, this.path);
  }

  abort(): void {
    this.stream.end();
    if (this.temporary) {
      try {
        unlinkSync(this.temporary);
      } catch {
        // Already gone: nothing to clean.
      }
    }
  }
}
