import type { NodeSite } from '../logger/sites';
import type { LoggedNodeOptions } from './LoggedNode';

/** What `@LoggedNode` knows of a method it decorated, for `replayStep` to call it as it was recorded. @internal */
export interface DecoratedNode {
  readonly site: NodeSite;
  /** The `inputs` option as given: undefined for the default (the single argument, or the argument list). */
  readonly inputsOption: LoggedNodeOptions['inputs'];
}

// Keyed by the wrapper users call: a WeakMap, so a class that is dropped takes its entry with it.
const decoratedNodes = new WeakMap<object, DecoratedNode>();

/** Remembers what a `@LoggedNode` wrapper records. */
export function rememberDecoratedNode(wrapper: object, node: DecoratedNode): void {
  decoratedNodes.set(wrapper, node);
}

/** What `@LoggedNode` recorded for calls of `fn`; undefined when `fn` is not a `@LoggedNode` method. @internal */
export function decoratedNodeOf(fn: unknown): DecoratedNode | undefined {
  return typeof fn === 'function' ? decoratedNodes.get(fn) : undefined;
}
