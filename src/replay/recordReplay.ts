import type { DecoratedNode } from '../decorators/nodeSites';
import type { ExecutionLogger } from '../logger/ExecutionLogger';
import type { RecordedStep } from './loadRecordedStep';
import { outputOf, type CallResult } from './callNode';

/** The trigger type of an execution that records a replay. */
export const REPLAY_TRIGGER = 'replay';

/**
 * Records a replay as a new execution of the step's workflow holding the one replayed step, marked
 * `replayOfStepId`, through the logger's imperative lifecycle (the call itself ran unrecorded, so
 * what it called is not in it), then writes it. Null when the logger records nothing (disabled).
 */
export async function recordReplay(
  logger: ExecutionLogger,
  { step, execution }: RecordedStep,
  { site }: DecoratedNode,
  node: object,
  args: unknown[],
  call: CallResult,
): Promise<{ executionId: string; stepId: string } | null> {
  const executionId = await logger.startExecution({
    workflowId: execution?.workflowId ?? 'unknown',
    workflowName: execution?.workflowName ?? 'unknown',
    triggerType: REPLAY_TRIGGER,
    replayOfStepId: step.id,
  });
  if (executionId === '') return null;
  let input: unknown;
  try {
    input = site.inputs(node, args);
  } catch {
    input = undefined;
  }
  const stepId = await logger.startNode({
    executionId,
    nodeId: site.nodeId(node),
    nodeType: site.nodeType(node),
    nodeName: site.nodeName(node),
    inputData: input,
  });
  if (call.ok) await logger.completeNode(stepId, true, outputOf(site, call.value, node));
  else await logger.completeNode(stepId, false, undefined, call.thrown);
  await logger.completeExecution(executionId, call.ok, call.ok ? undefined : call.thrown);
  await logger.flush();
  return { executionId, stepId };
}
