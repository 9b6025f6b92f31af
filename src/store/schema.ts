import type { ExecutionStatus, StepStatus, TriggerType } from '../entities';

/**
 * The history tables, defined once. The row types the store accepts, the column lists of its
 * raw writes, the update maps, the fields that cross to the writer thread as captured JSON and
 * the export's fields are all derived from here. The TypeORM entities and the migrations stay
 * hand-written (users read them); `__tests__/schema.test.ts` holds both to this definition as
 * TypeORM itself sees them.
 *
 * Adding a column: one line here, the entity's `@Column`, and a migration.
 */

/** How a column is stored: the SQL type family, and how its value is encoded. */
export type ColumnKind =
  /** A UUIDv7, `varchar(36)`. */
  | 'id'
  /** `text`. */
  | 'text'
  /** A status, `varchar(16)`. */
  | 'status'
  /** `integer`. */
  | 'integer'
  /** Epoch milliseconds or a duration in ms, `bigint`, read back as a number. */
  | 'epochMs'
  /** Captured data: JSON text in a `text` column, parsed on read. */
  | 'json'
  /** A tag's key, `varchar(64)` (see `store/tags.ts`). */
  | 'tagKey'
  /** A tag's value, `varchar(256)`. */
  | 'tagValue'
  /** An OpenTelemetry trace id, 32 lowercase hex digits, `varchar(32)`. */
  | 'traceId'
  /** An OpenTelemetry span id, 16 lowercase hex digits, `varchar(16)`. */
  | 'spanId'
  /** A SHA-256 in hex, `varchar(64)`. */
  | 'hash';

export interface ColumnDef<T = unknown, N extends boolean = boolean, P extends boolean = boolean> {
  /** The column's name in SQL (snake_case). */
  readonly column: string;
  readonly kind: ColumnKind;
  /** Whether the column may hold NULL; such columns are optional in a new row. */
  readonly isNullable: N;
  /** Whether an update (a completion) may set it. */
  readonly isPatchable: P;
  /** Only in the type system: what the column holds. */
  readonly type?: T;
  nullable(): ColumnDef<T, true, P>;
  patchable(): ColumnDef<T, N, true>;
}

function column<T>(column: string, kind: ColumnKind): ColumnDef<T, false, false> {
  return define<T, false, false>(column, kind, false, false);
}

function define<T, N extends boolean, P extends boolean>(
  column: string,
  kind: ColumnKind,
  isNullable: N,
  isPatchable: P,
): ColumnDef<T, N, P> {
  return {
    column,
    kind,
    isNullable,
    isPatchable,
    nullable: () => define<T, true, P>(column, kind, true, isPatchable),
    patchable: () => define<T, N, true>(column, kind, isNullable, true),
  };
}

/** `workflow_executions`: one row per workflow run. Property order is column order. */
export const executionColumns = {
  /** UUIDv7, made by the client: time-ordered. */
  id: column<string>('id', 'id'),
  workflowId: column<string>('workflow_id', 'text'),
  workflowName: column<string>('workflow_name', 'text'),
  triggerType: column<TriggerType>('trigger_type', 'text'),
  triggerData: column<unknown>('trigger_data', 'json').nullable(),
  status: column<ExecutionStatus>('status', 'status').patchable(),
  /** Epoch milliseconds. */
  startedAt: column<number>('started_at', 'epochMs'),
  completedAt: column<number>('completed_at', 'epochMs').nullable().patchable(),
  durationMs: column<number>('duration_ms', 'epochMs').nullable().patchable(),
  errorMessage: column<string>('error_message', 'text').nullable().patchable(),
  errorStack: column<string>('error_stack', 'text').nullable().patchable(),
  metadata: column<unknown>('metadata', 'json').nullable().patchable(),
  /** Set when this workflow was started from inside a node of another execution. */
  parentExecutionId: column<string>('parent_execution_id', 'id').nullable(),
  parentStepId: column<string>('parent_step_id', 'id').nullable(),
  /** The logger instance (process) that owns this row while it is running. */
  instanceId: column<string>('instance_id', 'id').nullable(),
  /**
   * Tags to find the run by: an object of string → string (see `store/tags.ts` for the limits).
   * The store keeps `execution_tags` in step with it, in the same transaction.
   */
  tags: column<Record<string, string>>('tags', 'json').nullable().patchable(),
  /** The OpenTelemetry span active when the run started (or flowtrail's own span for it). */
  traceId: column<string>('trace_id', 'traceId').nullable(),
  spanId: column<string>('span_id', 'spanId').nullable(),
  /** Set on a re-run: the execution it was forked from, and that execution's step it re-ran from. */
  forkedFromExecutionId: column<string>('forked_from_execution_id', 'id').nullable(),
  forkedFromStepId: column<string>('forked_from_step_id', 'id').nullable(),
  /** Set on a recorded replay: the step whose recorded input it ran again. */
  replayOfStepId: column<string>('replay_of_step_id', 'id').nullable(),
  /** The workflow's shape this run had, a key of `workflow_definitions` (runner runs only). */
  definitionHash: column<string>('definition_hash', 'hash').nullable(),
};

