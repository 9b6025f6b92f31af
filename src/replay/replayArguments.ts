import type { DecoratedNode } from '../decorators/nodeSites';
import type { ExecutionStep } from '../entities';
import { ReplayError } from '../errors';
import type { NodeContext } from '../runner/types';
import { workflowNodeStep } from '../runner/WorkflowNode';
import { findLostData, type LostData } from '../capture/lostData';
import type { RecordedStep } from './loadRecordedStep';

/** What rebuilding the arguments needs besides the recorded step. */
export interface ArgumentSources {
  decorated: DecoratedNode;
  /** The method's declared parameter count: a method of none is called with none when no input was stored. */
  arity: number;
  /** The `args` option, if given. */
  args: ((input: unknown, step: ExecutionStep) => unknown[]) | undefined;
  /** The context a runner node is called with. */
  context: () => NodeContext;
}

/**
 * The arguments to call the method with, rebuilt from the recorded input as the node's `inputs`
 * option captured it: by default the single argument, or the argument list (an array is spread);
 * a runner node's inputs, with a context of its own; or what `args` makes of the input.
 * @throws ReplayError when that cannot be done faithfully: the input was not stored, holds markers,
 * or was captured by an `inputs` option of the user's and no `args` says how to undo it.
 */
export function replayArguments(recorded: RecordedStep, sources: ArgumentSources): unknown[] {
  const { step } = recorded;
  const input: unknown = recorded.inputStored ? step.inputData : null;
  if (sources.args !== undefined) {
    const args = sources.args(input, step);
    if (!Array.isArray(args)) throw new TypeError(`replayStep: the args option must return an array of arguments, got ${typeof args}`);
    refuseMarkers(step.id, findLostData(args), 'the arguments `args` built');
    return args;
  }
  const option = sources.decorated.inputsOption;
  const runnerNode = option === workflowNodeStep.inputs;
  if (option !== undefined && !runnerNode) {
    throw new ReplayError(
      'args-required',
      step.id,
      "the node's `inputs` option recorded something else than its arguments; pass `args: (input) => [...]` to rebuild them",
    );
  }
  if (!recorded.inputStored) {
    if (!runnerNode && sources.arity === 0) return [];
    throw new ReplayError(
      'inputs-not-captured',
      step.id,
      'no input was recorded (the logger ran with captureInputs: false; or the call had no arguments, or null: pass `args` to give them)',
    );
  }
  refuseMarkers(step.id, findLostData(input), 'the recorded input');
  if (runnerNode) return [input, sources.context()];
  return Array.isArray(input) ? [...(input as unknown[])] : [input];
}

function refuseMarkers(stepId: string, markers: LostData[], where: string): void {
  if (markers.length === 0) return;
  const listed = markers.map(({ path, kind }) => `${path} (${kind})`).join(', ');
  throw new ReplayError(
    'inputs-incomplete',
    stepId,
    `${where} holds what capture stored in place of values, not the values: ${listed}. Replaying with it would not be the recorded call; pass \`args\` to supply them`,
    markers,
  );
}
