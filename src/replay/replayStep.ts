import { buildRedactPattern, captureJson, type CaptureOptions } from '../capture';
import { resolveLoggerConfig, type ResolvedLoggerConfig } from '../config/LoggerConfig';
import { decoratedNodeOf, type DecoratedNode } from '../decorators/nodeSites';
import type { ExecutionStep } from '../entities';
import { ReplayError, type IncompleteValue } from '../errors';
import { errorDetails, type ErrorTextOptions } from '../logger/errorDetails';
import { ExecutionLogger } from '../logger/ExecutionLogger';
import type { NodeContext } from '../runner/types';
import { WorkflowRunner } from '../runner/WorkflowRunner';
import type { ExecutionStore } from '../store/ExecutionStore';
import type { JsonDiffOptions, PathChange } from '../store/jsonDiff';
import { callUnrecorded, outputOf, type CallResult } from './callNode';
import { compareOutcomes, errorNameOf, type ReplayOutcome } from './compareOutcomes';
import { loadRecordedStep, type RecordedStep } from './loadRecordedStep';
import { recordReplay } from './recordReplay';
import { replayArguments } from './replayArguments';

/** `replayStep(store, stepId, node, options)`. */
export interface ReplayOptions extends JsonDiffOptions {
  /** The `@LoggedNode` method to call. @default 'execute' */
  method?: string;
  /**
   * Builds the arguments from the recorded input (null when none was stored), where the default
   * cannot: a method whose single argument is an array (the default spreads an array as the
   * argument list), an `inputs` option of your own, a value to put where capture stored a marker.
   * The arguments it returns are checked for markers in turn.
   */
  args?: (input: unknown, step: ExecutionStep) => unknown[];
  /** The runner a runner node (a `WorkflowNode`) gets in its context. @default a new `WorkflowRunner()` */
  runner?: WorkflowRunner;
  /** The signal a runner node gets in its context. @default one that never fires */
  signal?: AbortSignal;
  /** Replay even when the node labels itself with another node id or type than the step's. @default false */
  allowOtherNode?: boolean;
  /**
   * Record the replay as a new execution of the step's workflow, holding the one replayed step,
   * with trigger type `replay` and `replayOfStepId` set to the step's id. Written before
   * `replayStep` resolves. @default false: nothing is recorded
   */
  record?: boolean;
  /**
   * The logger that records (`record: true`), and whose capture settings (`redactKeys`,
   * `maxDataSize`, error caps) the new outcome is captured with, so that it compares with the
   * recorded one. @default `ExecutionLogger.getDefault()`, else the settings of the config file and environment
   */
  logger?: ExecutionLogger;
}

/** The replayed outcome: as stored (`output`, `error`), and as the method gave it. */
export interface ReplayedOutcome extends ReplayOutcome {
  /** What the call returned (awaited when a promise), as it is. */
  value?: unknown;
  /** What it threw or rejected with, as it is. */
  thrown?: unknown;
}

/** What `replayStep` returns. */
export interface ReplayResult {
  /** The recorded step's row. */
  step: ExecutionStep;
  recorded: ReplayOutcome;
  replayed: ReplayedOutcome;
  /**
   * Where the replayed outcome differs from the recorded one, compared as `{ output }` or
   * `{ error: { name, message } }`: `$.output.total` changed, `$.output` removed and `$.error` added
   * (it failed now)… Empty when they are the same. The first `maxPaths`; the rest counted in `omitted`.
   */
  changes: PathChange[];
  omitted: number;
  /** Paths where the recorded output keeps only a truncation or redaction marker: compared as that marker. */
  incomparable: IncompleteValue[];
  /** With `record: true`, the execution and step written; null otherwise (or when the logger records nothing). */
  recordedAs: { executionId: string; stepId: string } | null;
}

/**
 * Runs a node's `@LoggedNode` method again with the input recorded for step `stepId`, on `node`
 * (an instance built as your code builds it), and compares what it does now with what it did
 * then. The call records nothing (nor does anything it calls: nodes, workflows) unless `record`.
 *
 * ```ts
 * const result = await replayStep(store, '0197…', new PriceNode(catalog));
 * expect(result).toMatchRecordedOutput();   // after expect.extend(flowtrailMatchers)
 * ```
 * @throws ReplayError before calling anything, when the step cannot be replayed faithfully:
 * `reason` is `not-found`, `not-finished`, `not-a-logged-node`, `node-mismatch`,
 * `inputs-not-captured`, `inputs-incomplete` (with `paths`), `args-required` or `no-logger`.
 */