/** `execution_steps`: one row per node execution. Property order is column order. */
export const stepColumns = {
  id: column<string>('id', 'id'),
  executionId: column<string>('execution_id', 'id'),
  nodeId: column<string>('node_id', 'text'),
  nodeType: column<string>('node_type', 'text'),
  nodeName: column<string>('node_name', 'text').nullable(),
  /** 0-based, unique within the execution, in start order. */
  stepIndex: column<number>('step_index', 'integer'),
  startedAt: column<number>('started_at', 'epochMs'),
  completedAt: column<number>('completed_at', 'epochMs').nullable().patchable(),
  durationMs: column<number>('duration_ms', 'epochMs').nullable().patchable(),
  status: column<StepStatus>('status', 'status').patchable(),
  inputData: column<unknown>('input_data', 'json').nullable().patchable(),
  outputData: column<unknown>('output_data', 'json').nullable().patchable(),
  errorMessage: column<string>('error_message', 'text').nullable().patchable(),
  errorStack: column<string>('error_stack', 'text').nullable().patchable(),
  instanceId: column<string>('instance_id', 'id').nullable(),
  /** The OpenTelemetry span active when the step started (or flowtrail's own span for it). */
  traceId: column<string>('trace_id', 'traceId').nullable(),
  spanId: column<string>('span_id', 'spanId').nullable(),
  /** On a `reused` step of a re-run: the original step whose recorded output it took. */
  reusedFromStepId: column<string>('reused_from_step_id', 'id').nullable(),
};

/** `flowtrail_instances`: one row per logger (process), for leases and crash recovery. */
export const instanceColumns = {
  id: column<string>('id', 'id'),
  hostname: column<string>('hostname', 'text'),
  pid: column<number>('pid', 'integer'),
  startedAt: column<number>('started_at', 'epochMs'),
  heartbeatAt: column<number>('heartbeat_at', 'epochMs'),
  stoppedAt: column<number>('stopped_at', 'epochMs').nullable(),
};

/**
 * `execution_tags`: one row per tag of an execution, what `listExecutions({ tags })` looks up.
 * Derived from `workflow_executions.tags` by the store (never written on its own); `started_at`
 * is the execution's, so that a tag's runs are read newest first from the index alone.
 */
export const tagColumns = {
  executionId: column<string>('execution_id', 'id'),
  tagKey: column<string>('tag_key', 'tagKey'),
  tagValue: column<string>('tag_value', 'tagValue'),
  startedAt: column<number>('started_at', 'epochMs'),
};

/**
 * `workflow_definitions`: the shape of each workflow the runner ran, once per content hash, so
 * that a run's graph can be shown after its workflow changed. Never updated; insert-only.
 */
export const definitionColumns = {
  /** SHA-256 (hex) of `definition`'s canonical JSON. */
  hash: column<string>('hash', 'hash'),
  workflowId: column<string>('workflow_id', 'text'),
  definition: column<unknown>('definition', 'json'),
  /** When this shape was first stored, epoch milliseconds. */
  createdAt: column<number>('created_at', 'epochMs'),
};

export interface TableDef<C extends Record<string, ColumnDef>> {
  readonly name: string;
  readonly columns: C;
}

export const executionsTable: TableDef<typeof executionColumns> = { name: 'workflow_executions', columns: executionColumns };
export const stepsTable: TableDef<typeof stepColumns> = { name: 'execution_steps', columns: stepColumns };
export const instancesTable: TableDef<typeof instanceColumns> = { name: 'flowtrail_instances', columns: instanceColumns };
export const tagsTable: TableDef<typeof tagColumns> = { name: 'execution_tags', columns: tagColumns };
export const definitionsTable: TableDef<typeof definitionColumns> = { name: 'workflow_definitions', columns: definitionColumns };

// ── Types derived from a table ─────────────────────────────────────────────────────────────────

type ValueOf<D> = D extends ColumnDef<infer T> ? T : never;
type NullableKeys<C> = { [K in keyof C]: C[K] extends { isNullable: true } ? K : never }[keyof C];
type PatchableKeys<C> = { [K in keyof C]: C[K] extends { isPatchable: true } ? K : never }[keyof C];

type Simplify<T> = { [K in keyof T]: T[K] } & {};

/**
 * A new row: nullable columns are optional and may be null, `id` is optional (the store makes a
 * UUIDv7 when it is missing), everything else is required.
 */
export type NewRow<C> = Simplify<
  { [K in keyof C as K extends 'id' | NullableKeys<C> ? never : K]: ValueOf<C[K]> } & {
    [K in keyof C as K extends NullableKeys<C> ? K : never]?: ValueOf<C[K]> | null;
  } & { id?: string }
>;

/** What an update may set: the patchable columns; a key left undefined is left unchanged. */
export type Patch<C> = { [K in PatchableKeys<C> & keyof C]?: ValueOf<C[K]> | (C[K] extends { isNullable: true } ? null : never) };

// ── Lists derived from a table ─────────────────────────────────────────────────────────────────

/** Property names in column order. */
export function propertiesOf<C extends Record<string, ColumnDef>>(table: TableDef<C>): (keyof C & string)[] {
  return Object.keys(table.columns) as (keyof C & string)[];
}

/** Properties holding captured data (JSON): what crosses to the writer thread as JSON text. */
export function jsonPropertiesOf<C extends Record<string, ColumnDef>>(table: TableDef<C>, only?: 'patchable'): (keyof C & string)[] {
  return propertiesOf(table).filter(
    (key) => table.columns[key]!.kind === 'json' && (only === undefined || table.columns[key]!.isPatchable),
  );
}

/** The SQL type a JSON-parameter statement must cast each non-text column to, by column name. */
export function castsOf(table: TableDef<Record<string, ColumnDef>>): Readonly<Record<string, string>> {
  const casts: Record<string, string> = {};
  for (const def of Object.values(table.columns)) {
    if (def.kind === 'epochMs') casts[def.column] = 'bigint';
    else if (def.kind === 'integer') casts[def.column] = 'integer';
  }
  return casts;
}
