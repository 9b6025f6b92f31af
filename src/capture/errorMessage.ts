import { cutAtCodePoint } from './truncate';

// Messages go into marker strings; a huge message must not dominate the stored data.
const MAX_MESSAGE_LENGTH = 500;

/** Message of anything thrown, for markers; never throws itself. */
export function errorMessage(thrown: unknown): string {
  try {
    const message = thrown instanceof Error ? thrown.message : thrown;
    const text = String(message);
    return text.length > MAX_MESSAGE_LENGTH ? `${cutAtCodePoint(text, MAX_MESSAGE_LENGTH)}…` : text;
  } catch {
    return 'unknown error';
  }
}

/** The marker stored in place of a value whose reading threw. */
export function unserializable(thrown: unknown): string {
  return `[Unserializable: ${errorMessage(thrown)}]`;
}
