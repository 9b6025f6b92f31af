import { AsyncLocalStorage } from 'node:async_hooks';
import { executionContext } from './context';

/**
 * Calls marked here record nothing: a replayed step's body, and whatever it calls. Its own store,
 * not a flag in the execution context: outside an execution a `@LoggedWorkflow` would start a new
 * recorded run, and only this tells it not to. Entered only by replay, so a process that never
 * replays never enables it.
 */
const unrecorded = new AsyncLocalStorage<true>();

/** Runs `fn` outside any execution, with every decorated call it makes (workflows too) unrecorded. */
export function runUnrecorded<T>(fn: () => T): T {
  return unrecorded.run(true, () => executionContext.exit(fn));
}

/** Whether the current call runs inside {@link runUnrecorded}. */
export function isUnrecorded(): boolean {
  return unrecorded.getStore() === true;
}
