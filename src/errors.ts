import type { LostData } from './capture/lostData';

/**
 * What a report of a contained failure says about where it happened: every part of the pipeline
 * (writer, spool, logger) hands its failures to one reporter with one of these.
 */
export interface ErrorContext {
  /** `write` (a batch to the database), `capture`, `heartbeat`, `recovery`, `spool`, `retention`, `reject`, `drop`, `shutdown`. */
  operation: string;
  /** Records affected, when the failure concerns records. */
  records?: number;
}

/** How a part of the pipeline hands a contained failure over. */
export type ReportError = (error: unknown, context: ErrorContext) => void;

/**
 * Every error flowtrail throws at its caller. Each class has a stable `code` (never reused) so that
 * callers can branch without matching messages. Errors are thrown only while configuring or when a
 * caller asks for something that cannot be done; the recording path never throws into a workflow.
 */
export class FlowtrailError extends Error {
  readonly code: string;

  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }
}

/** Thrown while resolving configuration: a field has a value it cannot take. */
export class ConfigError extends FlowtrailError {
  /** The setting, as the user wrote it: `maxDataSize`, or `FLOWTRAIL_MAX_DATA_SIZE` for the env. */
  readonly field: string;
  readonly value: unknown;

  constructor(field: string, value: unknown, expected: string) {
    super('FLOWTRAIL_CONFIG', `Invalid ${field}: ${describeValue(value)} (expected ${expected})`);
    this.field = field;
    this.value = value;
  }
}

/** Thrown by `ExecutionStore.open()` when the database cannot be opened, created or reached. */
export class StoreOpenError extends FlowtrailError {
  /** The file path or the URL (password masked) that could not be opened. */
  readonly target: string;

  constructor(target: string, reason: string, cause?: unknown) {
    super('FLOWTRAIL_STORE_OPEN', `Cannot open execution store at ${target}: ${reason}`, { cause });
    this.target = target;
  }
}

/** Thrown by store methods called after `close()`. */
export class StoreClosedError extends FlowtrailError {
  constructor() {
    super('FLOWTRAIL_STORE_CLOSED', 'The execution store is closed');
  }
}

/** Thrown by store queries given an argument they cannot use (a malformed cursor, a bad limit). */
export class QueryError extends FlowtrailError {
  readonly field: string;

  constructor(field: string, message: string) {
    super('FLOWTRAIL_QUERY', `Invalid ${field}: ${message}`);
    this.field = field;
  }
}

/** Thrown when a record asked for by id does not exist (store updates, CLI `show`). */
export class NotFoundError extends FlowtrailError {
  readonly id: string;

  constructor(kind: 'execution' | 'step', id: string) {
    super('FLOWTRAIL_NOT_FOUND', `No ${kind} with id ${JSON.stringify(id)}`);
    this.id = id;
  }
}

/**
 * A record holds a value that cannot be stored or handed to the writer thread (a function where a
 * name goes, a BigInt in a number column). Never thrown at a caller: the writer sets that record
 * aside (counted in `stats().rejected`, reported through `onError`) and writes the rest.
 */
export class UnstorableRecordError extends FlowtrailError {
  constructor(what: string, cause?: unknown) {
    super('FLOWTRAIL_UNSTORABLE_RECORD', `A history record cannot be stored: ${what}`, { cause });
  }
}

/** Whether an error (also one revived from the writer thread, which keeps only its code) is an {@link UnstorableRecordError}. */
export function isUnstorableRecord(error: unknown): boolean {
  return (error as { code?: unknown } | null)?.code === 'FLOWTRAIL_UNSTORABLE_RECORD';
}

/** Thrown by the workflow runner before anything runs, when the graph cannot be executed. */
export class WorkflowGraphError extends FlowtrailError {
  /** The node or connection at fault. */
  readonly culprit: string;

  constructor(culprit: string, message: string) {
    super('FLOWTRAIL_WORKFLOW_GRAPH', message);
    this.culprit = culprit;
  }
}

/** The rejection of a workflow run that exceeded its timeout. */
export class WorkflowTimeoutError extends FlowtrailError {
  readonly timeoutMs: number;

  constructor(timeoutMs: number) {
    super('FLOWTRAIL_WORKFLOW_TIMEOUT', `Workflow timed out after ${timeoutMs} ms`);
    this.timeoutMs = timeoutMs;
  }
}

/** The rejection of a workflow run whose AbortSignal fired. */
export class WorkflowCancelledError extends FlowtrailError {
  constructor(reason?: unknown) {
    super('FLOWTRAIL_WORKFLOW_CANCELLED', `Workflow cancelled${reason === undefined ? '' : `: ${String(reason)}`}`, {
      cause: reason,
    });
  }
}

