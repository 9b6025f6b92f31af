import { uuidv7, type ExecutionStore } from '../src';
import { cli, type CliResult } from './support/cli';
import { cliArgs, databaseKinds, makeDatabase, type TestDatabase } from './support/databases';

/** The one-line error contract: code, a single `flowtrail: ` line on stderr, nothing on stdout. */
function expectError(result: CliResult, code: number, message: string): void {
  expect({ code: result.code, stdout: result.stdout }).toEqual({ code, stdout: '' });
  expect(result.stderr).toBe(`flowtrail: ${message}\n`);
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[0-9a-f]{4}-[0-9a-f]{12}/;
const idsIn = (table: string) =>
  table
    .split('\n')
    .map((line) => UUID.exec(line)?.[0])
    .filter((id): id is string => id !== undefined);

describe('flowtrail list --tag: usage errors name the problem (exit 2)', () => {
  test.each([
    [['--tag', 'tenant'], '--tag "tenant" is not key=value (for example --tag tenant=acme)'],
    [['--tag', '=acme'], '--tag "=acme" has no key before "="'],
    [['--tag', `${'k'.repeat(65)}=v`], `--tag "${'k'.repeat(65)}=v": the key is longer than 64 characters`],
    [['--tag', `k=${'v'.repeat(257)}`], `--tag "k=${'v'.repeat(78)}…": the value is longer than 256 characters`],
    [['--tag', 'a=1', '--tag', 'a=2'], '--tag "a" given twice'],
    [['--tag'], '--tag needs a value (--tag <key=value>)'],
  ])('%j', async (args, message) => {
    expectError(await cli(['list', ...args, '--db', 'unused.sqlite']), 2, message);
  });
});

describe.each(databaseKinds)('flowtrail and tags on %s', (kind) => {
  let db: TestDatabase;
  let store: ExecutionStore;
  const hostile = 'it\'s "q"; DROP TABLE x; -- 𝄞';
  const ids: string[] = [];

  beforeAll(async () => {
    db = makeDatabase(kind);
    store = await db.open();
    const rows: [number, Record<string, string>][] = [
      [1000, { tenant: 'acme', region: 'eu' }],
      [2000, { tenant: 'acme', region: 'us' }],
      [3000, { tenant: 'globex', note: hostile }],
      [4000, { tenant: 'acme', region: 'eu', 'a=b': 'c=d' }],
    ];
    for (const [startedAt, tags] of rows) {
      const id = uuidv7(startedAt);
      ids.push(id);
      await store.createExecution({ id, workflowId: 'w', workflowName: 'W', triggerType: 'manual', status: 'success', startedAt, tags });
    }
  });

  afterAll(async () => {
    await store.close();
    await db.drop();
  });

  const run = (...args: string[]) => cli([...args, ...cliArgs(db)]);

  test('list --tag (repeatable, all must match), paged; export takes it too and exports the tags', async () => {
    const [acme, acmeEu, hostileOne, paged, exported, none] = await Promise.all([
      run('list', '--tag', 'tenant=acme'),
      run('list', '--tag', 'tenant=acme', '--tag', 'region=eu', '--json'),
      run('list', `--tag=note=${hostile}`),
      run('list', '--tag', 'tenant=acme', '--limit', '2'),
      run('export', '--tag', 'region=eu'),
      run('list', '--tag', 'tenant=nobody'),
    ]);
    expect(acme.stderr).toBe('');
    expect(idsIn(acme.stdout)).toEqual([ids[3], ids[1], ids[0]]);
    expect((JSON.parse(acmeEu.stdout) as { items: { id: string; tags: unknown }[] }).items).toMatchObject([
      { id: ids[3], tags: { tenant: 'acme', region: 'eu', 'a=b': 'c=d' } },
      { id: ids[0], tags: { tenant: 'acme', region: 'eu' } },
    ]);
    expect(idsIn(hostileOne.stdout)).toEqual([ids[2]]);
    // The printed next-page command repeats every --tag.
    expect(paged.stdout).toMatch(/Next page: {3}flowtrail list --tag tenant=acme --limit 2 .*--cursor /);
    const next = paged.stdout
      .split('\n')
      .find((line) => line.startsWith('Next cursor: '))!
      .slice('Next cursor: '.length);
    expect(idsIn((await run('list', '--tag', 'tenant=acme', '--limit', '2', '--cursor', next)).stdout)).toEqual([ids[0]]);
    const lines = exported.stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { id: string; tags?: unknown });
    expect(lines.filter((line) => line.tags !== undefined).map((line) => [line.id, line.tags])).toEqual([
      [ids[3], { tenant: 'acme', region: 'eu', 'a=b': 'c=d' }],
      [ids[0], { tenant: 'acme', region: 'eu' }],
    ]);
    expect(none.stdout).toBe('No executions match.\n');
  });

  test('show prints the tags as key=value, quoted for a shell where needed', async () => {
    const [plain, quoted] = await Promise.all([run('show', ids[3]!), run('show', ids[2]!)]);
    expect(plain.stdout.split('\n')).toContain('Tags       tenant=acme region=eu a=b=c=d');
    expect(quoted.stdout).toContain(`Tags       tenant=globex 'note=it'\\''s "q"; DROP TABLE x; -- 𝄞'`);
  });
});
