import type { ExecutionStep, StepStatus, WorkflowExecution } from '../entities';
import { STEP_STATUSES } from '../entities/ExecutionStep';
import { QueryError } from '../errors';
import { describe, optionalString } from './queryArguments';

/** What `store.follow()` takes. Every field is optional. */
export interface FollowOptions {
  /**
   * Report rows whose own id time (their start, for rows the logger writes) is at or after this
   * time, in epoch ms. `0` replays the whole history first, then follows.
   * @default the time `follow()` is called: only what starts from now on
   */
  since?: number;
  /** Only this workflow's executions, and the steps of its executions. */
  workflowId?: string;
  /**
   * Only events whose row has this status when the event is made: a new execution or step
   * written with it, or a change to it (`error` reports every failure as it is written).
   */
  status?: StepStatus;
  /** Aborting it ends the iteration (the `for await` loop simply ends). */
  signal?: AbortSignal;
  /** How long the follower sleeps between two reads when nothing new came. @default 100 */
  pollIntervalMs?: number;
  /**
   * How far behind the newest id seen (or the reader's clock, when that is earlier) the follower
   * keeps re-checking for rows committed late, in ms: a row committed more than this after its
   * id's time is not reported. See docs/querying.md#following-the-history. @default 10000
   */
  lookBackMs?: number;
}

/** The options of one `follow()`, checked and complete. */
export interface ResolvedFollowOptions {
  readonly since: number;
  readonly workflowId: string | undefined;
  readonly status: StepStatus | undefined;
  readonly signal: AbortSignal | undefined;
  readonly pollIntervalMs: number;
  readonly lookBackMs: number;
}

/**
 * One thing that happened to the history. `new`: a row the follower had not seen, in the state it
 * was first read (a row written already finished comes once, finished). `updated`: a row first
 * seen `running` has left `running` (its completion or recovery).
 */
export type FollowEvent =
  | { readonly type: 'execution'; readonly change: 'new' | 'updated'; readonly execution: WorkflowExecution }
  | { readonly type: 'step'; readonly change: 'new' | 'updated'; readonly step: ExecutionStep };

const MIN_POLL_MS = 10;
const MAX_POLL_MS = 60_000;
const MAX_LOOK_BACK_MS = 24 * 3_600_000;

/**
 * Checks what a caller passed to `follow()`, before anything is read.
 * @throws QueryError naming the field.
 */
export function resolveFollowOptions(options: unknown, now: number): ResolvedFollowOptions {
  if (options === undefined) options = {};
  if (options === null || typeof options !== 'object' || Array.isArray(options)) {
    throw new QueryError('options', `${describe(options)} is not an options object`);
  }
  const given = options as Record<string, unknown>;
  const status = optionalString(given.status, 'status');
  if (status !== undefined && !(STEP_STATUSES as readonly string[]).includes(status)) {
    throw new QueryError('status', `${describe(status)} is not one of ${STEP_STATUSES.join(', ')}`);
  }
  const signal = given.signal;
  if (signal !== undefined && !(signal instanceof AbortSignal)) throw new QueryError('signal', `${describe(signal)} is not an AbortSignal`);
  return {
    since: integerIn(given.since, 'since', 0, 8.64e15, now),
    workflowId: optionalString(given.workflowId, 'workflowId'),
    status: status as StepStatus | undefined,
    signal,
    pollIntervalMs: integerIn(given.pollIntervalMs, 'pollIntervalMs', MIN_POLL_MS, MAX_POLL_MS, 100),
    lookBackMs: integerIn(given.lookBackMs, 'lookBackMs', 0, MAX_LOOK_BACK_MS, 10_000),
  };
}

function integerIn(value: unknown, field: string, min: number, max: number, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new QueryError(field, `${describe(value)} is not a whole number from ${min} to ${max}`);
  }
  return value;
}
