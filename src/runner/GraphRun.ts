import { reuseNode, skipNode } from '../decorators';
import { WorkflowCancelledError, WorkflowTimeoutError } from '../errors';
import { cancellation } from './abort';
import type { RerunPlan, ReusedNode } from './rerun/rerunPlan';
import type { NodeContext, NodeInputs, NodeOutputs, RunOptions, RunResult, Trigger } from './types';
import { TRIGGER_INPUT, type WorkflowGraph } from './Workflow';
import type { WorkflowNode } from './WorkflowNode';
import type { WorkflowRunner } from './WorkflowRunner';

const DEFAULT_ABORT_GRACE_MS = 1000;

/**
 * The state of one run of one workflow: everything a run needs lives here, so a runner (and the
 * nodes) can serve any number of runs at once.
 *
 * Scheduling is event-driven: each node waits for all its incoming connections to resolve
 * (the upstream node finished or was skipped) and starts in the same tick as the last one, so
 * independent branches run concurrently. The steps themselves are recorded by the nodes'
 * decorators; the only things recorded here are a skip and, in a re-run, a reused result, which
 * no node call can express.
 *
 * A re-run ({@link RerunPlan}) runs the same graph: a reused node is not called, its recorded
 * outputs are delivered as if it had just returned them, so what runs downstream of it, and
 * which branches are taken, follow as they did in the original.
 */
export class GraphRun {
  private readonly controller = new AbortController();
  /** Per node: incoming connections not yet resolved. */
  private readonly waiting = new Map<string, number>();
  /** Per node: the input values delivered so far. */
  private readonly inputs = new Map<string, NodeInputs>();
  private readonly outputs: Record<string, NodeOutputs> = {};
  private readonly skipped: string[] = [];
  /** Nodes started and not yet settled: an abort waits for them (bounded). */
  private readonly running = new Set<Promise<void>>();
  /** Nodes whose inputs are complete, waiting for the next turn of the event loop to start. */
  private released: [WorkflowNode, NodeInputs][] = [];
  private unfinished: number;
  /** Set once the run has failed or was aborted: nothing new starts after that. */
  private stopped = false;
  private settle: { resolve: () => void; reject: (error: unknown) => void } = { resolve: () => undefined, reject: () => undefined };

  constructor(
    private readonly graph: WorkflowGraph,
    private readonly trigger: Trigger,
    private readonly options: RunOptions,
    private readonly runner: WorkflowRunner,
    private readonly rerun: RerunPlan | null = null,
  ) {
    this.unfinished = graph.nodes.size;
    for (const [id, incoming] of graph.incoming) this.waiting.set(id, incoming.length);
  }

  /**
   * Runs the graph to the end. Rejects with the first node error, or with WorkflowTimeoutError /
   * WorkflowCancelledError, once the nodes still running have settled or the grace period passed.
   */
  async execute(): Promise<RunResult> {
    const { signal, timeoutMs } = this.options;
    if (signal?.aborted) throw cancellation(signal.reason);
    const done = new Promise<void>((resolve, reject) => (this.settle = { resolve, reject }));
    const onAbort = () => this.abort(cancellation(signal?.reason));
    signal?.addEventListener('abort', onAbort, { once: true });
    const timer = timeoutMs === undefined ? undefined : setTimeout(() => this.abort(new WorkflowTimeoutError(timeoutMs)), timeoutMs);
    try {
      for (const root of this.graph.roots) this.start(root, this.replaced(root) ?? { [TRIGGER_INPUT]: this.trigger.data });
      this.finishIfDone();
      await done;
      return { outputs: this.outputs, skipped: this.skipped };
    } finally {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
    }
  }

  /**
   * Starts a node on the next turn of the event loop, together with every node released in this
   * one. Started from the promise callback that released them, a graph of CPU-bound nodes would
   * run start to end as one chain of microtasks, and timers (this run's timeout), I/O and the
   * history's writes would all wait until it is over.
   */
  private startSoon(node: WorkflowNode, inputs: NodeInputs): void {
    this.released.push([node, inputs]);
    if (this.released.length > 1) return;
    setImmediate(() => {
      const released = this.released;
      this.released = [];
      for (const [next, nextInputs] of released) this.start(next, nextInputs);
    });
  }

  private start(node: WorkflowNode, inputs: NodeInputs): void {
    if (this.stopped) return;
    const ctx: NodeContext = { signal: this.controller.signal, runner: this.runner, workflowId: this.graph.workflow.id };
    let result: Promise<unknown>;
    const reused = this.rerun?.reused.get(node.id);
    try {
      result = Promise.resolve(reused === undefined ? node.execute(inputs, ctx) : this.reuse(node, reused));
    } catch (error) {
      result = Promise.reject(error);
    }
    const settled: Promise<void> = result
      .then(
        (value) => this.succeeded(node, value),
        (error: unknown) => this.failed(node, error),
      )
      .finally(() => this.running.delete(settled));
    this.running.add(settled);
  }

