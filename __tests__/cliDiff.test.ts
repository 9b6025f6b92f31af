import type { ExecutionComparison, ExecutionStore } from '../src';
import { cli } from './support/cli';
import { seedCompareFixture, type CompareFixture } from './support/compareFixture';
import { cliArgs, databaseKinds, makeDatabase, type TestDatabase } from './support/databases';

const ESC = '\u001b';

describe.each(databaseKinds)('flowtrail diff on %s', (kind) => {
  let db: TestDatabase;
  let store: ExecutionStore;
  let f: CompareFixture;
  let dbArgs: string[];

  beforeAll(async () => {
    db = makeDatabase(kind);
    store = await db.open();
    f = await seedCompareFixture(store);
    dbArgs = cliArgs(db);
  });

  afterAll(async () => {
    await store.close();
    await db.drop();
  });

  const run = (args: string[], env?: Record<string, string | undefined>) => cli([...args, ...dbArgs], { env });

  test('prints the runs side by side, the step table, each changed path, and the children compared below', async () => {
    const { code, stdout, stderr } = await run(['diff', f.a.id, f.b.id]);
    expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
    const lines = stdout.split('\n');
    expect(lines[0]).toMatch(/^ +A +B$/);
    expect(lines[1]).toBe(`Execution  ${f.a.id}  ${f.b.id}`);
    expect(stdout).toMatch(/^Status +success +error$/m);
    expect(stdout).toMatch(/^Duration +1\.00s +1\.25s \(\+250ms\)$/m);
    expect(stdout).toContain('Steps: 3 in both (2 changed), 2 only in A, 1 only in B');
    const table = lines.slice(lines.findIndex((line) => line.startsWith('NODE')) + 1, lines.indexOf('', 10));
    expect(table.map((line) => line.split(/ {2,}/).join('|'))).toEqual([
      'fetch|0|0|success|success|100ms|140ms|+40ms|input 1 path, output 4 paths',
      'item|1|1|success|success|10ms|12ms|+2ms',
      'item|2|-|success|-|10ms|-|-|only in A',
      'audit|-|2|-|success|-|5ms|-|only in B',
      'charge|3|3|success|error|300ms|700ms|+400ms|status, input 1 path, output 1 path',
      'notify|4|-|success|-|50ms|-|-|only in A',
    ]);
    expect(stdout).toContain('    ~ $.auth.password  "[REDACTED]" → "hunter2" (redacted: stored as a marker)\n');
    expect(stdout).toContain('    - $.items[1]  {"sku":"B","price":3}\n');
    expect(stdout).toContain('    ~ $.items[0].price  12.5 → 13\n');
    expect(stdout).toMatch(/^ {4}~ \$ {2}\{"_truncated":true,"_originalSize":90000,.*… → .*… \(truncated: stored as a marker\)$/m);
    // The hostile note: its ESC and right-to-left override are shown as escapes, never sent to the terminal.
    expect(stdout).not.toContain(ESC);
    expect(stdout).not.toContain('\u202e');
    expect(stdout).toContain(`~ $.note  "it's \\"quoted\\"; DROP TABLE workflow_executions; -- \\u001b`);
    // A huge value is cut to one line.
    expect(stdout.split('\n').every((line) => line.length < 200)).toBe(true);
    expect(stdout).toMatch(/^charge → payment +success +error +both$/m);
    expect(stdout).toMatch(/^charge → fraud-check +- +success +only in B$/m);
    expect(stdout).toContain('── Child charge → payment\n');
    expect(stdout).toContain('      ~ $.card  "4242" → "4000"\n');
    expect(stdout).toContain('── Child authorize → ledger\n');
  });

  test('--json prints the structure store.compareExecutions returns; --depth and --max-paths narrow it', async () => {
    const [full, narrow] = await Promise.all([
      run(['diff', f.a.id, f.b.id, '--json']),
      run(['diff', f.a.id, f.b.id, '--json', '--depth', '0', '--max-paths', '1']),
    ]);
    expect(full.code).toBe(0);
    expect(JSON.parse(full.stdout)).toEqual(JSON.parse(JSON.stringify(await store.compareExecutions(f.a.id, f.b.id))));
    const result = JSON.parse(narrow.stdout) as ExecutionComparison;
    expect(result.children).toBeNull();
    expect(result.steps[0]?.output).toMatchObject({ omitted: 3 });
    const text = await run(['diff', f.a.id, f.b.id, '--depth', '0', '--max-paths', '1']);
    expect(text.stdout).toContain('… and 3 more paths (--max-paths)');
    expect(text.stdout).toContain('Child executions not compared (--depth reached).');
  });

  test('different workflows are compared and said to be; colour only when asked, NO_COLOR wins', async () => {
    const other = await run(['diff', f.a.id, f.other.id]);
    expect(other.code).toBe(0);
    expect(other.stdout).toContain('Note: these are runs of different workflows (orders and billing).');
    const [coloured, plain] = await Promise.all([
      run(['diff', f.a.id, f.b.id], { NO_COLOR: undefined, FORCE_COLOR: '1' }),
      run(['diff', f.a.id, f.b.id], { NO_COLOR: '', FORCE_COLOR: '1' }),
    ]);
    expect(coloured.stdout).toContain(`${ESC}[33m~ $.items[0].price${ESC}[39m`);
    expect(coloured.stdout).toContain(`${ESC}[31m- $.items[1]${ESC}[39m`);
    expect(coloured.stdout).toContain(`${ESC}[32monly in B${ESC}[39m`);
    expect(plain.stdout).not.toContain(ESC);
  });

  test('an unknown id exits 1 naming it; usage errors exit 2 naming the problem', async () => {
    const unknown = await run(['diff', f.a.id, 'nope']);
    expect(unknown).toMatchObject({ code: 1, stdout: '', stderr: 'flowtrail: No execution with id "nope"\n' });
    const results = await Promise.all([
      run(['diff', f.a.id]),
      run(['diff']),
      run(['diff', f.a.id, f.b.id, f.other.id]),
      run(['diff', f.a.id, f.b.id, '--depth', '11']),
      run(['diff', f.a.id, f.b.id, '--max-paths', 'all']),
    ]);
    expect(results.map((r) => [r.code, r.stderr])).toEqual([
      [2, 'flowtrail: missing execution id <b> (usage: flowtrail diff <a> <b>)\n'],
      [2, 'flowtrail: missing execution ids (usage: flowtrail diff <a> <b>)\n'],
      [2, `flowtrail: unexpected argument ${JSON.stringify(f.other.id)} (diff takes two execution ids)\n`],
      [2, 'flowtrail: invalid --depth "11" (expected a whole number from 0 to 10)\n'],
      [2, 'flowtrail: invalid --max-paths "all" (expected a whole number from 0 to 100000)\n'],
    ]);
  });
});
