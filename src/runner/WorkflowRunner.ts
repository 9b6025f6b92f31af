import { AsyncLocalStorage } from 'node:async_hooks';
import { LoggedWorkflow } from '../decorators';
import { ExecutionLogger } from '../logger/ExecutionLogger';
import { GraphRun } from './GraphRun';
import type { RunOptions, RunResult, Trigger, Workflow } from './types';
import { validateWorkflow, type WorkflowGraph } from './Workflow';

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
    return runLogger.run(this.logger, () => this.execute(workflow, trigger, options, graph));
  }

  // Validation stays outside the decorated method: an invalid graph leaves no execution behind.
  @LoggedWorkflow({
    workflowId: (_self, [workflow]: [Workflow]) => workflow.id,
    workflowName: (_self, [workflow]: [Workflow]) => workflow.name,
    triggerType: (_self, [, trigger]: [Workflow, Trigger?]) => trigger?.type ?? 'manual',
    triggerData: (_self, [, trigger]: [Workflow, Trigger?]) => trigger?.data,
    tags: (_self, [, , options]: [Workflow, Trigger, RunOptions?]) => options?.tags,
    logger: () => runLogger.getStore() ?? ExecutionLogger.getDefault(),
  })
  private execute(workflow: Workflow, trigger: Trigger, options: RunOptions, graph: WorkflowGraph): Promise<RunResult> {
    return new GraphRun(graph, trigger, options, this).execute();
  }
}

function assertRunOptions(options: RunOptions): void {
  for (const key of ['timeoutMs', 'abortGraceMs'] as const) {
    const value = options[key];
    if (value !== undefined && !(typeof value === 'number' && value >= 0 && Number.isFinite(value))) {
      throw new RangeError(`${key} must be a finite number of ms >= 0, got ${String(value)}`);
    }
  }
}