  /** A re-run's reused node: recorded as such, its recorded outputs its result. */
  private reuse(node: WorkflowNode, reused: ReusedNode): NodeOutputs {
    const { step, outputs } = reused;
    reuseNode({
      nodeId: node.id,
      nodeType: node.type,
      nodeName: node.label,
      inputData: step.inputData,
      outputData: step.outputData,
      reusedFromStepId: step.id,
    });
    return outputs;
  }

  /** The inputs a re-run's caller gave its `from` node instead of those its upstream produces. */
  private replaced(node: WorkflowNode): NodeInputs | undefined {
    return this.rerun !== null && this.rerun.from === node.id ? this.rerun.input : undefined;
  }

  private succeeded(node: WorkflowNode, value: unknown): void {
    // After a failure or an abort, a late result starts nothing: the run is already ending.
    if (this.stopped) return;
    if (value !== undefined && (typeof value !== 'object' || value === null || Array.isArray(value))) {
      const got = value === null ? 'null' : Array.isArray(value) ? 'an array' : typeof value;
      this.failed(node, new TypeError(`Node "${node.id}" returned ${got}; execute() must return an object of named outputs`));
      return;
    }
    const outputs = (value ?? {}) as NodeOutputs;
    this.outputs[node.id] = outputs;
    this.unfinished--;
    for (const connection of this.graph.outgoing.get(node.id) ?? []) {
      if (Object.hasOwn(outputs, connection.from.output)) {
        this.inputsOf(connection.to.node)[connection.to.input] = outputs[connection.from.output];
      }
      this.release(connection.to.node);
    }
    this.finishIfDone();
  }

  private failed(node: WorkflowNode, error: unknown): void {
    // The run rejects with the node's own error, so the execution records the step's message;
    // the nodes still running are told which node stopped them.
    this.abort(error, new WorkflowCancelledError(`node "${node.id}" failed`));
  }

  /** One incoming connection of `nodeId` resolved; on the last one, run or skip the node. */
  private release(nodeId: string): void {
    const left = (this.waiting.get(nodeId) ?? 0) - 1;
    this.waiting.set(nodeId, left);
    const node = this.graph.nodes.get(nodeId);
    if (left > 0 || this.stopped || !node) return;
    const replaced = this.replaced(node);
    if (replaced !== undefined) return this.startSoon(node, replaced);
    const inputs = this.inputsOf(nodeId);
    const reason = this.skipReason(node, inputs);
    if (reason === null) this.startSoon(node, inputs);
    else this.skip(node, reason);
  }

  /**
   * A node runs when at least one of its inputs arrived and all its required ones did; a merge
   * after a condition thus runs with whichever branch was taken.
   */
  private skipReason(node: WorkflowNode, inputs: NodeInputs): string | null {
    const incoming = this.graph.incoming.get(node.id) ?? [];
    const missing = node.requiredInputs.find((input) => !Object.hasOwn(inputs, input));
    if (missing !== undefined) {
      const source = incoming.find((connection) => connection.to.input === missing);
      return `Required input "${missing}" was not produced${source ? ` (${source.from.node}.${source.from.output})` : ''}`;
    }
    if (Object.keys(inputs).length > 0) return null;
    const sources = incoming.map((connection) => `${connection.from.node}.${connection.from.output}`).join(', ');
    return `Branch not taken: no input was produced (${sources})`;
  }

  private skip(node: WorkflowNode, reason: string): void {
    skipNode({ nodeId: node.id, nodeType: node.type, nodeName: node.label, reason });
    this.skipped.push(node.id);
    this.unfinished--;
    for (const connection of this.graph.outgoing.get(node.id) ?? []) this.release(connection.to.node);
  }

  private finishIfDone(): void {
    if (!this.stopped && this.unfinished === 0) this.settle.resolve();
  }

  /**
   * Stops the run: nothing new starts, running nodes see `ctx.signal` fire with `nodeReason`,
   * and the run rejects with `error` once they settled (their steps closed) or the grace ran out.
   */
  private abort(error: unknown, nodeReason: unknown = error): void {
    if (this.stopped) return;
    this.stopped = true;
    this.controller.abort(nodeReason);
    const graceMs = this.options.abortGraceMs ?? DEFAULT_ABORT_GRACE_MS;
    void allSettledWithin([...this.running], graceMs).then(() => this.settle.reject(error));
  }

  private inputsOf(nodeId: string): NodeInputs {
    let inputs = this.inputs.get(nodeId);
    if (!inputs) this.inputs.set(nodeId, (inputs = {}));
    return inputs;
  }
}

/** Resolves when all `promises` settled or after `ms`, whichever is first, leaving no timer behind. */
function allSettledWithin(promises: readonly Promise<unknown>[], ms: number): Promise<void> {
  if (promises.length === 0) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    void Promise.allSettled(promises).then(() => {
      clearTimeout(timer);
      resolve();
    });
  });
}