export async function replayStep(store: ExecutionStore, stepId: string, node: object, options: ReplayOptions = {}): Promise<ReplayResult> {
  const recorded = await loadRecordedStep(store, stepId);
  const { step } = recorded;
  const recordedOutcome = outcomeOf(recorded);
  const methodName = options.method ?? 'execute';
  const method: unknown = (node as Record<string, unknown>)[methodName];
  const decorated = decoratedNodeOf(method);
  if (decorated === undefined) {
    throw new ReplayError('not-a-logged-node', step.id, `${describe(node)}.${methodName} is not a @LoggedNode method`);
  }
  checkNode(step, node, decorated, options.allowOtherNode === true);
  const logger = options.logger ?? ExecutionLogger.getDefault();
  if (options.record === true && logger === null) {
    throw new ReplayError('no-logger', step.id, 'record: true needs a logger (the logger option, or ExecutionLogger.setDefault)');
  }
  const args = replayArguments(recorded, {
    decorated,
    arity: (method as (...args: unknown[]) => unknown).length,
    args: options.args,
    context: () => runnerContext(recorded, options),
  });
  const settings = captureSettings(logger);
  const call = await callUnrecorded(method as (...args: unknown[]) => unknown, node, args);
  const replayed = replayedOutcome(call, decorated, node, settings);
  const comparison = compareOutcomes(recordedOutcome, replayed, options);
  const recordedAs = options.record === true && logger !== null ? await recordReplay(logger, recorded, decorated, node, args, call) : null;
  return {
    step,
    recorded: recordedOutcome,
    replayed,
    changes: comparison.changes,
    omitted: comparison.omitted,
    incomparable: comparison.incomparable,
    recordedAs,
  };
}

function outcomeOf({ step }: RecordedStep): ReplayOutcome {
  if (step.status === 'error') {
    return { status: 'error', output: null, error: { name: errorNameOf(step.errorStack), message: step.errorMessage ?? '' } };
  }
  if (step.status === 'running' || step.status === 'interrupted' || step.status === 'skipped') {
    throw new ReplayError('not-finished', step.id, `the step is ${step.status}: there is no outcome to compare with`);
  }
  return { status: 'success', output: step.outputData ?? null, error: null };
}

/** The labels the node gives itself must be the step's: replaying another node's step compares nothing useful. */
function checkNode(step: ExecutionStep, node: object, { site }: DecoratedNode, allowOtherNode: boolean): void {
  if (allowOtherNode) return;
  // As the recorder reads them: an option function that throws labels the node 'unknown'.
  const nodeId = label(() => site.nodeId(node));
  const nodeType = label(() => site.nodeType(node));
  if (nodeId === step.nodeId && nodeType === step.nodeType) return;
  throw new ReplayError(
    'node-mismatch',
    step.id,
    `the step was recorded by node ${JSON.stringify(step.nodeId)} (type ${JSON.stringify(step.nodeType)}), ` +
      `the node given is ${JSON.stringify(nodeId)} (type ${JSON.stringify(nodeType)}); pass allowOtherNode: true to replay anyway`,
  );
}

function label(read: () => string): string {
  try {
    return read();
  } catch {
    return 'unknown';
  }
}

function runnerContext({ execution }: RecordedStep, options: ReplayOptions): NodeContext {
  return {
    signal: options.signal ?? new AbortController().signal,
    runner: options.runner ?? new WorkflowRunner(),
    workflowId: execution?.workflowId ?? '',
  };
}

interface CaptureSettings {
  data: CaptureOptions;
  errorText: ErrorTextOptions;
}

/** The settings the recorder captures with, so that the new outcome is stored-shaped as the old one. */
function captureSettings(logger: ExecutionLogger | null): CaptureSettings {
  const config: Pick<ResolvedLoggerConfig, 'maxDataSize' | 'redactKeys' | 'maxErrorMessageSize' | 'maxErrorStackSize'> =
    logger?.config ?? resolveLoggerConfig();
  const redact = buildRedactPattern(config.redactKeys);
  return {
    data: { maxDataSize: config.maxDataSize, redact },
    errorText: { redact, maxMessageBytes: config.maxErrorMessageSize, maxStackBytes: config.maxErrorStackSize },
  };
}

function replayedOutcome(call: CallResult, { site }: DecoratedNode, node: object, settings: CaptureSettings): ReplayedOutcome {
  if (!call.ok) {
    const { errorMessage, errorStack } = errorDetails(call.thrown, settings.errorText);
    return { status: 'error', output: null, error: { name: errorNameOf(errorStack), message: errorMessage }, thrown: call.thrown };
  }
  const captured = captureJson(outputOf(site, call.value, node), settings.data);
  return {
    status: 'success',
    output: captured === undefined ? null : (JSON.parse(captured.json) as unknown),
    error: null,
    value: call.value,
  };
}

function describe(node: object): string {
  const name = (node as { constructor?: { name?: unknown } }).constructor?.name;
  return typeof name === 'string' && name !== '' ? name : 'the node';
}
