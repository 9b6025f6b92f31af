import { execFile } from 'node:child_process';
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ExecutionStore, QueryError, uuidv7, type ExecutionStep, type WorkflowExecution } from '../src';
import { csvRow, csvValue } from '../src/cli/commands/export';
import { parseDuration, parseTimeBound } from '../src/cli/duration';
import { colorEnabled, displayWidth, formatDuration, sanitize, timelineBar } from '../src/cli/format';
import { DAY, HOUR, seedCliFixture, TRICKY, type CliFixture } from './support/cliFixture';
import { cli, CLI_MAIN, type CliResult } from './support/cli';
import { cliArgs, databaseKinds, makeDatabase, sqliteDatabase, tempDir, type TestDatabase } from './support/databases';

const scratchDirs: string[] = [];
/** A temporary folder, removed after the file's tests. */
function scratch(): string {
  const dir = tempDir();
  scratchDirs.push(dir);
  return dir;
}
afterAll(() => {
  for (const dir of scratchDirs) rmSync(dir, { recursive: true, force: true });
});
const ROOT = join(__dirname, '..');
const ANSI = /\u001b\[/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[0-9a-f]{4}-[0-9a-f]{12}/;

/** Asserts the one-line error contract: code, a single `flowtrail: ` line on stderr, nothing on stdout. */
function expectError(result: CliResult, code: number, message: RegExp | string): void {
  expect({ code: result.code, stdout: result.stdout }).toEqual({ code, stdout: '' });
  expect(result.stderr).toMatch(/^flowtrail: [^\n]+\n$/);
  if (typeof message === 'string') expect(result.stderr).toBe(`flowtrail: ${message}\n`);
  else expect(result.stderr).toMatch(message);
}

/** Ids in the first column of a table. */
function idsIn(table: string): string[] {
  return table
    .split('\n')
    .map((line) => UUID.exec(line)?.[0])
    .filter((id): id is string => id !== undefined);
}

/** What JSON output of an entity must equal. */
const plain = <T>(value: T): T => JSON.parse(JSON.stringify(value)) as T;

/** A strict RFC 4180 reader: quoted fields may hold commas, quotes and line breaks; a bare line break outside quotes is an error. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  let wasQuoted = false;
  for (let i = 0; i < text.length; i++) {
    const char = text[i];
    if (quoted) {
      if (char !== '"') field += char;
      else if (text[i + 1] === '"') {
        field += '"';
        i++;
      } else quoted = false;
    } else if (char === '"' && field === '' && !wasQuoted) quoted = wasQuoted = true;
    else if (char === ',') {
      row.push(field);
      field = '';
      wasQuoted = false;
    } else if (char === '\r' && text[i + 1] === '\n') {
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
      wasQuoted = false;
      i++;
    } else if (char === '\n' || char === '\r' || char === '"' || wasQuoted) throw new Error(`bad CSV at offset ${i}`);
    else field += char;
  }
  if (quoted) throw new Error('unterminated quoted field');
  if (field !== '' || row.length > 0) throw new Error('last record not terminated by CRLF');
  return rows;
}

const NUMBER_FIELDS = new Set(['startedAt', 'completedAt', 'durationMs', 'stepIndex']);
const JSON_FIELDS = new Set(['triggerData', 'metadata', 'inputData', 'outputData']);

/** CSV records as objects typed back the way the entities hold them (empty means null). */
function csvObjects(text: string): Record<string, unknown>[] {
  const [header, ...rows] = parseCsv(text);
  if (!header) throw new Error('no header');
  return rows.map((row) => {
    expect(row).toHaveLength(header.length);
    const object: Record<string, unknown> = {};
    header.forEach((name, i) => {
      // The export's documented escape: a leading ' before what a spreadsheet would run as a formula.
      const raw = row[i] as string;
      const cell = /^'[=+\-@\t\r]/.test(raw) ? raw.slice(1) : raw;
      if (cell === '') object[name] = null;
      else if (NUMBER_FIELDS.has(name)) object[name] = Number(cell);
      else if (JSON_FIELDS.has(name)) object[name] = JSON.parse(cell);
      else object[name] = cell;
    });
    return object;
  });
}

function pick(entity: object, fields: readonly string[]): Record<string, unknown> {
  const source = plain(entity) as Record<string, unknown>;
  return Object.fromEntries(fields.map((field) => [field, source[field] ?? null]));
}

// ── Pure pieces, in process ──────────────────────────────────────────────────────────────────

describe('CLI building blocks', () => {
  test('durations parse with every unit and refuse bare or malformed numbers', () => {
    expect([parseDuration('30d', 'x'), parseDuration('12h', 'x'), parseDuration('15m', 'x')]).toEqual([30 * DAY, 12 * HOUR, 15 * 60_000]);
    expect([parseDuration('90s', 'x'), parseDuration('500ms', 'x'), parseDuration('1.5h', 'x'), parseDuration('2w', 'x')]).toEqual([
      90_000,
      500,
      5_400_000,
      14 * DAY,
    ]);
    for (const bad of ['30', 'd', '-1d', '1 d', '1x', '', '1e3s', 'NaNs'])
      expect(() => parseDuration(bad, '--older-than')).toThrow(/--older-than/);
    expect(parseTimeBound('1h', '--since', 10 * HOUR)).toBe(9 * HOUR);
    expect(parseTimeBound('2025-01-31T12:00:00Z', '--since')).toBe(Date.UTC(2025, 0, 31, 12));
    expect(() => parseTimeBound('yesterday', '--since')).toThrow(/--since/);
  });

  test('an ISO date that does not exist is refused, not rolled over', () => {
    for (const text of [
      '2025-02-30',
      '2025-02-29',
      '2024-13-01',
      '2025-04-31',
      '2025-01-31T24:00',
      '2025-01-31T12:60',
      '2025-01-31T12:00+25:00',
    ]) {
      expect(() => parseTimeBound(text, '--since')).toThrow(/invalid time .* for --since/);
    }
    expect(parseTimeBound('2024-02-29', '--since')).toBe(new Date(2024, 1, 29).getTime());
    expect(parseTimeBound('2025-01-31T12:00:00.5+02:00', '--until')).toBe(Date.UTC(2025, 0, 31, 10, 0, 0, 500));
    expect(parseTimeBound('2025-01-31T12:00-0330', '--until')).toBe(Date.UTC(2025, 0, 31, 15, 30));
  });

  test('a date or a time without an offset is local time, as documented, a date alone included', async () => {
    // In a child process: the zone is read from TZ when the process starts.
    const duration = join(__dirname, '..', 'dist', 'cli', 'duration.js');
    const script = `const { parseTimeBound } = require(${JSON.stringify(duration)});
      console.log(JSON.stringify(['2025-01-31', '2025-01-31 08:30', '2025-07-01'].map((t) => parseTimeBound(t, '--since'))))`;
    const { stdout } = await promisify(execFile)(process.execPath, ['-e', script], { env: { ...process.env, TZ: 'America/New_York' } });
    expect(JSON.parse(stdout)).toEqual([Date.UTC(2025, 0, 31, 5), Date.UTC(2025, 0, 31, 13, 30), Date.UTC(2025, 6, 1, 4)]);
  });

  test('durations print short and exact enough', () => {
    expect([0, 850, 1240, 12_345, 125_000, 3_720_000, 3 * DAY + 4 * HOUR].map(formatDuration)).toEqual([
      '0ms',
      '850ms',
      '1.24s',
      '12.3s',
      '2m 05s',
      '1h 02m',
      '3d 04h',
    ]);
    expect(formatDuration(null)).toBe('-');
  });

  test('timeline bars are placed and scaled to the span, never empty, never past the end', () => {
    expect(timelineBar(0, 300, 1500, 30)).toBe(`|${'█'.repeat(6)}${' '.repeat(24)}|`);
    expect(timelineBar(310, 1190, 1500, 30)).toBe(`|${' '.repeat(6)}${'█'.repeat(24)}|`);
    expect(timelineBar(1500, 0, 1500, 30)).toBe(`|${' '.repeat(29)}█|`);
    expect(timelineBar(0, 0, 0, 10)).toBe(`|█${' '.repeat(9)}|`);
  });

  test('colour follows TTY, FORCE_COLOR and NO_COLOR, NO_COLOR winning', () => {
    expect(colorEnabled({ isTTY: true }, {})).toBe(true);
    expect(colorEnabled({ isTTY: false }, {})).toBe(false);
    expect(colorEnabled({ isTTY: false }, { FORCE_COLOR: '1' })).toBe(true);
    expect(colorEnabled({ isTTY: true }, { FORCE_COLOR: '0' })).toBe(false);
    expect(colorEnabled({ isTTY: true }, { NO_COLOR: '' })).toBe(false);
    expect(colorEnabled({ isTTY: true }, { NO_COLOR: '1', FORCE_COLOR: '1' })).toBe(false);
  });

  test('terminal text: control characters escaped, emoji and CJK two columns wide', () => {
    expect(sanitize('a\nb\u001b[2Jc\u009b')).toBe('a\\nb\\u001b[2Jc\\u009b');
    // Bidirectional controls would reorder what follows them on the line.
    expect(sanitize('ok\u202e\u2066x\u2069\u200f\u061c\u2028')).toBe('ok\\u202e\\u2066x\\u2069\\u200f\\u061c\\u2028');
    expect([
      displayWidth('abc'),
      displayWidth('🚀'),
      displayWidth('名前'),
      displayWidth('e\u0301'),
      displayWidth('\u001b[31mok\u001b[39m'),
    ]).toEqual([3, 2, 4, 1, 2]);
  });

  test('CSV fields are quoted exactly when RFC 4180 needs it', () => {
    expect(csvRow(['a', 'b c', 'x,y', 'say "hi"', 'l1\nl2', ''])).toBe('a,b c,"x,y","say ""hi""","l1\nl2",\r\n');
    expect([csvValue(null, 'errorMessage'), csvValue(0, 'durationMs'), csvValue('x', 'inputData'), csvValue({ a: 1 }, 'metadata')]).toEqual(
      ['', '0', '"x"', '{"a":1}'],
    );
    expect(parseCsv(csvRow([TRICKY, 'b']))).toEqual([[TRICKY, 'b']]);
  });
});

// ── The binary, without a database ───────────────────────────────────────────────────────────

describe('flowtrail binary: help, version, usage errors', () => {
  test('every command has help with usage, options and an example; top-level help lists them all', async () => {
    const names = ['list', 'show', 'stats', 'prune', 'export'];
    const results = await Promise.all([
      cli(['--help']),
      cli(['-h']),
      ...names.map((name) => cli([name, '--help'])),
      cli(['help', 'prune']),
      cli(['list', '--bogus', '-h']),
    ]);
    for (const result of results) expect({ code: result.code, stderr: result.stderr }).toEqual({ code: 0, stderr: '' });
    const [top, short, ...rest] = results.map((result) => result.stdout);
    expect(short).toBe(top);
    for (const name of names) expect(top).toMatch(new RegExp(`^  ${name}\\s+\\S`, 'm'));
    names.forEach((name, i) => {
      const help = rest[i] as string;
      expect(help).toMatch(new RegExp(`^Usage: flowtrail ${name}`));
      expect(help).toContain('Options:\n');
      expect(help).toContain('--json');
      expect(help).toMatch(new RegExp(`Examples:\\n  flowtrail ${name}`));
    });
    expect(rest[2]).toContain('--since <when>');
    expect(rest[5]).toBe(rest[3]);
    expect(rest[6]).toBe(rest[0]);
  });

  test('--version prints the package version', async () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string };
    const [long, short] = await Promise.all([cli(['--version']), cli(['-v'])]);
    expect(long).toEqual({ code: 0, stdout: `${pkg.version}\n`, stderr: '' });
    expect(short).toEqual(long);
  });

  test('usage errors: one line on stderr, exit code 2', async () => {
    const cases: [string[], string | RegExp][] = [
      [['lst'], 'unknown command "lst" (did you mean list?); see flowtrail --help'],
      [['list', '--wokflow', 'x'], 'unknown option --wokflow for "flowtrail list" (did you mean --workflow?)'],
      [['list', '--status', 'failed'], 'invalid --status "failed" (expected one of running, success, error, interrupted)'],
      [['list', '--limit', '0'], /^flowtrail: invalid --limit "0" \(expected a whole number from 1 to 1000\)\n$/],
      [['list', '--limit'], /^flowtrail: --limit needs a value/],
      [['list', '--since', 'yesterday'], /^flowtrail: invalid time "yesterday" for --since/],
      [['list', 'orders'], /^flowtrail: unexpected argument "orders"/],
      [['list', '--json=yes'], '--json takes no value'],
      [['prune', '--older-than', '30x'], /^flowtrail: invalid duration "30x" for --older-than \(expected a number and a unit: 500ms, 90s/],
      [['prune'], /^flowtrail: prune needs a rule/],
      [['prune', '--older-than', '1d', '--keep', '3'], 'give --older-than or --keep, not both'],
      [['show'], 'missing execution id (usage: flowtrail show <executionId>)'],
      [['export', '--format', 'xml'], /^flowtrail: invalid --format "xml" \(expected one of ndjson, csv\)/],
      [['stats', '--db', 'a.sqlite', '--url', 'postgres://x@y/z'], '--db and --url name two databases; give only one'],
      [['--nope'], 'unknown option --nope (see flowtrail --help)'],
      [['--db', 'x.sqlite'], 'missing command: list, show, diff, tail, stats, prune, export, migrate or ui (see flowtrail --help)'],
    ];
    const results = await Promise.all(cases.map(([args]) => cli(args)));
    results.forEach((result, i) => expectError(result, 2, (cases[i] as [string[], string | RegExp])[1]));
  });

  test('no command prints the help on stderr with exit code 2', async () => {
    const result = await cli([]);
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toContain('Usage: flowtrail <command>');
  });

  test('a missing SQLite file is reported in one line and not created, wherever the path came from', async () => {
    const dir = scratch();
    const missing = join(dir, 'nope', 'history.sqlite');
    const results = await Promise.all([
      cli(['list', '--db', missing]),
      cli(['show', 'some-id', '--db', missing]),
      cli(['stats', '--db', missing, '--json']),
      cli(['prune', '--older-than', '1d', '--db', missing]),
      cli(['export', '--db', missing, '--out', join(dir, 'out.ndjson')]),
      cli(['list'], { env: { FLOWTRAIL_DB: missing } }),
    ]);
    for (const result of results) expectError(result, 1, `no database at ${missing} (run a workflow first, or pass --db)`);
    const byDefault = await cli(['list'], { cwd: dir });
    expectError(byDefault, 1, `no database at ${join(dir, '.flowtrail', 'history.sqlite')} (run a workflow first, or pass --db)`);
    expect(readdirSync(dir)).toEqual([]);
  });

  test('FLOWTRAIL_DEBUG adds the stack; without it there is none', async () => {
    const missing = join(scratch(), 'x.sqlite');
    const [quiet, debug] = await Promise.all([
      cli(['list', '--db', missing]),
      cli(['list', '--db', missing], { env: { FLOWTRAIL_DEBUG: '1' } }),
    ]);
    expect(quiet.stderr.split('\n')).toHaveLength(2);
    expect(debug.stderr).toMatch(/^flowtrail: no database at .*\nCliError: no database at .*\n\s+at /);
  });
});

