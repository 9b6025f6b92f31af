import { QueryError } from '../errors';

export interface CursorPosition {
  startedAt: number;
  id: string;
}

/** Cursors are opaque to callers: the last row's `(started_at, id)`, base64url-encoded JSON. */
export function encodeCursor(position: CursorPosition): string {
  return Buffer.from(JSON.stringify([position.startedAt, position.id])).toString('base64url');
}

export function decodeCursor(cursor: string): CursorPosition {
  let decoded: unknown;
  try {
    decoded = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw new QueryError('cursor', 'not a cursor returned by listExecutions');
  }
  if (!Array.isArray(decoded) || decoded.length !== 2 || !Number.isFinite(decoded[0]) || typeof decoded[1] !== 'string') {
    throw new QueryError('cursor', 'not a cursor returned by listExecutions');
  }
  return { startedAt: decoded[0] as number, id: decoded[1] };
}
