import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import type { ExecutionPage, ExecutionSummary } from '../api';
import { FilterForm } from '../components/FilterForm';
import { ApiError, getJson } from '../http';
import { StatusBadge } from '../components/StatusBadge';
import { formatDuration, formatTime } from '../format';
import { useLiveEvents } from '../liveEvents';
import { href, type Place } from '../router';

/** Filters on steps the browser cannot check for a new run: with one of them, live rows are not added. */
const STEP_FILTERS = ['where', 'node', 'node-type', 'step-status'];
/** Rows per page unless the URL says otherwise (`limit`, as the API reads it). */
const PAGE_SIZE = 50;

/**
 * A run from the live stream belongs on this page when it meets the filters the browser can
 * check. `listed`: the run is on the page already, so the server found it meets the filters the
 * browser cannot check; only what can change (its status) is checked again.
 */
function matches(execution: ExecutionSummary, search: URLSearchParams, listed = false): boolean {
  if (listed) return !search.get('status') || search.get('status') === execution.status;
  if (STEP_FILTERS.some((name) => search.get(name))) return false;
  const want = (name: string, value: string) => !search.get(name) || search.get(name) === value;
  if (!want('workflow', execution.workflowId) || !want('status', execution.status) || !want('trigger', execution.triggerType)) return false;
  if (!want('trace', execution.traceId ?? '')) return false;
  if (search.get('since') || search.get('until')) return false;
  for (const tag of search.getAll('tag')) {
    const eq = tag.indexOf('=');
    if (eq === -1 || execution.tags?.[tag.slice(0, eq)] !== tag.slice(eq + 1)) return false;
  }
  return true;
}

/** Newest first, as the API orders them: by start time, then id. */
function byNewest(a: ExecutionSummary, b: ExecutionSummary): number {
  return b.startedAt - a.startedAt || (b.id < a.id ? -1 : b.id > a.id ? 1 : 0);
}

