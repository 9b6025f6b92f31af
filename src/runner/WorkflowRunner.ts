import { AsyncLocalStorage } from 'node:async_hooks';
import { LoggedWorkflow } from '../decorators';
import { RerunError } from '../errors';
import { ExecutionLogger } from '../logger/ExecutionLogger';
import type { ExecutionOrigin } from '../logger/sites';
import { workflowDefinition } from './definition/workflowShape';
import { GraphRun } from './GraphRun';
import { readOriginal } from './rerun/readOriginal';
import { planRerun, type RerunPlan } from './rerun/rerunPlan';
import type { RerunOptions, RunOptions, RunResult, Trigger, Workflow } from './types';
import { TRIGGER_INPUT, validateWorkflow, type WorkflowGraph } from './Workflow';

/** `new WorkflowRunner(options)`. */
export interface WorkflowRunnerOptions {
  /** The logger that records this runner's runs. @default `ExecutionLogger.getDefault()` at each run */
  logger?: ExecutionLogger;
}

/**
 * The logger of the run being started. Decorator options are fixed per class, not per instance,
 * so the runner's logger reaches `@LoggedWorkflow` through the async call instead of a field that
 * concurrent runs would share.
 */
const runLogger = new AsyncLocalStorage<ExecutionLogger | null>();

/**
 * Runs workflow graphs. Each run is one recorded execution (through `@LoggedWorkflow`) and each
 * node call one step (through the nodes' `@LoggedNode`). Holds no per-run state: one runner can
 * run any number of workflows at once.
 */
export class WorkflowRunner {
  private readonly logger: ExecutionLogger | null;

  constructor(options: WorkflowRunnerOptions = {}) {
    this.logger = options.logger ?? null;
  }

  /**
   * Runs `workflow` once: each node starts as soon as all its upstream nodes are done; root nodes
   * get `trigger.data` as their `trigger` input.
   * @throws WorkflowGraphError (rejects) before anything runs or is recorded, when the graph is invalid.
   * @throws the first node error; WorkflowTimeoutError after `timeoutMs`; WorkflowCancelledError
   * when `signal` fires. Running nodes are aborted through `ctx.signal` and awaited (up to
   * `abortGraceMs`) first, so their steps are closed when the run rejects.
   */
  async run(workflow: Workflow, trigger: Trigger = { type: 'manual' }, options: RunOptions = {}): Promise<RunResult> {
    const graph = validateWorkflow(workflow);
    assertRunOptions(options);
    return runLogger.run(this.logger, () => this.execute(workflow, trigger, options, graph, originOf(workflow), null));
  }

  /**
   * Runs `workflow` again from node `from` as a new execution, continuing recorded execution
   * `executionId` of it: nodes upstream of `from` (and those beside it that succeeded there) are
   * not called; their recorded outputs are reused, each recorded as a step with status `reused`
   * pointing at the original step (`reusedFromStepId`). `from` and everything downstream run.
   * The new execution records `forkedFromExecutionId` and `forkedFromStepId` (the original's step
   * of `from`); its trigger is the original's. `input` replaces the inputs `from` receives (for a
   * root node, `{ trigger: … }`, which then is the new execution's trigger data too).
   *
   * The workflow is held to the definition stored for that execution: a definition that changed
   * so that `from` or a node upstream of it is not in both is refused, as is one not stored at
   * all, unless `force: true`.
   * @throws RerunError (rejects) before anything runs or is recorded: see its `reason`.
   * @throws WorkflowGraphError, and what `run()` throws once it runs.
   */
  async rerun(workflow: Workflow, executionId: string, options: RerunOptions): Promise<RunResult> {
    const graph = validateWorkflow(workflow);
    if (typeof options !== 'object' || options === null || typeof options.from !== 'string') {
      const from = (options as Partial<RerunOptions> | null | undefined)?.from;
      throw new RerunError('unknown-node', String(executionId), 'rerun needs options { from } naming the node to run again from', {
        nodes: [String(from)],
      });
    }
    assertRunOptions(options);
    if (options.input !== undefined && (typeof options.input !== 'object' || options.input === null || Array.isArray(options.input))) {
      throw new TypeError('rerun: input must be an object of named inputs, as execute() receives them');
    }
    const logger = this.logger ?? ExecutionLogger.getDefault();
    const definition = workflowDefinition(workflow);
    // A run of this process may still be queued in the logger: read it once it is written.
    await logger?.flush();
    const original = await readOriginal(logger?.store ?? null, executionId, workflow);
    const plan = planRerun(graph, definition.hash, original, options);
    const fromRoot = graph.roots.some((root) => root.id === plan.from);
    const data =
      fromRoot && plan.input !== undefined && Object.hasOwn(plan.input, TRIGGER_INPUT) ? plan.input[TRIGGER_INPUT] : original.triggerData;
    const trigger: Trigger = { type: original.triggerType, data: data ?? undefined };
    const origin: ExecutionOrigin = {
      definition: { hash: definition.hash, workflowId: workflow.id, json: definition.json },
      forkedFromExecutionId: original.id,
      forkedFromStepId: plan.forkedFromStepId,
    };
    return runLogger.run(logger, () => this.execute(workflow, trigger, options, graph, origin, plan));
  }

  // Validation stays outside the decorated method: an invalid graph leaves no execution behind.
  @LoggedWorkflow({
    workflowId: (_self, [workflow]: [Workflow]) => workflow.id,
    workflowName: (_self, [workflow]: [Workflow]) => workflow.name,
    triggerType: (_self, [, trigger]: [Workflow, Trigger?]) => trigger?.type ?? 'manual',
    triggerData: (_self, [, trigger]: [Workflow, Trigger?]) => trigger?.data,
    tags: (_self, [, , options]: [Workflow, Trigger, RunOptions?]) => options?.tags,
    origin: (_self, args: unknown[]) => args[4] as ExecutionOrigin,
    logger: () => runLogger.getStore() ?? ExecutionLogger.getDefault(),
  })
  private execute(
    _workflow: Workflow,
    trigger: Trigger,
    options: RunOptions,
    graph: WorkflowGraph,
    _origin: ExecutionOrigin,
    plan: RerunPlan | null,
  ): Promise<RunResult> {
    return new GraphRun(graph, trigger, options, this, plan).execute();
  }
}

/** A run's origin: its workflow's definition, stored once per hash and named by the execution. */
function originOf(workflow: Workflow): ExecutionOrigin {
  const { hash, json } = workflowDefinition(workflow);
  return { definition: { hash, workflowId: workflow.id, json } };
}

function assertRunOptions(options: RunOptions): void {
  for (const key of ['timeoutMs', 'abortGraceMs'] as const) {
    const value = options[key];
    if (value !== undefined && !(typeof value === 'number' && value >= 0 && Number.isFinite(value))) {
      throw new RangeError(`${key} must be a finite number of ms >= 0, got ${String(value)}`);
    }
  }
}