// ── Output rules on a real database ──────────────────────────────────────────────────────────

describe('flowtrail binary: colour, pipes and paging at volume (SQLite)', () => {
  const BIG = 1600;
  let db: TestDatabase;
  let path: string;
  let fixture: CliFixture;

  beforeAll(async () => {
    db = sqliteDatabase();
    path = (db.options as { database: string }).database;
    const store = await db.open();
    try {
      fixture = await seedCliFixture(store);
      const start = fixture.now - 100 * DAY;
      const bulk = Array.from({ length: BIG }, (_, i) => ({
        id: uuidv7(start + i),
        workflowId: 'bulk',
        workflowName: 'Bulk',
        triggerType: 'test',
        triggerData: { i, padding: 'x'.repeat(400) },
        status: 'success' as const,
        startedAt: start + i,
        durationMs: i,
      }));
      await store.writeBatch({ executions: bulk });
    } finally {
      await store.close();
    }
  });

  afterAll(() => db.drop());

  test('piped output has no escape codes; FORCE_COLOR adds them; NO_COLOR (any value) wins; a forged cursor is a usage error', async () => {
    const args = ['list', '--db', path, '--workflow', 'orders'];
    const [piped, forced, both, cursor] = await Promise.all([
      cli(args, { env: { NO_COLOR: undefined } }),
      cli(args, { env: { NO_COLOR: undefined, FORCE_COLOR: '1' } }),
      // NO_COLOR set to anything, even empty, wins.
      cli(args, { env: { NO_COLOR: '', FORCE_COLOR: '1' } }),
      cli(['list', '--db', path, '--cursor', 'bm90LWEtY3Vyc29y']),
    ]);
    expect(piped.stdout).toContain('success');
    expect(piped.stdout).not.toMatch(ANSI);
    expect(forced.stdout).toContain('\u001b[32msuccess\u001b[39m');
    expect(forced.stdout).toContain('\u001b[31merror\u001b[39m');
    expect(both.stdout).toBe(piped.stdout);
    expectError(cursor, 2, 'Invalid cursor: not a cursor returned by listExecutions');
  });

  test('FLOWTRAIL_DB names the database when no flag does; an unwritable --out is one line', async () => {
    const nowhere = join(scratch(), 'no-such-folder', 'out.csv');
    const [result, unwritable] = await Promise.all([
      cli(['list', '--workflow', 'billing', '--json'], { env: { FLOWTRAIL_DB: path } }),
      cli(['export', '--db', path, '--out', nowhere]),
    ]);
    expectError(unwritable, 1, `cannot write ${nowhere}: ENOENT: no such file or directory`);
    expect(result.code).toBe(0);
    expect((JSON.parse(result.stdout) as { items: { id: string }[] }).items.map((item) => item.id)).toEqual([
      fixture.billingRecentError.id,
      fixture.billingOld.id,
      fixture.billingOlder.id,
    ]);
  });

  test('export pages through more rows than one page holds, each exactly once, to a pipe and to a file', async () => {
    const dir = scratch();
    const out = join(dir, 'bulk.csv');
    const [piped, file] = await Promise.all([
      cli(['export', '--db', path, '--workflow', 'bulk']),
      cli(['export', '--db', path, '--workflow', 'bulk', '--format', 'csv', '--out', out, '--json']),
    ]);
    expect(piped.stderr).toBe('');
    const lines = piped.stdout.split('\n');
    expect(lines.pop()).toBe('');
    const indexes = lines.map((line) => (JSON.parse(line) as { triggerData: { i: number } }).triggerData.i);
    expect(indexes).toEqual(Array.from({ length: BIG }, (_, i) => BIG - 1 - i));
    expect(JSON.parse(file.stdout)).toEqual({ executions: BIG, steps: 0, format: 'csv', out });
    const rows = csvObjects(readFileSync(out, 'utf8'));
    expect(rows.map((row) => (row.triggerData as { i: number }).i)).toEqual(indexes);
    expect(readdirSync(dir)).toEqual(['bulk.csv']);
  });

  test('a reader that stops early (| head) ends the export quietly with exit code 0', async () => {
    const errors = join(scratch(), 'stderr.txt');
    const script = 'node "$1" export --db "$2" 2>"$3" | head -c 100 >/dev/null; echo "${PIPESTATUS[0]}"';
    const result = await new Promise<string>((resolve, reject) =>
      execFile('bash', ['-c', script, 'bash', CLI_MAIN, path, errors], { env: { ...process.env, NO_COLOR: '1' } }, (error, stdout) =>
        error ? reject(error) : resolve(stdout),
      ),
    );
    expect(result.trim()).toBe('0');
    expect(readFileSync(errors, 'utf8')).toBe('');
  });
});

