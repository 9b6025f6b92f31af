import type { TriggerType } from '../../entities';
import { RerunError } from '../../errors';
import type { ExecutionStore } from '../../store/ExecutionStore';
import type { Workflow } from '../types';
import type { OriginalRun } from './rerunPlan';

/**
 * Reads the execution a re-run continues: its steps, its trigger and the definition it ran.
 * @throws RerunError `execution-not-found` when there is no store to read or no such execution,
 * `other-workflow` when it ran another workflow.
 */
export async function readOriginal(
  store: ExecutionStore | null,
  executionId: string,
  workflow: Workflow,
): Promise<OriginalRun & { triggerType: TriggerType }> {
  if (store === null) {
    throw new RerunError(
      'execution-not-found',
      String(executionId),
      'the runner has no logger (and no default logger is set) to read it from',
    );
  }
  if (typeof executionId !== 'string' || executionId === '') {
    throw new RerunError('execution-not-found', String(executionId), 'an execution id is a non-empty string');
  }
  const execution = await store.getExecution(executionId, { steps: true });
  if (execution === null) throw new RerunError('execution-not-found', executionId, `no execution with this id in ${store.target}`);
  if (execution.workflowId !== workflow.id) {
    throw new RerunError('other-workflow', executionId, `it ran workflow "${execution.workflowId}", not "${workflow.id}"`);
  }
  const definitionHash = execution.definitionHash ?? null;
  const stored = definitionHash === null ? null : await store.getDefinition(definitionHash);
  return {
    id: execution.id,
    definitionHash,
    definition: stored?.definition ?? null,
    triggerType: execution.triggerType,
    triggerData: execution.triggerData,
    steps: execution.steps ?? [],
  };
}
