import { execFile } from 'node:child_process';
import { existsSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import {
  currentExecution,
  DEFAULT_CONFIG,
  ExecutionLogger,
  LoggedNode,
  LoggedWorkflow,
  skipNode,
  type ExecutionStatus,
  type ExecutionStore,
  type WorkflowExecution,
} from '../src';
import { buildRedactPattern, captureData } from '../src/capture';
import { capText } from '../src/logger/errorDetails';
import { cli, CLI_MAIN, type CliResult } from './support/cli';
import { cliArgs, databaseKinds, tempDir, useStorePerTest, type DatabaseKind, type TestDatabase } from './support/databases';

type Kind = DatabaseKind;

/**
 * Pieces of hostile text: SQL injection, LIKE and regex wildcards, escape characters, placeholder
 * syntaxes of the drivers and of TypeORM, quotes, NUL and other controls, emoji (with ZWJ and
 * variation selectors), combining marks, bidi overrides, RTL scripts, the replacement character
 * itself and lone surrogate halves.
 */
const PIECES = [
  "'; DROP TABLE execution_steps; --",
  "Robert'); DROP TABLE workflow_executions;--",
  '" OR 1=1 --',
  "' OR '1'='1",
  '%',
  '_',
  '%_%',
  '\\',
  '\\\\',
  '\\%',
  "\\'",
  "''",
  '"',
  '`',
  '[a-z]',
  '*',
  '?',
  '$1',
  ':workflowId',
  ':...ids',
  '@p0',
  '${x}',
  '%s',
  '\u0000',
  'a\u0000b',
  '\u0001',
  '\u001b[31m',
  '\u007f',
  '\r\n',
  '\t',
  ' ',
  '\u00a0',
  '\u200b',
  '\ufeff',
  '😀',
  '👩‍👩‍👧',
  '🏳️‍🌈',
  'e\u0301',
  '\u202egnp.exe',
  'مرحبا',
  'שלום',
  '日本語',
  '\ufffd',
  '\ud800',
  '\udfff',
  'NULL',
  'null',
  '__proto__',
  '-1',
] as const;

const piece = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...PIECES) },
  { weight: 1, arbitrary: fc.string({ unit: 'grapheme', maxLength: 3 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 3 }) },
);
const shortHostile = fc.array(piece, { maxLength: 6 }).map((parts) => parts.join(''));
/** At least 4 KB of UTF-8, made of one hostile piece repeated after a hostile head. */
const longHostile = fc.tuple(shortHostile, fc.constantFrom(...PIECES)).map(([head, filler]) => {
  let text = head;
  while (Buffer.byteLength(text, 'utf8') < 4096) text += filler;
  return text;
});
const hostile = fc.oneof({ weight: 5, arbitrary: shortHostile }, { weight: 1, arbitrary: longHostile });

const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

/**
 * What a text column gives back. UTF-8 has no encoding for a lone surrogate, so both drivers send
 * U+FFFD for one; PostgreSQL text cannot hold U+0000, which the store maps to U+FFFD there
 * (SqlParams.bindable). Everything else comes back literally.
 */
function stored(value: string, kind: Kind): string {
  const wellFormed = value.replace(LONE_SURROGATE, '\ufffd');
  return kind === 'postgres' ? wellFormed.replaceAll('\u0000', '\ufffd') : wellFormed;
}

interface NodeSpec {
  nodeId: string;
  nodeType: string;
  nodeName: string | null;
  input: string;
  inputKey: string;
  /** An error message to throw, a reason to skip the node, or neither. */
  outcome: { fail: string } | { skip: string } | { output: string };
}

interface WorkflowSpec {
  workflowId: string;
  workflowName: string;
  triggerType: string;
  payload: string;
  note: string;
  nodes: NodeSpec[];
  fail: string | null;
  viaDecorators: boolean;
}

const nodeSpec: fc.Arbitrary<NodeSpec> = fc.record({
  nodeId: hostile,
  nodeType: hostile,
  nodeName: fc.option(hostile),
  input: hostile,
  inputKey: shortHostile,
  outcome: fc.oneof(fc.record({ output: hostile }), fc.record({ fail: hostile }), fc.record({ skip: hostile })),
});

const workflowSpec: fc.Arbitrary<WorkflowSpec> = fc.record({
  workflowId: hostile,
  workflowName: hostile,
  triggerType: hostile,
  payload: hostile,
  note: hostile,
  nodes: fc.array(nodeSpec, { maxLength: 3 }),
  fail: fc.option(hostile),
  viaDecorators: fc.boolean(),
});

