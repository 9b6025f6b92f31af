import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import type { ExecutionDetail, ExecutionSummary, StepData, StepSummary } from '../api';
import { ApiError, getJson } from '../http';
import { CopyButton } from '../components/CopyButton';
import { JsonTree } from '../components/JsonTree';
import { Timeline } from '../components/Timeline';
import { StatusBadge } from '../components/StatusBadge';
import { WorkflowGraph } from '../components/WorkflowGraph';
import { formatDuration, formatTime } from '../format';
import { useLiveEvents } from '../liveEvents';
import { replaySnippet } from '../replaySnippet';
import { href, navigate, type Place } from '../router';
import { timelineRows, type Expansion } from '../timelineRows';

/** One execution: its header, its steps in order, and the inspector of the step the URL names (`?step=`). */
export function ExecutionPage({ id, place }: { id: string; place: Place }) {
  const [detail, setDetail] = useState<ExecutionDetail | null>(null);
  const [error, setError] = useState<ApiError | null>(null);
  // Child executions shown in place, by their id; the reads of those still loading, to abort on collapse and leave.
  const [expanded, setExpanded] = useState<ReadonlyMap<string, Expansion>>(new Map());
  const loads = useRef(new Map<string, AbortController>());
  // Set when the followed run ends: see the effect that reads it once more.
  const [ended, setEnded] = useState(false);
  const selected = place.search.get('step');

  useEffect(() => {
    const abort = new AbortController();
    setDetail(null);
    setError(null);
    setExpanded(new Map());
    setEnded(false);
    getJson<ExecutionDetail>(`/api/executions/${encodeURIComponent(id)}`, abort.signal).then(setDetail, (reason: unknown) => {
      if (!abort.signal.aborted) setError(reason instanceof ApiError ? reason : new ApiError(0, String(reason)));
    });
    return () => {
      abort.abort();
      for (const load of loads.current.values()) load.abort();
      loads.current.clear();
    };
  }, [id]);

  // A running execution is followed from its start: its new steps and their ends arrive as they are written.
  const running = detail?.execution.status === 'running';
  useLiveEvents(running && detail ? detail.execution.startedAt : null, (event) => {
    if (event.type === 'execution' && event.execution.id === id && event.execution.status !== 'running') setEnded(true);
    setDetail((old) => {
      if (!old) return old;
      if (event.type === 'execution') {
        if (event.execution.id === old.execution.id) return { ...old, execution: event.execution };
        // A child it starts while followed joins the others, to be expanded like them.
        if (event.execution.parentExecutionId !== old.execution.id) return old;
        const children = old.children.filter((child) => child.id !== event.execution.id);
        children.push(event.execution);
        children.sort((a, b) => a.startedAt - b.startedAt || (a.id < b.id ? -1 : 1));
        return { ...old, children };
      }
      if (event.step.executionId !== old.execution.id) return old;
      const steps = old.steps.filter((step) => step.id !== event.step.id);
      steps.push(event.step);
      steps.sort((a, b) => a.stepIndex - b.stepIndex);
      return { ...old, steps };
    });
  });

  // The run ended, and the stream closes with it: the follower reports the execution's end before
  // the ends of its last steps, which could then never arrive. So the page reads the run once more,
  // as stored, keeping what it shows expanded.
  useEffect(() => {
    if (!ended) return undefined;
    const abort = new AbortController();
    getJson<ExecutionDetail>(`/api/executions/${encodeURIComponent(id)}`, abort.signal).then(
      (fresh) => setDetail((old) => (old ? { ...old, execution: fresh.execution, steps: fresh.steps, children: fresh.children } : fresh)),
      () => undefined,
    );
    return () => abort.abort();
  }, [ended, id]);

  const rows = useMemo(() => (detail ? timelineRows(detail, expanded) : []), [detail, expanded]);

  /** Sets one child's expansion; `when` keeps a read's answer from undoing a collapse made while it loaded. */
  const setExpansion = (childId: string, expansion: Expansion | null, when?: (old: Expansion | undefined) => boolean) =>
    setExpanded((old) => {
      if (when && !when(old.get(childId))) return old;
      const next = new Map(old);
      if (expansion) next.set(childId, expansion);
      else next.delete(childId);
      return next;
    });
  const stillLoading = (old: Expansion | undefined) => old?.state === 'loading';

  const toggle = (child: ExecutionSummary) => {
    if (expanded.has(child.id)) {
      loads.current.get(child.id)?.abort();
      loads.current.delete(child.id);
      return setExpansion(child.id, null);
    }
    const abort = new AbortController();
    loads.current.get(child.id)?.abort();
    loads.current.set(child.id, abort);
    setExpansion(child.id, { state: 'loading' });
    const settle = (expansion: Expansion) => {
      if (abort.signal.aborted) return;
      loads.current.delete(child.id);
      setExpansion(child.id, expansion, stillLoading);
    };
    getJson<ExecutionDetail>(`/api/executions/${encodeURIComponent(child.id)}`, abort.signal).then(
      (loaded) => settle({ state: 'loaded', detail: loaded }),
      (reason: unknown) =>
        settle({
          state: 'failed',
          message: `The child execution could not be read: ${reason instanceof Error ? reason.message : String(reason)}`,
        }),
    );
  };

  // A `?step=` naming a step of a child (a reload after choosing one) expands the child that holds it,
  // found by reading the children in turn; once per load, so that a collapse later stays a collapse.
  const loadedId = detail?.execution.id ?? null;
  useEffect(() => {
    if (!detail || !selected || detail.steps.some((candidate) => candidate.id === selected)) return undefined;
    const abort = new AbortController();
    const search = async () => {
      for (const child of detail.children.slice(0, CHILDREN_SEARCHED)) {
        const loaded = await getJson<ExecutionDetail>(`/api/executions/${encodeURIComponent(child.id)}`, abort.signal).catch(() => null);
        if (abort.signal.aborted) return;
        if (!loaded?.steps.some((candidate) => candidate.id === selected)) continue;
        return setExpansion(child.id, { state: 'loaded', detail: loaded }, (old) => old === undefined);
      }
    };
    void search();
    return () => abort.abort();
  }, [loadedId]);

  if (error) {
    return (
      <main>
        <h1>Execution</h1>
        <p class="error" role="alert">
          {error.message}
        </p>
        <p>
          <a href={href('/')}>All executions</a>
        </p>
      </main>
    );
  }
  if (!detail) return <main aria-busy="true">Loading…</main>;
  const { execution, steps } = detail;
  const found = rows.find((row) => row.kind === 'step' && row.step.id === selected);
  const step = found?.kind === 'step' ? found.step : null;
  const select = (chosen: StepSummary) => {
    const params = new URLSearchParams(place.search);
    params.set('step', chosen.id);
    navigate(`/executions/${encodeURIComponent(execution.id)}?${params}`, { replace: true });
  };
  return (
    <main>
      <p class="breadcrumb">
        <a href={href('/')}>Executions</a> / <span class="id">{execution.id}</span>
      </p>
      <h1>
        {execution.workflowName || execution.workflowId} <StatusBadge status={execution.status} />
      </h1>
      <dl class="header-fields">
        <dt>Execution</dt>
        <dd class="id">{execution.id}</dd>
        <dt>Workflow</dt>
        <dd>{execution.workflowId}</dd>
        <dt>Trigger</dt>
        <dd>{execution.triggerType}</dd>
        <dt>Started</dt>
        <dd>{formatTime(execution.startedAt)}</dd>
        <dt>Duration</dt>
        <dd>{execution.status === 'running' ? 'running' : formatDuration(execution.durationMs)}</dd>
        {execution.traceId && (
          <>
            <dt>Trace</dt>
            <dd>
              <a class="id" href={href(`/?${new URLSearchParams({ trace: execution.traceId })}`)}>
                {execution.traceId}
              </a>
            </dd>
          </>
        )}
        {execution.parentExecutionId && (
          <>
            <dt>Parent</dt>
            <dd>
              <a class="id" href={href(`/executions/${encodeURIComponent(execution.parentExecutionId)}`)}>
                {execution.parentExecutionId}
              </a>
            </dd>
          </>
        )}
        {execution.tags && Object.keys(execution.tags).length > 0 && (
          <>
            <dt>Tags</dt>
            <dd>
              <ul class="tags">
                {Object.entries(execution.tags).map(([key, value]) => (
                  <li key={key}>
                    <a href={href(`/?${new URLSearchParams({ tag: `${key}=${value}` })}`)}>
                      {key}={value}
                    </a>
                  </li>
                ))}
              </ul>
            </dd>
          </>
        )}
      </dl>
      <p>
        <a href={href(`/compare?${new URLSearchParams({ a: execution.id })}`)}>Compare with another run…</a>
      </p>
      {execution.errorMessage && (
        <p class="error">
          <strong>Error: </strong>
          {execution.errorMessage}
        </p>
      )}
      <section aria-labelledby="graph-heading" class="graph-section">
        <h2 id="graph-heading">Workflow graph</h2>
        {detail.definition ? (
          <div class="graph-scroll">
            <WorkflowGraph shape={detail.definition} steps={steps} selected={selected} onSelect={select} />
          </div>
        ) : (
          <p class="empty">
            {detail.definitionNote === 'too-large'
              ? 'The workflow’s graph is too large to draw here.'
              : 'No workflow graph was stored for this run (only the workflow runner stores one).'}
          </p>
        )}
      </section>
      <div class="execution-body">
        <section aria-labelledby="steps-heading" class="steps">
          <h2 id="steps-heading">Steps ({steps.length})</h2>
          <Timeline
            rows={rows}
            startedAt={execution.startedAt}
            endedAt={endOf(execution, steps)}
            selected={selected}
            onSelect={select}
            onToggle={toggle}
          />
          {detail.childrenTruncated && (
            <p class="empty">
              It started more than {detail.children.length} child executions: only the latest {detail.children.length} can be shown in
              place.
            </p>
          )}
        </section>
        {step && <Inspector executionId={step.executionId} step={step} />}
      </div>
    </main>
  );
}

