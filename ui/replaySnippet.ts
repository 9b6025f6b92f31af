import type { StepSummary } from './api';

/**
 * The test that replays a step (docs/replay.md). Every stored text in it is a JSON string
 * literal: a node id holding a quote or a line break cannot become code when the snippet is pasted.
 */
export function replaySnippet(step: StepSummary): string {
  const title = literal(`step ${step.stepIndex} (${step.nodeId}) of ${step.executionId} replays the same`);
  return [
    "import { flowtrailMatchers, replayStep } from 'flowtrail';",
    '',
    'expect.extend(flowtrailMatchers); // once, in a setup file',
    '',
    `test(${title}, async () => {`,
    `  // store: an ExecutionStore on this history; the node built as your code builds it (node type ${literal(step.nodeType)})`,
    `  const result = await replayStep(store, ${literal(step.id)}, new YourNode());`,
    '  expect(result).toMatchRecordedOutput();',
    '});',
    '',
  ].join('\n');
}

/** A JSON string literal, with U+2028 and U+2029 escaped too: in a comment they would end the line. */
function literal(text: string): string {
  return JSON.stringify(text).replace(/[\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16)}`);
}