/** What the test expects to read back for one execution written through the logger. */
interface Expected {
  id: string;
  spec: WorkflowSpec;
}

function makeLogger(store: ExecutionStore, errors: unknown[]): ExecutionLogger {
  return new ExecutionLogger(store, {
    configFile: false,
    spoolDir: false,
    flushIntervalMs: 10,
    onError: (error) => errors.push(error),
  });
}

/** The decorated path: ids, names and types come from option functions, as applications compute them. */
class HostileNode {
  constructor(readonly spec: NodeSpec) {}

  @LoggedNode({
    nodeId: (self: HostileNode) => self.spec.nodeId,
    nodeType: (self: HostileNode) => self.spec.nodeType,
    nodeName: (self: HostileNode) => self.spec.nodeName,
  })
  execute(input: unknown): unknown {
    const { outcome } = this.spec;
    if ('fail' in outcome) throw new Error(outcome.fail);
    return 'output' in outcome ? { value: outcome.output } : input;
  }
}

let decoratorLogger: ExecutionLogger | null = null;

class HostileWorkflow {
  executionId = '';

  constructor(readonly spec: WorkflowSpec) {}

  @LoggedWorkflow({
    logger: () => decoratorLogger,
    workflowId: (self: HostileWorkflow) => self.spec.workflowId,
    workflowName: (self: HostileWorkflow) => self.spec.workflowName,
    triggerType: (self: HostileWorkflow) => self.spec.triggerType,
    metadata: (self: HostileWorkflow) => ({ note: self.spec.note }),
  })
  async run(_trigger: unknown): Promise<void> {
    this.executionId = currentExecution()?.executionId ?? '';
    for (const node of this.spec.nodes) {
      if ('skip' in node.outcome) {
        skipNode({ nodeId: node.nodeId, nodeType: node.nodeType, nodeName: node.nodeName, reason: node.outcome.skip });
        continue;
      }
      try {
        await Promise.resolve(new HostileNode(node).execute(nodeInput(node)));
      } catch {
        // A failed node is recorded as such; whether the workflow fails is the spec's `fail`.
      }
    }
    if (this.spec.fail !== null) throw new Error(this.spec.fail);
  }
}

function nodeInput(node: NodeSpec): unknown {
  // Built with defineProperty semantics so that a "__proto__" key stays plain data.
  return Object.fromEntries([
    [node.inputKey, node.input],
    ['sql', node.input],
  ]);
}

/** Runs one workflow spec through the decorators or the imperative API and returns its execution id. */
async function record(logger: ExecutionLogger, spec: WorkflowSpec): Promise<string> {
  const trigger = { payload: spec.payload };
  if (spec.viaDecorators) {
    decoratorLogger = logger;
    const workflow = new HostileWorkflow(spec);
    await workflow.run(trigger).catch(() => undefined);
    decoratorLogger = null;
    return workflow.executionId;
  }
  const id = await logger.startExecution({
    workflowId: spec.workflowId,
    workflowName: spec.workflowName,
    triggerType: spec.triggerType,
    triggerData: trigger,
    metadata: { note: spec.note },
  });
  for (const node of spec.nodes) {
    const { outcome } = node;
    if ('skip' in outcome) {
      logger.skipNode({ executionId: id, nodeId: node.nodeId, nodeType: node.nodeType, nodeName: node.nodeName, reason: outcome.skip });
      continue;
    }
    const stepId = await logger.startNode({
      executionId: id,
      nodeId: node.nodeId,
      nodeType: node.nodeType,
      nodeName: node.nodeName,
      inputData: nodeInput(node),
    });
    if ('fail' in outcome) await logger.completeNode(stepId, false, undefined, new Error(outcome.fail));
    else await logger.completeNode(stepId, true, { value: outcome.output });
  }
  await logger.completeExecution(id, spec.fail === null, spec.fail === null ? undefined : new Error(spec.fail));
  return id;
}

/** The capture the logger applies to data, used as the oracle for JSON columns. */
function captured(logger: ExecutionLogger, value: unknown): unknown {
  return captureData(value, { maxDataSize: logger.config.maxDataSize, redact: buildRedactPattern(logger.config.redactKeys) });
}

