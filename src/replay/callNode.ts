import { types } from 'node:util';
import type { NodeSite } from '../logger/sites';
import { isPromiseLike, thenableMarker } from '../logger/invoke';
import { runUnrecorded } from '../logger/unrecorded';

/** How a replayed call went: the value (awaited when a native promise), or what was thrown. */
export type CallResult = { ok: true; value: unknown } | { ok: false; thrown: unknown };

/**
 * Calls the method with recording suppressed for it and everything it calls. Its result is taken
 * as the recorder takes it: a native promise is awaited; another thenable is stored by name and
 * never called (its `then` may start work).
 */
export async function callUnrecorded(method: (...args: unknown[]) => unknown, node: object, args: unknown[]): Promise<CallResult> {
  try {
    const result = runUnrecorded(() => method.apply(node, args));
    if (types.isPromise(result)) return { ok: true, value: await result };
    if (isPromiseLike(result)) return { ok: true, value: thenableMarker(result) };
    return { ok: true, value: result };
  } catch (thrown) {
    return { ok: false, thrown };
  }
}

/** The `outputs` option's view of a value; one that throws stores nothing, as the recorder does. */
export function outputOf(site: NodeSite, value: unknown, node: object): unknown {
  try {
    return site.outputs(value, node);
  } catch {
    return undefined;
  }
}
