import { useEffect, useRef } from 'preact/hooks';
import type { ExecutionSummary, StepSummary } from './api';
import { basePath } from './http';

export type LiveEvent =
  | { type: 'execution'; change: 'new' | 'updated'; execution: ExecutionSummary }
  | { type: 'step'; change: 'new' | 'updated'; step: StepSummary };

/**
 * Calls `onEvent` for every history event the server streams (`/api/events`, fed by the store's
 * follow) from `since` on, while the component is shown. The browser reconnects by itself to
 * the same URL, so a reconnect reads again from `since` (at most an hour back, the server's cap):
 * nothing between is missed, and the repeats are harmless (pages merge rows by id).
 */
export function useLiveEvents(since: number | null, onEvent: (event: LiveEvent) => void): void {
  const handler = useRef(onEvent);
  handler.current = onEvent;
  useEffect(() => {
    if (since === null) return undefined;
    const source = new EventSource(`${basePath}/api/events?since=${since}`);
    const receive = (type: 'execution' | 'step') => (message: MessageEvent<string>) => {
      handler.current({ type, ...(JSON.parse(message.data) as object) } as LiveEvent);
    };
    source.addEventListener('execution', receive('execution'));
    source.addEventListener('step', receive('step'));
    return () => source.close();
  }, [since]);
}