/** Why `runner.rerun()` refused, before anything ran or was recorded. */
export type RerunRefusal =
  /** No execution has the id (or the runner has no logger, hence no store, to read it from). */
  | 'execution-not-found'
  /** The execution ran another workflow (its `workflowId` is not the given workflow's id). */
  | 'other-workflow'
  /** The execution has no stored definition (recorded before definitions, or not by the runner): `force` runs it anyway. */
  | 'definition-missing'
  /** The workflow's definition changed so that `from` or one of its upstream nodes is not in the stored one: `force` runs it anyway. */
  | 'definition-changed'
  /** `from` is not a node of the workflow given. */
  | 'unknown-node'
  /** A node whose recorded output would be reused has no usable step there: never reached, failed, interrupted or running. */
  | 'upstream-not-recorded'
  /** A reused output was not captured (`captureOutputs: false`), so there is nothing to reuse. */
  | 'output-not-recorded'
  /** A reused output lost data when captured (truncated, redacted…): `details.lost` names the paths. */
  | 'output-incomplete';

/**
 * Thrown (as a rejection) by `WorkflowRunner.rerun()` when the run cannot go as asked; nothing was
 * run or recorded. `reason` says why, `nodes` names the nodes at fault, and for
 * `output-incomplete` `lost` names each lost path: the node, the path in its outputs (`$.value.token`;
 * `$` for all of them) and the kind of loss.
 */
export class RerunError extends FlowtrailError {
  readonly reason: RerunRefusal;
  readonly executionId: string;
  readonly nodes: readonly string[];
  readonly lost: readonly ({ node: string } & LostData)[];

  constructor(
    reason: RerunRefusal,
    executionId: string,
    message: string,
    details: { nodes?: readonly string[]; lost?: readonly ({ node: string } & LostData)[] } = {},
  ) {
    super('FLOWTRAIL_RERUN', `Cannot re-run execution ${executionId}: ${message}`);
    this.reason = reason;
    this.executionId = executionId;
    this.nodes = details.nodes ?? [];
    this.lost = details.lost ?? [];
  }
}

/** Why `replayStep` refused to replay a step (`ReplayError.reason`). */
export type ReplayRefusal =
  /** No step has that id. */
  | 'not-found'
  /** The step did not finish (running, interrupted) or never ran (skipped): there is no outcome to compare with. */
  | 'not-finished'
  /** The method to call is not a `@LoggedNode` method (or another decorator wraps it). */
  | 'not-a-logged-node'
  /** The node given labels itself with another node id or type than the step recorded (`allowOtherNode` replays anyway). */
  | 'node-mismatch'
  /** The step's input was not recorded (`captureInputs: false`), so there is nothing to call the method with. */
  | 'inputs-not-captured'
  /** The recorded input holds values capture did not keep (redacted, truncated, a function…): see `paths`. */
  | 'inputs-incomplete'
  /** The node's `inputs` option stored something else than its arguments: the `args` option must rebuild them. */
  | 'args-required'
  /** `record: true` with no logger to record with (none given, no default set). */
  | 'no-logger';

/**
 * A place in a recorded value where capture stored a marker instead of the value: the `path`
 * (`$.card.number`, `$.items[3]`) and the `kind` of loss (`redacted`, `truncated`…); see `findLostData`.
 */
export type IncompleteValue = LostData;

/** Thrown by `replayStep` when a step cannot be replayed faithfully; `reason` says why, before anything runs. */
export class ReplayError extends FlowtrailError {
  readonly reason: ReplayRefusal;
  readonly stepId: string;
  /** With `inputs-incomplete`: the paths holding a marker instead of the recorded value. */
  readonly paths: readonly string[];
  /** With `inputs-incomplete`: each of those paths with the marker found there. */
  readonly markers: readonly IncompleteValue[];

  constructor(reason: ReplayRefusal, stepId: string, message: string, markers: readonly IncompleteValue[] = []) {
    super('FLOWTRAIL_REPLAY', `Cannot replay step ${JSON.stringify(stepId)}: ${message}`);
    this.reason = reason;
    this.stepId = stepId;
    this.markers = markers;
    this.paths = markers.map((marker) => marker.path);
  }
}

/** Thrown by `assertReplayMatches` (and reported by `toMatchRecordedOutput`) when a replay differs from its recorded step. */
export class ReplayMismatchError extends FlowtrailError {
  /** The paths that changed, as `ReplayResult.changes` lists them. */
  readonly paths: readonly string[];

  constructor(message: string, paths: readonly string[]) {
    super('FLOWTRAIL_REPLAY_MISMATCH', message);
    this.paths = paths;
  }
}

function describeValue(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'bigint') return `${value}n`;
  if (typeof value === 'number') return String(value); // JSON would turn NaN and Infinity into "null"
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}
