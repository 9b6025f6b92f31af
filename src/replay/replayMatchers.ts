import { ReplayMismatchError } from '../errors';
import type { CappedJson, PathChange } from '../store/jsonDiff';
import type { ReplayResult } from './replayStep';

/**
 * What a replay changed, one line per path (`~ $.output.total  12.5 → 13`, `- …` removed,
 * `+ …` added), with the recorded step it replays; then the paths compared only as a marker.
 */
export function describeReplay(result: ReplayResult): string {
  const { step } = result;
  const lines = [
    `Replay of step ${step.id} (node ${JSON.stringify(step.nodeId)}, type ${JSON.stringify(step.nodeType)}, ` +
      `step ${step.stepIndex} of execution ${step.executionId}):`,
  ];
  if (result.changes.length === 0 && result.omitted === 0) lines.push('  same outcome as recorded');
  for (const change of result.changes) lines.push(`  ${changeLine(change)}`);
  if (result.omitted > 0) lines.push(`  … and ${result.omitted} more path${result.omitted === 1 ? '' : 's'} (maxPaths)`);
  if (result.incomparable.length > 0) {
    const listed = result.incomparable.map(({ path, kind }) => `${path} (${kind})`).join(', ');
    lines.push(`  compared as the marker stored in place of the value: ${listed}`);
  }
  return lines.join('\n');
}

function changeLine(change: PathChange): string {
  const marker = change.marker ? `  (${change.marker}: stored as a marker)` : '';
  if (change.kind === 'added') return `+ ${change.path}  ${json(change.b)}${marker}`;
  if (change.kind === 'removed') return `- ${change.path}  ${json(change.a)}${marker}`;
  return `~ ${change.path}  ${json(change.a)} → ${json(change.b)}${marker}`;
}

function json(capped: CappedJson | undefined): string {
  if (capped === undefined) return '';
  return capped.omittedBytes > 0 ? `${capped.json}… (${capped.omittedBytes} more bytes)` : capped.json;
}

/** Whether a value is what `replayStep` resolves to. */
function isReplayResult(value: unknown): value is ReplayResult {
  return typeof value === 'object' && value !== null && Array.isArray((value as ReplayResult).changes) && 'recorded' in value;
}

/**
 * Throws a {@link ReplayMismatchError} listing the changed paths, recorded against new values,
 * when the replay differs from the recorded step; for any test runner, or none:
 * `assertReplayMatches(await replayStep(store, stepId, node))`.
 */
export function assertReplayMatches(result: ReplayResult): void {
  if (result.changes.length === 0 && result.omitted === 0) return;
  throw new ReplayMismatchError(
    describeReplay(result),
    result.changes.map((change) => change.path),
  );
}

/** What a matcher returns to Jest's and Vitest's `expect`. */
interface MatcherResult {
  pass: boolean;
  message: () => string;
}

/**
 * Matchers for `expect.extend(flowtrailMatchers)`, in Jest or Vitest (no import of either):
 * `expect(await replayStep(store, stepId, node)).toMatchRecordedOutput()` passes when the replay
 * has no changes, and fails listing each changed path with its recorded and new value. For the
 * types, declare it once (see docs/replay.md).
 */
export const flowtrailMatchers = {
  toMatchRecordedOutput(this: { isNot?: boolean } | undefined, received: unknown): MatcherResult {
    if (!isReplayResult(received)) {
      return { pass: false, message: () => 'toMatchRecordedOutput expects what replayStep() resolves to (did you forget await?)' };
    }
    const pass = received.changes.length === 0 && received.omitted === 0;
    return {
      pass,
      message: () =>
        pass
          ? `Expected the replay to differ from the recorded outcome, but it is the same.\n${describeReplay(received)}`
          : `Expected the replay to match the recorded outcome.\n${describeReplay(received)}`,
    };
  },
};
