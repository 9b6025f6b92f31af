import { findLostData, type LostData } from '../capture/lostData';
import type { ExecutionStep, StepStatus } from '../entities';

/**
 * One step's recorded output as a re-run needs it: what `store.getRecordedOutputs()` returns,
 * the primitive an engine of its own builds a re-run on (flowtrail's runner uses the same checks).
 */
export interface RecordedOutput {
  stepId: string;
  nodeId: string;
  status: StepStatus;
  /** The output as stored (parsed JSON); null when none was captured. */
  output: unknown;
  /**
   * Whether `output` is the node's whole result: the step succeeded (or was itself reused), its
   * output was captured, and capture lost nothing in it (`lost` is empty).
   */
  complete: boolean;
  /** Where capture wrote a marker instead of data (truncated, redacted…), by path from the output's root. */
  lost: LostData[];
}

/** The steps' outputs, in step order; only the steps of `nodeIds` when given. */
export function recordedOutputs(steps: readonly ExecutionStep[], nodeIds?: readonly string[]): RecordedOutput[] {
  const wanted = nodeIds === undefined ? null : new Set(nodeIds);
  const found: RecordedOutput[] = [];
  for (const step of steps) {
    if (wanted !== null && !wanted.has(step.nodeId)) continue;
    const output = step.outputData ?? null;
    const lost = output === null ? [] : findLostData(output);
    const finished = step.status === 'success' || step.status === 'reused';
    found.push({
      stepId: step.id,
      nodeId: step.nodeId,
      status: step.status,
      output,
      complete: finished && output !== null && lost.length === 0,
      lost,
    });
  }
  return found;
}