/** Children read, at most, to find the one holding the step a URL names. */
const CHILDREN_SEARCHED = 20;

/** Where the timeline ends: the execution's end, else the latest step end or start seen, else now. */
function endOf(execution: ExecutionSummary, steps: StepSummary[]): number {
  if (execution.completedAt !== null) return execution.completedAt;
  let latest = Date.now();
  for (const step of steps) latest = Math.max(latest, step.completedAt ?? step.startedAt);
  return latest;
}

/** The selected step's payloads, fetched for it alone when it is opened. */
function Inspector({ executionId, step }: { executionId: string; step: StepSummary }) {
  // What was fetched is kept with the step (and status) it was fetched for: a render for the next
  // step, before its effect runs, must not draw the previous step's payloads under its heading.
  const key = JSON.stringify([executionId, step.id, step.status]);
  const [loaded, setLoaded] = useState<{ key: string; data?: StepData; error?: string } | null>(null);
  const data = loaded?.key === key ? (loaded.data ?? null) : null;
  const error = loaded?.key === key ? (loaded.error ?? null) : null;
  useEffect(() => {
    const abort = new AbortController();
    getJson<StepData>(`/api/executions/${encodeURIComponent(executionId)}/steps/${encodeURIComponent(step.id)}`, abort.signal).then(
      (fetched) => {
        if (!abort.signal.aborted) setLoaded({ key, data: fetched });
      },
      (reason: unknown) => {
        if (!abort.signal.aborted) setLoaded({ key, error: String(reason instanceof Error ? reason.message : reason) });
      },
    );
    return () => abort.abort();
  }, [key]);
  return (
    <section class="inspector" aria-labelledby="inspector-heading">
      <h2 id="inspector-heading">
        Step {step.stepIndex}: {step.nodeName || step.nodeId} <StatusBadge status={step.status} />
      </h2>
      {error && <p class="error">{error}</p>}
      {!data && !error && <p aria-busy="true">Loading…</p>}
      {data && (
        <>
          <Payload title="Input" value={data.input} />
          <Payload title="Output" value={data.output} />
          {(data.errorMessage || data.errorStack) && (
            <>
              <h3>Error</h3>
              {data.errorMessage && <p class="error step-error">{data.errorMessage}</p>}
              {data.errorStack && (
                <details>
                  <summary>Stack</summary>
                  <pre class="stack">{data.errorStack}</pre>
                </details>
              )}
            </>
          )}
          {step.status !== 'running' && (
            <>
              <h3>
                Replay as a test <CopyButton text={replaySnippet(step)} label="Copy" />
              </h3>
              <pre class="snippet">{replaySnippet(step)}</pre>
            </>
          )}
        </>
      )}
    </section>
  );
}

/** One payload: its tree and a button copying it as JSON. */
function Payload({ title, value }: { title: string; value: unknown }) {
  if (value === null) {
    return (
      <>
        <h3>{title}</h3>
        <p class="empty">none recorded</p>
      </>
    );
  }
  return (
    <>
      <h3>
        {title} <CopyButton text={JSON.stringify(value, null, 2)} label="Copy JSON" />
      </h3>
      <JsonTree value={value} />
    </>
  );
}