/** Every execution matching `query`, following cursors a few rows at a time so paging sees hostile rows too. */
async function listAll(store: ExecutionStore, query: Parameters<ExecutionStore['listExecutions']>[0]): Promise<string[]> {
  const ids: string[] = [];
  let cursor: string | null = null;
  do {
    const page: { items: WorkflowExecution[]; nextCursor: string | null } = await store.listExecutions({ ...query, limit: 3, cursor });
    ids.push(...page.items.map((item) => item.id));
    cursor = page.nextCursor;
  } while (cursor !== null);
  return ids;
}

async function countRows(store: ExecutionStore, table: string): Promise<number> {
  const [row] = (await store.dataSource.query(`SELECT COUNT(*) AS n FROM ${table}`)) as { n: number | string }[];
  return Number(row?.n);
}

const sorted = (values: Iterable<string>): string[] => [...values].sort();

describe.each(databaseKinds)('hostile input on %s', (kind) => {
  const current = useStorePerTest(kind);

  test('property: names, ids, messages and data come back literally, and every filter matches exactly its rows', async () => {
    const { store } = current;
    const errors: unknown[] = [];
    const logger = makeLogger(store, errors);
    await logger.ready;
    // Accumulates over runs: each filter is checked against every row written so far, not just this run's.
    const model = new Map<string, Expected>();
    const text = (value: string) => stored(value, kind);
    /** A message or a reason is capped at maxErrorMessageSize before it is stored. */
    const message = (value: string) => text(capText(value, DEFAULT_CONFIG.maxErrorMessageSize));
    const expectedSteps = (spec: WorkflowSpec) =>
      spec.nodes.map((node, stepIndex) => {
        const { outcome } = node;
        const base = {
          stepIndex,
          nodeId: text(node.nodeId),
          nodeType: text(node.nodeType),
          nodeName: node.nodeName === null ? null : text(node.nodeName),
        };
        if ('skip' in outcome)
          return { ...base, status: 'skipped', errorMessage: message(outcome.skip), inputData: null, outputData: null };
        const inputData = captured(logger, nodeInput(node));
        if ('fail' in outcome) return { ...base, status: 'error', errorMessage: message(outcome.fail), inputData, outputData: null };
        return { ...base, status: 'success', errorMessage: null, inputData, outputData: captured(logger, { value: outcome.output }) };
      });

    try {
      await fc.assert(
        fc.asyncProperty(
          fc.uniqueArray(workflowSpec, { minLength: 1, maxLength: 4, selector: (spec) => text(spec.workflowId) }),
          hostile,
          async (specs, probe) => {
            const written: Expected[] = [];
            for (const spec of specs) written.push({ id: await record(logger, spec), spec });
            await expect(logger.flush()).resolves.toBe(true);
            for (const entry of written) {
              expect(entry.id).not.toBe('');
              model.set(entry.id, entry);
            }

            for (const { id, spec } of written) {
              const execution = await store.getExecution(id, { steps: true });
              expect(execution).toMatchObject({
                id,
                workflowId: text(spec.workflowId),
                workflowName: text(spec.workflowName),
                triggerType: text(spec.triggerType),
                status: spec.fail === null ? 'success' : 'error',
                errorMessage: spec.fail === null ? null : message(spec.fail),
                // JSON columns escape NUL and lone surrogates, so they are literal on both databases.
                triggerData: { payload: spec.payload },
                metadata: { note: spec.note },
              });
              if (spec.fail !== null) expect(execution?.errorStack).toContain(text(spec.fail));
              const steps = expectedSteps(spec);
              expect(execution?.steps).toMatchObject(steps);
              expect(execution?.steps).toHaveLength(steps.length);
              const alone = await store.getSteps(id);
              expect(alone.map((step) => step.id)).toEqual(execution?.steps?.map((step) => step.id));
            }

            const all = [...model.values()];
            for (const { spec } of written) {
              const sameId = all.filter((entry) => text(entry.spec.workflowId) === text(spec.workflowId));
              const wanted = sorted(sameId.map((entry) => entry.id));
              // A '%' or '_' id must not match its neighbours, nor the filter value be read as SQL.
              expect(sorted(await listAll(store, { workflowId: spec.workflowId }))).toEqual(wanted);
              const failed = sameId.filter((entry) => entry.spec.fail !== null).map((entry) => entry.id);
              expect(sorted(await listAll(store, { workflowId: spec.workflowId, status: 'error' }))).toEqual(sorted(failed));
              const stats = await store.getStats({ workflowId: spec.workflowId });
              expect(stats).toMatchObject({
                total: wanted.length,
                error: failed.length,
                success: wanted.length - failed.length,
                running: 0,
              });

              const sameTrigger = all.filter((entry) => text(entry.spec.triggerType) === text(spec.triggerType));
              expect(sorted(await listAll(store, { triggerType: spec.triggerType }))).toEqual(sorted(sameTrigger.map((entry) => entry.id)));
            }

            // A filter value nobody wrote matches nothing, whatever it contains, and never throws.
            const probeMatches = all.filter((entry) => text(entry.spec.workflowId) === text(probe)).map((entry) => entry.id);
            expect(sorted(await listAll(store, { workflowId: probe }))).toEqual(sorted(probeMatches));
            expect((await store.getStats({ workflowId: probe })).total).toBe(probeMatches.length);
            const statuses: readonly string[] = ['running', 'success', 'error', 'interrupted'];
            if (!statuses.includes(probe)) expect(await listAll(store, { status: probe as ExecutionStatus })).toEqual([]);
            expect(await listAll(store, { parentExecutionId: probe })).toEqual([]);
            if (!model.has(probe)) {
              await expect(store.getExecution(probe, { steps: true })).resolves.toBeNull();
              await expect(store.getSteps(probe)).resolves.toEqual([]);
            }

            expect(sorted(await store.listWorkflowIds())).toEqual(sorted(new Set(all.map((entry) => text(entry.spec.workflowId)))));
            // The tables are still there, holding exactly what was written.
            expect(await countRows(store, 'workflow_executions')).toBe(model.size);
            expect(await countRows(store, 'execution_steps')).toBe(all.reduce((sum, entry) => sum + entry.spec.nodes.length, 0));
            expect(errors).toEqual([]);
          },
        ),
        { numRuns: 50 },
      );
    } finally {
      await logger.shutdown();
    }
  });

  test('a NUL is stored as U+FFFD on PostgreSQL only (a lone surrogate on both), and filters with either spelling find the row', async () => {
    const { store } = current;
    const errors: unknown[] = [];
    const logger = makeLogger(store, errors);
    const id = await logger.startExecution({
      workflowId: 'nul\u0000id',
      // A lone surrogate has no UTF-8 form: both drivers send U+FFFD in text columns.
      workflowName: 'name\u0000\ud800',
      triggerType: '\u0000',
      metadata: { k: '\u0000', lone: '\ud800' },
    });
    await logger.completeExecution(id, false, new Error('boom\u0000'));
    await logger.shutdown();

    const execution = await store.getExecution(id);
    const nul = kind === 'postgres' ? '\ufffd' : '\u0000';
    expect(execution).toMatchObject({
      workflowId: `nul${nul}id`,
      workflowName: `name${nul}\ufffd`,
      triggerType: nul,
      errorMessage: `boom${nul}`,
      metadata: { k: '\u0000', lone: '\ud800' },
    });
    expect((await store.listExecutions({ workflowId: 'nul\u0000id' })).items.map((item) => item.id)).toEqual([id]);
    expect((await store.listExecutions({ triggerType: '\u0000' })).items.map((item) => item.id)).toEqual([id]);
    expect((await store.getStats({ workflowId: 'nul\u0000id' })).total).toBe(1);
    // On SQLite the two spellings are different values; on PostgreSQL they are the same one.
    expect((await store.listExecutions({ workflowId: 'nul\ufffdid' })).items).toHaveLength(kind === 'postgres' ? 1 : 0);
    expect(await store.listWorkflowIds()).toEqual([`nul${nul}id`]);
    expect(errors).toEqual([]);
  });
});

