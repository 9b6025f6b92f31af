import { uuidv7 } from '../src';
import { executionContext } from '../src/logger/context';
import type { ExecutableNode } from './support';

/** Where the floor's results go, so that V8 cannot drop its work as dead code. */
export const floorSink = { stepId: '', otherId: '', input: '', output: '' };

/**
 * The floor of recording a step (issue #16, target 2): what any recorder of the same data has to
 * do, and nothing else. The current context looked up and a new one entered with
 * AsyncLocalStorage.run (nested calls must see their step), both payloads serialised with
 * JSON.stringify, and two ids (flowtrail's uuidv7, as the step id and one more, as the issue
 * words it). No record, no queue, no timestamps: flowtrail's cost is reported as a multiple of this.
 * Runs inside a recorded execution, so it uses flowtrail's own AsyncLocalStorage: a second one
 * would tax every other variant's promises too.
 */
export function floorNode(node: ExecutableNode): ExecutableNode {
  return {
    execute(input) {
      const outer = executionContext.getStore();
      if (outer === undefined) throw new Error('the floor runs inside a recorded execution');
      const stepId = uuidv7();
      floorSink.input = JSON.stringify(input);
      const context = { logger: outer.logger, execution: outer.execution, stepId };
      return executionContext
        .run(context, () => node.execute(input))
        .then((output) => {
          floorSink.stepId = stepId;
          floorSink.otherId = uuidv7();
          floorSink.output = JSON.stringify(output);
          return output;
        });
    },
  };
}
