import { LoggedNode } from '../../decorators';
import { sleep } from '../abort';
import type { NodeContext, NodeInputs, NodeOutputs } from '../types';
import { WorkflowNode, workflowNodeStep } from '../WorkflowNode';
import { RetryAttempt, type RetryAction } from './RetryAttempt';

/** Attempts and backoff of a RetryNode, plus the WorkflowNode declarations. */
export interface RetryNodeOptions {
  /** Tries in all, the first included. @default 3 */
  attempts?: number;
  /** Wait before the 2nd try; doubled before each next one. @default 10 */
  backoffMs?: number;
  /** Cap on one wait. @default 1000 */
  maxBackoffMs?: number;
  requiredInputs?: readonly string[];
  outputNames?: readonly string[];
}

/**
 * Runs an action until it succeeds, up to `attempts` times, waiting `backoffMs`, then twice
 * that, and so on between tries. Its step spans all tries; each try is a step of its own
 * (`<id>#1`, `<id>#2`…). Fails with the last try's error; an aborted run stops the retries.
 */
export class RetryNode extends WorkflowNode {
  readonly type = 'retry';
  readonly attempts: number;
  readonly backoffMs: number;
  readonly maxBackoffMs: number;
  private readonly action: RetryAction;

  constructor(id: string, label: string, action: RetryAction, options: RetryNodeOptions = {}) {
    super(id, label, options);
    this.attempts = options.attempts ?? 3;
    this.backoffMs = options.backoffMs ?? 10;
    this.maxBackoffMs = options.maxBackoffMs ?? 1000;
    if (!Number.isInteger(this.attempts) || this.attempts < 1) throw new RangeError(`RetryNode "${id}": attempts must be an integer >= 1`);
    for (const [name, value] of [
      ['backoffMs', this.backoffMs],
      ['maxBackoffMs', this.maxBackoffMs],
    ] as const) {
      if (!(value >= 0 && Number.isFinite(value))) throw new RangeError(`RetryNode "${id}": ${name} must be a finite number >= 0`);
    }
    this.action = action;
  }

  /** The wait after failed try number `attempt` (1-based). */
  backoffAfter(attempt: number): number {
    return Math.min(this.maxBackoffMs, this.backoffMs * 2 ** (attempt - 1));
  }

  @LoggedNode(workflowNodeStep)
  async execute(inputs: NodeInputs, ctx?: NodeContext): Promise<NodeOutputs> {
    let lastError: unknown;
    for (let attempt = 1; attempt <= this.attempts; attempt++) {
      try {
        return await new RetryAttempt(this, attempt, this.attempts, this.action).execute(inputs, ctx);
      } catch (error) {
        // An aborted run is not a failure worth retrying.
        if (ctx?.signal.aborted) throw ctx.signal.reason;
        lastError = error;
        if (attempt < this.attempts) await sleep(this.backoffAfter(attempt), ctx?.signal);
      }
    }
    throw lastError;
  }
}