export function ExecutionsPage({ place }: { place: Place }) {
  const query = useMemo(() => {
    const params = new URLSearchParams();
    for (const [name, value] of place.search) if (value !== '') params.append(name, value);
    return params;
  }, [place.search.toString()]);
  const [items, setItems] = useState<ExecutionSummary[]>([]);
  const [cursor, setCursor] = useState<string | null>(null);
  const [error, setError] = useState<ApiError | null>(null);
  const [loading, setLoading] = useState(true);
  const [liveSince, setLiveSince] = useState<number | null>(null);
  // Two runs ticked for comparison, the older as A.
  const [picked, setPicked] = useState<ExecutionSummary[]>([]);
  const pick = (execution: ExecutionSummary, on: boolean) =>
    setPicked((old) =>
      on ? [...old.filter((p) => p.id !== execution.id), execution].slice(-2) : old.filter((p) => p.id !== execution.id),
    );
  const [older, newer] = [...picked].sort((x, y) => -byNewest(x, y));
  // The read of the next page, if one is under way: it belongs to the query it was asked with.
  const more = useRef<AbortController | null>(null);

  useEffect(() => {
    const abort = new AbortController();
    setLoading(true);
    setError(null);
    const params = new URLSearchParams(query);
    if (!params.has('limit')) params.set('limit', String(PAGE_SIZE));
    getJson<ExecutionPage>(`/api/executions?${params}`, abort.signal).then(
      (page) => {
        setItems(page.items);
        setCursor(page.nextCursor);
        setLoading(false);
        // A little before the server read the list (its clock, not the browser's): a run that
        // started meanwhile comes through the stream.
        setLiveSince(page.now - 5000);
      },
      (reason: unknown) => {
        if (abort.signal.aborted) return;
        setItems([]);
        setCursor(null);
        setError(reason instanceof ApiError ? reason : new ApiError(0, String(reason)));
        setLoading(false);
      },
    );
    return () => {
      abort.abort();
      // A next page still to come is the previous query's: added to this one's list, it would
      // show runs these filters leave out, and its cursor would page through the wrong list.
      more.current?.abort();
    };
  }, [query.toString()]);

  useLiveEvents(liveSince, (event) => {
    if (event.type !== 'execution') return;
    const execution = event.execution;
    setItems((list) => {
      const at = list.findIndex((item) => item.id === execution.id);
      // A listed run that no longer meets the filters (it was running, the list shows running
      // ones) leaves the list; others are updated in place.
      if (at !== -1)
        return matches(execution, query, true) ? list.map((item, i) => (i === at ? execution : item)) : list.filter((_, i) => i !== at);
      if (!matches(execution, query)) return list;
      const oldest = list[list.length - 1];
      // Older than every listed row: it belongs to a later page, which "Load more" reads.
      if (oldest !== undefined && cursor !== null && byNewest(execution, oldest) > 0) return list;
      return [...list, execution].sort(byNewest);
    });
  });

  const loadMore = () => {
    if (cursor === null) return;
    const params = new URLSearchParams(query);
    if (!params.has('limit')) params.set('limit', String(PAGE_SIZE));
    params.set('cursor', cursor);
    setLoading(true);
    const abort = new AbortController();
    more.current?.abort();
    more.current = abort;
    getJson<ExecutionPage>(`/api/executions?${params}`, abort.signal).then(
      (page) => {
        if (abort.signal.aborted) return;
        setItems((list) => {
          const seen = new Set(list.map((item) => item.id));
          return [...list, ...page.items.filter((item) => !seen.has(item.id))];
        });
        setCursor(page.nextCursor);
        setLoading(false);
      },
      (reason: unknown) => {
        if (abort.signal.aborted) return;
        setError(reason instanceof ApiError ? reason : new ApiError(0, String(reason)));
        setLoading(false);
      },
    );
  };

  return (
    <main>
      <h1>Executions</h1>
      <FilterForm search={query} error={error} />
      <p class="compare-pick" aria-live="polite">
        {older && newer ? (
          <a class="button" href={href(`/compare?${new URLSearchParams({ a: older.id, b: newer.id })}`)}>
            Compare the two ticked runs
          </a>
        ) : (
          'Tick two runs to compare them.'
        )}
      </p>
      {error && (
        <p class="error" role="alert">
          {error.field ? `${error.field}: ` : ''}
          {error.message}
        </p>
      )}
      <table class="executions">
        <caption class="visually-hidden">Executions, newest first</caption>
        <thead>
          <tr>
            <th scope="col">
              <span class="visually-hidden">Compare</span>
            </th>
            <th scope="col">Execution</th>
            <th scope="col">Workflow</th>
            <th scope="col">Status</th>
            <th scope="col">Trigger</th>
            <th scope="col">Started</th>
            <th scope="col" class="number">
              Duration
            </th>
          </tr>
        </thead>
        <tbody>
          {items.map((execution) => (
            <tr key={execution.id} data-id={execution.id} data-status={execution.status}>
              <td>
                <input
                  type="checkbox"
                  aria-label={`Compare ${execution.id}`}
                  checked={picked.some((p) => p.id === execution.id)}
                  onChange={(event) => pick(execution, event.currentTarget.checked)}
                />
              </td>
              <td>
                <a class="id" href={href(`/executions/${encodeURIComponent(execution.id)}`)}>
                  {execution.id}
                </a>
              </td>
              <td>{execution.workflowId}</td>
              <td>
                <StatusBadge status={execution.status} />
              </td>
              <td>{execution.triggerType}</td>
              <td>{formatTime(execution.startedAt)}</td>
              <td class="number">{execution.status === 'running' ? '…' : formatDuration(execution.durationMs)}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {!loading && items.length === 0 && !error && <p class="empty">No executions match.</p>}
      <p class="pager" aria-live="polite">
        {loading ? 'Loading…' : `${items.length} shown`}
        {cursor !== null && !loading && (
          <button type="button" onClick={loadMore}>
            Load more
          </button>
        )}
      </p>
    </main>
  );
}