// ── Every command on both databases ──────────────────────────────────────────────────────────

describe.each(databaseKinds)('flowtrail binary on %s', (kind) => {
  let db: TestDatabase;
  let store: ExecutionStore;
  let fixture: CliFixture;
  let dbArgs: string[];

  beforeAll(async () => {
    db = makeDatabase(kind);
    store = await db.open();
    fixture = await seedCliFixture(store);
    dbArgs = cliArgs(db);
  });

  afterAll(async () => {
    await store.close();
    await db.drop();
  });

  const run = (...args: string[]) => cli([...args, ...dbArgs]);
  const ids = (rows: readonly { id: string }[]) => rows.map((row) => row.id);

  test('list --status running gives each running execution the step it is in now and how long it has run', async () => {
    const f = fixture;
    const [text, json] = await Promise.all([run('list', '--status', 'running'), run('list', '--status', 'running', '--json')]);
    expect(text.stderr).toBe('');
    expect(text.stdout).toMatch(/^ID {36}WORKFLOW +TRIGGER +STARTED +ELAPSED {2}NOW\n/);
    expect(idsIn(text.stdout)).toEqual([f.ordersRunning.id]);
    expect(text.stdout).toMatch(new RegExp(`^${f.ordersRunning.id}  orders .* fetch \\(http, step 0\\) for \\d`, 'm'));
    const parsed = JSON.parse(json.stdout) as { items: { id: string }[]; running: Record<string, { elapsedMs: number }> };
    expect(ids(parsed.items)).toEqual([f.ordersRunning.id]);
    // The fixture's run started ten minutes before it was written.
    expect(parsed.running[f.ordersRunning.id]).toMatchObject({
      currentStep: { nodeId: 'fetch', nodeType: 'http', stepIndex: 0 },
      lastNodeId: 'fetch',
    });
    expect(parsed.running[f.ordersRunning.id]!.elapsedMs).toBeGreaterThanOrEqual(10 * 60_000);
  });

  test('list shows executions newest first with their columns, and the filters narrow it', async () => {
    const f = fixture;
    const iso = (ms: number) => new Date(ms).toISOString();
    const [all, json, orderErrors, scheduleWindow, lastDay] = await Promise.all([
      run('list', '--limit', '50'),
      run('list', '--json', '--trigger', 'webhook'),
      run('list', '--workflow', 'orders', '--status', 'error'),
      run('list', '--trigger', 'schedule', '--since', iso(f.now - 36 * DAY), '--until', '30d'),
      run('list', '--since', '1d'),
    ]);
    expect(all.stderr).toBe('');
    expect(idsIn(all.stdout)).toEqual(ids(f.all));
    expect(all.stdout).toMatch(/^ID {36}WORKFLOW {14}STATUS {7}TRIGGER {9}STARTED {14}DURATION\n/);
    const okLine = all.stdout.split('\n').find((line) => line.startsWith(f.ordersOk.id));
    const started = new Date(f.ordersOk.startedAt).toISOString().slice(0, 19).replace('T', ' ');
    // Column widths come from the widest cells: the escaped tricky workflow id (20), "interrupted", "internal_event".
    expect(okLine).toBe([f.ordersOk.id, 'orders'.padEnd(20), 'success'.padEnd(11), 'webhook'.padEnd(14), started, '   1.50s'].join('  '));
    expect(all.stdout).toContain('tricky,"wf"\\nline 🚀  success');
    expect(all.stdout).not.toContain('Next cursor');

    expect(JSON.parse(json.stdout)).toEqual(plain(await store.listExecutions({ triggerType: 'webhook', limit: 20 })));
    expect(ids((JSON.parse(json.stdout) as { items: { id: string }[] }).items)).toEqual(ids([f.ordersFailed, f.ordersOk]));
    expect(idsIn(orderErrors.stdout)).toEqual(ids([f.ordersFailed]));
    expect(idsIn(scheduleWindow.stdout)).toEqual(ids([f.billingOld]));
    expect(idsIn(lastDay.stdout)).toEqual(ids(f.all.filter((e) => e.startedAt > f.now - DAY)));
  });

  test('a mistyped --schema is refused and not created', async () => {
    if (!('schema' in db.options)) return; // PostgreSQL only; SQLite's --db has its own test above
    const typo = `${db.options.schema}_typo`;
    const result = await cli(['list', '--url', db.options.url, '--schema', typo]);
    expectError(result, 1, `no flowtrail history in ${store.target} (schema ${typo}) (run a workflow first, or pass --url/--schema)`);
    const [row] = await store.dataSource.query('SELECT COUNT(*) AS n FROM pg_namespace WHERE nspname = $1', [typo]);
    expect(Number(row.n)).toBe(0);
  });

  test('--parent lists the child executions a run started', async () => {
    const result = await cli(['list', '--parent', fixture.ordersOk.id, ...dbArgs]);
    expect(result.code).toBe(0);
    expect(idsIn(result.stdout)).toEqual([fixture.child.id]);
    expect(idsIn((await cli(['list', '--parent', fixture.child.id, ...dbArgs])).stdout)).toEqual([]);
  });

  test('paging with --limit 2 and the printed next-page command visits every execution exactly once', async () => {
    const expected = ids(fixture.all.filter((e) => e.startedAt > fixture.now - DAY));
    expect(expected).toHaveLength(6);
    const seen: string[] = [];
    let args = ['list', '--since', '1d', '--limit', '2', ...dbArgs];
    for (let page = 0; page < 5; page++) {
      const result = await cli(args);
      expect(result.code).toBe(0);
      const pageIds = idsIn(result.stdout);
      expect(pageIds.length).toBeLessThanOrEqual(2);
      seen.push(...pageIds);
      const next = /^Next page: +flowtrail (.+)$/m.exec(result.stdout)?.[1];
      if (next === undefined) break;
      // The printed command keeps the filters and the database, so it can be pasted as it is.
      const cursor = /^Next cursor: (\S+)$/m.exec(result.stdout)?.[1];
      expect(next).toBe(['list', '--since', '1d', '--limit', '2', ...dbArgs, '--cursor', cursor].join(' '));
      args = next.split(' ');
    }
    expect(seen).toEqual(expected);
  });

  test('show prints the header, the steps in order with proportional bars, and with --data their data and errors', async () => {
    const f = fixture;
    const [ok, failed, child, json, unknown] = await Promise.all([
      run('show', f.ordersOk.id, '--data'),
      run('show', f.ordersFailed.id, '-d'),
      run('show', f.child.id),
      run('show', f.ordersFailed.id, '--json'),
      run('show', 'no-such-id'),
    ]);
    expect(ok.stderr).toBe('');
    const time = (ms: number) => new Date(ms).toISOString().replace('T', ' ').slice(0, 23);
    expect(ok.stdout).toContain(
      [
        `Execution  ${f.ordersOk.id}`,
        'Workflow   orders (Order pipeline)',
        'Status     success',
        'Trigger    webhook',
        `Started    ${time(f.ordersOk.startedAt)}`,
        `Completed  ${time(f.ordersOk.startedAt + 1500)}`,
        'Duration   1.50s',
      ].join('\n'),
    );
    const bar = (lead: number, fill: number) => `|${' '.repeat(lead)}${'█'.repeat(fill)}${' '.repeat(30 - lead - fill)}|`;
    const stepLines = ok.stdout.split('\n').filter((line) => /^\d  /.test(line));
    expect(stepLines).toEqual([
      `0  fetch      http  Fetch order             success     300ms  ${bar(0, 6)}`,
      `1  transform  code  -                       success      10ms  ${bar(6, 1)}`,
      `2  save       db    Save "it", now\\nplease  success     1.19s  ${bar(6, 24)}`,
    ]);
    expect(ok.stdout).toMatch(new RegExp(`Child executions \\(1\\)\\n.*\\n${f.child.id}  sub-flow  success  ${f.ordersOkSteps[1]?.id}`));
    expect(ok.stdout).toContain(`Trigger data\n${JSON.stringify(f.ordersOk.triggerData, null, 2).replace(/^/gm, '  ')}\n`);
    expect(ok.stdout).toContain(
      `Step 0 · fetch (http) · success\n  Input\n${JSON.stringify(f.ordersOkSteps[0]?.inputData, null, 2).replace(/^/gm, '    ')}\n`,
    );
    expect(ok.stdout).toContain(`  Output\n    "plain \\"string\\", with comma"\n`);

    expect(failed.stdout).toContain('Error      Payment declined: "card", expired\\nretry later');
    expect(failed.stdout).toMatch(/^1  charge  http  Charge card  error\s+700ms  \|/m);
    expect(failed.stdout).toContain('Step 1 · charge (http) · error\n  Input\n    {\n      "amount": 12.5,');
    expect(failed.stdout).toContain(
      '  Error  Payment declined\n  Stack\n    PaymentError: Payment declined\n        at charge (pay.ts:10:5)\n        at run (runner.ts:3:1)\n',
    );
    expect(failed.stdout).toContain('Error stack\n  PaymentError: Payment declined\n      at charge (pay.ts:10:5)\n');

    expect(child.stdout).toContain(`Parent     ${f.ordersOk.id} (step ${f.ordersOkSteps[1]?.id})`);
    // Stored text is shown escaped: the ESC in the workflow name must not reach the terminal.
    expect(child.stdout).toContain('\\u001b[31mred?');
    expect(child.stdout).not.toContain('\u001b');
    expect(child.stdout).not.toContain('Trigger data');

    expect(JSON.parse(json.stdout)).toEqual(plain(await store.getExecution(f.ordersFailed.id, { steps: true })));
    expect((JSON.parse(json.stdout) as WorkflowExecution).steps?.map((step) => step.nodeId)).toEqual(['fetch', 'charge']);
    expectError(unknown, 1, 'no execution with id "no-such-id"');
  });

  test('stats match store.getStats per workflow in JSON; the table shows the numbers for the window asked', async () => {
    const [json, windowed] = await Promise.all([run('stats', '--json'), run('stats', '--workflow', 'billing', '--since', '30d')]);
    const expected = [];
    for (const workflowId of await store.listWorkflowIds()) expected.push({ workflowId, ...(await store.getStats({ workflowId })) });
    expect(expected.map((row) => row.workflowId)).toEqual(['billing', 'orders', 'sub-flow', `tricky,"wf"\nline 🚀`]);
    expect(JSON.parse(json.stdout)).toEqual(plain(expected));
    expect(expected.find((row) => row.workflowId === 'orders')).toMatchObject({
      total: 4,
      success: 1,
      error: 1,
      running: 1,
      interrupted: 1,
    });
    // Only the error a day old is inside 30 days: 1 run, 0% success.
    expect(windowed.stdout).toBe(
      [
        'WORKFLOW  RUNS  SUCCESS  ERROR  RUNNING  INTERRUPTED  SUCCESS %    P50    P95    MAX',
        'billing      1        0      1        0            0       0.0%  100ms  100ms  100ms',
        '',
      ].join('\n'),
    );
  });

  test('export writes NDJSON and CSV that read back to exactly the stored rows, steps included', async () => {
    const dir = scratch();
    const file = (name: string) => join(dir, name);
    const [runsNdjson, runsCsv, stepsNdjson, stepsCsv] = await Promise.all([
      run('export', '--format', 'ndjson', '--out', file('runs.ndjson')),
      run('export', '--format', 'csv', '--out', file('runs.csv')),
      run('export', '--steps', '--workflow', 'orders'),
      run('export', '--format', 'csv', '--steps', '--out', file('steps.csv'), '--since', '1d'),
    ]);
    for (const result of [runsNdjson, runsCsv, stepsNdjson, stepsCsv])
      expect({ code: result.code, stderr: result.stderr }).toEqual({ code: 0, stderr: '' });
    expect(runsNdjson.stdout).toBe(`Exported ${fixture.all.length} executions to ${file('runs.ndjson')}\n`);
    expect(stepsCsv.stdout).toBe(`Exported 6 executions (6 steps) to ${file('steps.csv')}\n`);

    const stored = (await store.listExecutions({ limit: 1000 })).items;
    const withSteps = [];
    for (const execution of stored) withSteps.push({ ...execution, steps: await store.getSteps(execution.id) });
    const ndjson = (text: string) =>
      text
        .trimEnd()
        .split('\n')
        .map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(ndjson(readFileSync(file('runs.ndjson'), 'utf8'))).toEqual(plain(stored));
    expect(ndjson(stepsNdjson.stdout)).toEqual(plain(withSteps.filter((e) => e.workflowId === 'orders')));

    const runs = csvObjects(readFileSync(file('runs.csv'), 'utf8'));
    const executionFields = Object.keys(runs[0] ?? {});
    expect(executionFields).toEqual(
      expect.arrayContaining(['id', 'workflowName', 'triggerData', 'metadata', 'parentStepId', 'errorStack']),
    );
    expect(runs).toEqual(stored.map((execution) => pick(execution, executionFields)));
    expect(runs.find((row) => row.id === fixture.tricky.id)).toMatchObject({ workflowId: `tricky,"wf"\nline 🚀`, workflowName: TRICKY });

    const steps = csvObjects(readFileSync(file('steps.csv'), 'utf8'));
    const stepFields = Object.keys(steps[0] ?? {});
    expect(stepFields).toEqual(expect.arrayContaining(['executionId', 'stepIndex', 'inputData', 'outputData', 'errorStack']));
    const storedSteps: ExecutionStep[] = withSteps.filter((e) => e.startedAt > fixture.now - DAY).flatMap((e) => e.steps);
    expect(steps).toEqual(storedSteps.map((step) => pick(step, stepFields)));
  });

  test('prune --status narrows either rule to executions that ended so, and the store refuses a status they cannot have', async () => {
    const own = makeDatabase(kind);
    const ownStore = await own.open();
    try {
      const f = await seedCliFixture(ownStore);
      const prune = (...args: string[]) => cli(['prune', ...args, ...cliArgs(own)]);
      const remaining = async () => ids((await ownStore.listExecutions({ limit: 1000 })).items).sort();
      const everything = ids(f.all).sort();

      const [errorsDry, successKeepDry, running] = await Promise.all([
        // Of the two errors only billing's is older than a day (orders' failed an hour ago).
        prune('--status', 'error', '--older-than', '1d', '--dry-run', '--json'),
        // Counted among successes only: billing's two old ones keep one; --keep 1 without a status counts 4.
        prune('--status', 'success', '--keep', '1', '--dry-run'),
        prune('--status', 'running', '--older-than', '1d'),
      ]);
      expect(JSON.parse(errorsDry.stdout)).toEqual({ removed: 0, wouldRemove: 1, dryRun: true });
      expect(successKeepDry.stdout).toBe(
        'Would remove 1 success execution beyond the newest 1 finished per workflow (dry run: nothing was deleted).\n',
      );
      expect(running.code).toBe(2);
      expect(running.stderr).toMatch(/invalid --status "running" \(expected one of success, error, interrupted\)/);
      expect(await remaining()).toEqual(everything);

      const interrupted = await prune('--status', 'interrupted', '--older-than', '1h');
      expect(interrupted).toEqual({ code: 0, stdout: 'Removed 1 interrupted execution started more than 1h ago.\n', stderr: '' });
      expect(await remaining()).toEqual(everything.filter((id) => id !== f.ordersInterrupted.id));
      const removed = await ownStore.cleanupExcessExecutions(1, { status: 'success' });
      expect(removed).toBe(1);
      expect(await remaining()).toEqual(everything.filter((id) => id !== f.ordersInterrupted.id && id !== f.billingOlder.id));

      await expect(ownStore.cleanupOldExecutions(0, { status: 'running' as never })).rejects.toThrow(QueryError);
      await expect(ownStore.countExcessExecutions(0, { status: "x' OR 1=1 --" as never })).rejects.toThrow(/status/);
    } finally {
      await ownStore.close();
      await own.drop();
    }
  });

  test('prune removes exactly the old executions (with their steps), and --dry-run removes nothing', async () => {
    const own = makeDatabase(kind);
    const ownStore = await own.open();
    try {
      const f = await seedCliFixture(ownStore);
      const ownArgs = cliArgs(own);
      const prune = (...args: string[]) => cli(['prune', ...args, ...ownArgs]);
      const remaining = async () => ids((await ownStore.listExecutions({ limit: 1000 })).items).sort();
      const everything = ids(f.all).sort();

      // Both dry runs first, at once: neither may change anything.
      const [dry, dryKeep] = await Promise.all([prune('--older-than', '30d', '--dry-run', '--json'), prune('--keep', '1', '--dry-run')]);
      expect(JSON.parse(dry.stdout)).toEqual({ removed: 0, wouldRemove: 2, dryRun: true });
      // Before the age rule runs, --keep 1 would take orders' two older finished runs and billing's two older ones.
      expect(dryKeep.stdout).toBe('Would remove 4 executions beyond the newest 1 finished per workflow (dry run: nothing was deleted).\n');
      expect(await remaining()).toEqual(everything);

      const aged = await prune('--older-than', '30d', '--json');
      expect(JSON.parse(aged.stdout)).toEqual({ removed: 2 });
      const afterAge = everything.filter((id) => id !== f.billingOld.id && id !== f.billingOlder.id);
      expect(await remaining()).toEqual(afterAge);
      expect(await ownStore.getSteps(f.billingOlder.id)).toEqual([]);

      const kept = await prune('--keep', '1');
      expect(kept).toEqual({ code: 0, stdout: 'Removed 2 executions beyond the newest 1 finished per workflow.\n', stderr: '' });
      const gone = new Set([f.ordersOk.id, f.ordersInterrupted.id]);
      expect(await remaining()).toEqual(afterAge.filter((id) => !gone.has(id)));
      expect(await ownStore.getSteps(f.ordersOk.id)).toEqual([]);
      expect(await ownStore.getSteps(f.ordersRunning.id)).toHaveLength(1);
    } finally {
      await ownStore.close();
      await own.drop();
    }
  });
});
