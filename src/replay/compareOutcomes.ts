import type { IncompleteValue } from '../errors';
import { jsonDiff, type JsonDiff, type JsonDiffOptions } from '../store/jsonDiff';
import { findLostData } from '../capture/lostData';

/** What a call of a node came to, as the history stores it. */
export interface ReplayOutcome {
  status: 'success' | 'error';
  /** The output as stored: captured (redacted, capped) JSON data; null when there is none or the call failed. */
  output: unknown;
  /**
   * The error of a failed call: its message as stored, and its name as the first line of its stack
   * tells it (the history keeps no name of its own; null when the stack does not say).
   */
  error: { name: string | null; message: string } | null;
}

/** The comparison of a recorded outcome with the replayed one. */
export interface OutcomeComparison extends JsonDiff {
  /**
   * Paths where the recorded output holds a truncation or redaction marker: compared as the marker
   * (the same size and preview, the same "[REDACTED]"), since the value itself was never stored.
   */
  incomparable: IncompleteValue[];
}

/**
 * Compares two outcomes as documents `{ output }` (a success) or `{ error: { name, message } }`
 * (a failure), so a path reads `$.output.total` or `$.error.message`, and a success that now fails
 * is `$.output` removed and `$.error` added. An error name is compared only when both stacks tell it.
 */
export function compareOutcomes(recorded: ReplayOutcome, replayed: ReplayOutcome, options: JsonDiffOptions): OutcomeComparison {
  // Two errors compare their names only when both stacks tell them: an unknown name is no change.
  const bothErrors = recorded.status === 'error' && replayed.status === 'error';
  const unnamed = bothErrors && (recorded.error?.name == null || replayed.error?.name == null);
  const diff = jsonDiff(document(recorded, unnamed), document(replayed, unnamed), options);
  const incomparable =
    recorded.status === 'success'
      ? findLostData(recorded.output, { base: ['output'] }).filter(({ kind }) => kind === 'truncated' || kind === 'redacted')
      : [];
  return { ...diff, incomparable };
}

function document(outcome: ReplayOutcome, unnamed: boolean): Record<string, unknown> {
  if (outcome.status === 'success' || outcome.error === null) return { output: outcome.output };
  const { name, message } = outcome.error;
  return { error: unnamed || name === null ? { message } : { name, message } };
}

// `TypeError: …`, `TypeError [ERR_X]: …` (Node's coded errors), or a bare name when the message is empty.
const STACK_HEAD = /^([A-Za-z_$][\w$]*)(?: \[[^\]\n]*\])?(?::|\n|$)/;

/** An error's name as the first line of its stored stack gives it, when it does. */
export function errorNameOf(stack: string | null): string | null {
  if (stack === null) return null;
  return STACK_HEAD.exec(stack)?.[1] ?? null;
}
