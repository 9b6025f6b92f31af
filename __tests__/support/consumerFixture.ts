import { execFile } from 'node:child_process';
import { mkdirSync, symlinkSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import type { ExecutionStep, WorkflowExecution } from '../../src';
import { tempDir } from './databases';

/**
 * The consumer project (`__tests__/fixtures/consumer/index.ts`): one source that uses the built
 * package as a user would, compiled by each decorator setting and each toolchain, run, and its
 * recorded history checked the same way whatever compiled it.
 */

const execFileAsync = promisify(execFile);

export const repoRoot = resolve(__dirname, '..', '..');
export const fixtureDir = join('__tests__', 'fixtures', 'consumer');

/** What the fixture prints: its workflow's result, a call outside it, the wrapped methods' identity, and the history. */
export interface FixtureReport {
  result: unknown;
  outside: unknown;
  methods: unknown;
  executions: (WorkflowExecution & { steps: ExecutionStep[] })[];
}

/**
 * A temp folder that mirrors the repository layout, with a `dist` link to the built package, so
 * that compiled fixture code in `<root>/__tests__/fixtures/consumer/` finds `../../../dist`.
 */
export function fixtureRoot(): string {
  const root = tempDir('flowtrail-fixture-');
  mkdirSync(join(root, fixtureDir), { recursive: true });
  symlinkSync(join(repoRoot, 'dist'), join(root, 'dist'), 'dir');
  return root;
}

/** Runs a compiled (or, with `args`, any) fixture entry with Node, on a fresh SQLite file, and parses its report. */
export async function runFixture(entry: string, args: readonly string[] = []): Promise<FixtureReport> {
  const database = join(tempDir('flowtrail-fixture-db-'), 'history.sqlite');
  const { stdout } = await execFileAsync(process.execPath, [...args, entry, database], { cwd: repoRoot });
  return JSON.parse(stdout) as FixtureReport;
}

/** setTimeout(ms) can fire up to 1 ms early as measured by Date.now(). */
const atLeast = (ms: number) => ms - 1;

/** The history the fixture's workflow must have recorded, whatever compiled it. */
export function expectConsumerReport(report: FixtureReport): void {
  expect(report.result).toEqual({
    greeting: 'hello world',
    length: 12,
    scaled: 24,
    doubled: 24,
    syncReturnedPromise: false,
    thisPreserved: true,
  });
  expect(report.outside).toBe(3);
  expect(report.methods).toEqual({
    execute: { name: 'execute', length: 1 },
    measure: { name: 'measure', length: 2 },
    run: { name: 'run', length: 1 },
  });
  // The node called outside the workflow is not recorded: one execution, four steps.
  expect(report.executions).toHaveLength(1);
  const execution = report.executions[0]!;
  expect(execution).toMatchObject({
    workflowId: 'greeting-wf',
    workflowName: 'Greeting',
    triggerType: 'manual',
    triggerData: { who: 'world' },
    status: 'success',
    errorMessage: null,
  });
  expect(execution.durationMs).toBeGreaterThanOrEqual(atLeast(5));
  expect(execution.steps).toHaveLength(4);
  expect(execution.steps[0]).toMatchObject({
    nodeId: 'fetch',
    nodeType: 'http',
    nodeName: 'Fetch greeting',
    stepIndex: 0,
    status: 'success',
    inputData: { who: 'world' },
    outputData: { greeting: 'hello world' },
  });
  expect(execution.steps[0]!.durationMs).toBeGreaterThanOrEqual(atLeast(5));
  expect(execution.steps[1]).toMatchObject({
    nodeId: 'measure',
    nodeType: 'compute',
    nodeName: null,
    stepIndex: 1,
    status: 'success',
    inputData: ['hello world', 1],
    outputData: 12,
  });
  // A method that declares its `this` compiles and records; a static node's defaults are its class's statics.
  expect(execution.steps[2]).toMatchObject({ nodeId: 'scale', nodeType: 'math', inputData: 12, outputData: 24 });
  expect(execution.steps[3]).toMatchObject({ nodeId: 'static-double', nodeType: 'static-math', nodeName: 'StaticNode', outputData: 24 });
}