// ── The CLI, as a child process on the built package ───────────────────────────────────────────

/** Through a real shell, the way a user pastes the command `list` prints for the next page. */
function shell(command: string, cwd: string): Promise<CliResult> {
  return new Promise((resolve) => {
    execFile('/bin/sh', ['-c', command], { cwd, env: { ...process.env, NO_COLOR: '1', FLOWTRAIL_DB: '' } }, (error, stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : -1) : 0, stdout, stderr });
    });
  });
}

function databaseArgs(db: TestDatabase): string[] {
  return cliArgs(db);
}

/** Command-line arguments cannot hold NUL, and lone surrogates do not survive argv: everything else does. */
const CLI_VALUES = [
  "'; DROP TABLE execution_steps; --",
  '%',
  '_',
  '" OR 1=1 -- \\ 😀 مرحبا \u202eexe',
  '--workflow=x $(touch pwned) `touch pwned2` \' " ; | & > out',
  `4k ${"👩‍👩‍👧\\%_'".repeat(300)}`,
];

describe.each(databaseKinds)('hostile values through the CLI on %s', (kind) => {
  const current = useStorePerTest(kind);

  test('list --workflow, show and stats give back hostile values literally; a hostile id is simply not found', async () => {
    const { store, db } = current;
    const errors: unknown[] = [];
    const logger = makeLogger(store, errors);
    const ids = new Map<string, string[]>();
    for (const value of [...CLI_VALUES, 'plain', 'a']) {
      for (let i = 0; i < 2; i++) {
        const id = await logger.startExecution({ workflowId: value, workflowName: `${value} name`, triggerType: value });
        const step = await logger.startNode({ executionId: id, nodeId: value, nodeType: value, nodeName: value, inputData: { value } });
        await logger.completeNode(step, true, { value });
        await logger.completeExecution(id, true);
        ids.set(value, [...(ids.get(value) ?? []), id]);
      }
    }
    await logger.shutdown();
    expect(errors).toEqual([]);

    const cwd = tempDir('flowtrail-hostile-cli-');
    try {
      const where = databaseArgs(db);
      const results = await Promise.all(
        CLI_VALUES.flatMap((value) => [
          cli(['list', `--workflow=${value}`, '--json', ...where], { cwd }),
          cli(['stats', `--workflow=${value}`, '--json', ...where], { cwd }),
          cli(['list', `--trigger=${value}`, '--json', ...where], { cwd }),
          cli(['show', ids.get(value)?.[0] ?? '', '--json', ...where], { cwd }),
        ]),
      );
      CLI_VALUES.forEach((value, i) => {
        const [list, stats, byTrigger, show] = results.slice(i * 4, i * 4 + 4) as [CliResult, CliResult, CliResult, CliResult];
        for (const result of [list, stats, byTrigger, show])
          expect({ code: result.code, stderr: result.stderr }).toEqual({ code: 0, stderr: '' });
        const page = JSON.parse(list.stdout) as { items: WorkflowExecution[] };
        expect(sorted(page.items.map((item) => item.id))).toEqual(sorted(ids.get(value) ?? []));
        for (const item of page.items) expect(item).toMatchObject({ workflowId: value, workflowName: `${value} name`, triggerType: value });
        expect(JSON.parse(stats.stdout)).toMatchObject([{ workflowId: value, total: 2, success: 2 }]);
        expect(sorted((JSON.parse(byTrigger.stdout) as { items: WorkflowExecution[] }).items.map((item) => item.id))).toEqual(
          sorted(ids.get(value) ?? []),
        );
        expect(JSON.parse(show.stdout)).toMatchObject({
          workflowId: value,
          steps: [{ nodeId: value, nodeType: value, nodeName: value, inputData: { value }, outputData: { value } }],
        });
      });

      const missing = await cli(['show', "'; DROP TABLE execution_steps; --", ...where], { cwd });
      expect(missing).toMatchObject({ code: 1, stdout: '' });
      expect(missing.stderr).toContain('no execution with id');

      // The next-page command `list` prints must be safe to paste into a shell and must work.
      const hostileId = CLI_VALUES[4] as string;
      const first = await cli(['list', `--workflow=${hostileId}`, '--limit', '1', ...where], { cwd });
      expect(first.code).toBe(0);
      const next = /^Next page: +flowtrail (.*)$/m.exec(first.stdout)?.[1];
      expect(next).toBeDefined();
      const second = await shell(`"${process.execPath}" "${CLI_MAIN}" ${next ?? ''}`, cwd);
      expect(second).toMatchObject({ code: 0, stderr: '' });
      const shown = [first.stdout, second.stdout].map((out) => (ids.get(hostileId) ?? []).filter((id) => out.includes(id)));
      expect(shown.flat().sort()).toEqual(sorted(ids.get(hostileId) ?? []));
      expect(readdirSync(cwd)).toEqual([]);
      expect(existsSync(join(cwd, 'pwned'))).toBe(false);
    } finally {
      rmSync(cwd, { recursive: true, force: true });
    }

    expect(await countRows(store, 'workflow_executions')).toBe((CLI_VALUES.length + 2) * 2);
    expect(await countRows(store, 'execution_steps')).toBe((CLI_VALUES.length + 2) * 2);
  });
});
