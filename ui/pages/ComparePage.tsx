import { useEffect, useState } from 'preact/hooks';
import type { ComparedExecution, ExecutionComparison, JsonDiff, StepComparison } from '../api';
import { ApiError, getJson } from '../http';
import { StatusBadge } from '../components/StatusBadge';
import { formatDuration, formatTime } from '../format';
import { href, navigate, type Place } from '../router';

/** `+120ms`, `-4.0s`: how much longer b took than a. */
function formatChange(ms: number | null): string {
  if (ms === null) return '';
  return `${ms >= 0 ? '+' : '-'}${formatDuration(Math.abs(ms))}`;
}

/** Two executions side by side (`/compare?a=&b=`): node by node, status, duration and the JSON paths that changed. */
export function ComparePage({ place }: { place: Place }) {
  const a = place.search.get('a') ?? '';
  const b = place.search.get('b') ?? '';
  const [comparison, setComparison] = useState<ExecutionComparison | null>(null);
  const [error, setError] = useState<ApiError | null>(null);

  useEffect(() => {
    setComparison(null);
    setError(null);
    if (!a || !b) return undefined;
    const abort = new AbortController();
    getJson<ExecutionComparison>(`/api/compare?${new URLSearchParams({ a, b })}`, abort.signal).then(setComparison, (reason: unknown) => {
      if (!abort.signal.aborted) setError(reason instanceof ApiError ? reason : new ApiError(0, String(reason)));
    });
    return () => abort.abort();
  }, [a, b]);

  return (
    <main>
      <h1>Compare executions</h1>
      <CompareForm a={a} b={b} />
      {error && (
        <p class="error" role="alert">
          {error.message}
        </p>
      )}
      {a && b && !comparison && !error && <p aria-busy="true">Loading…</p>}
      {comparison && <Comparison comparison={comparison} />}
    </main>
  );
}

function CompareForm({ a, b }: { a: string; b: string }) {
  const [values, setValues] = useState({ a, b });
  useEffect(() => setValues({ a, b }), [a, b]);
  const submit = (event: Event) => {
    event.preventDefault();
    navigate(`/compare?${new URLSearchParams({ a: values.a.trim(), b: values.b.trim() })}`);
  };
  return (
    <form class="filters" aria-label="Executions to compare" onSubmit={submit}>
      <label>
        <span>Execution A</span>
        <input name="a" class="id-input" value={values.a} onInput={(e) => setValues({ ...values, a: e.currentTarget.value })} />
      </label>
      <label>
        <span>Execution B</span>
        <input name="b" class="id-input" value={values.b} onInput={(e) => setValues({ ...values, b: e.currentTarget.value })} />
      </label>
      <button type="submit">Compare</button>
    </form>
  );
}

function Comparison({ comparison }: { comparison: ExecutionComparison }) {
  const { counts } = comparison;
  return (
    <>
      <div class="compare-heads">
        <Side label="A" execution={comparison.a} />
        <Side label="B" execution={comparison.b} />
      </div>
      <p class="compare-summary">
        {comparison.sameWorkflow ? '' : 'Different workflows. '}
        {comparison.statusChanged ? 'Status changed. ' : ''}
        {comparison.durationChangeMs !== null
          ? `B took ${formatDuration(Math.abs(comparison.durationChangeMs))} ${comparison.durationChangeMs >= 0 ? 'longer' : 'less'}. `
          : ''}
        {`${counts.matched} node steps in both, ${counts.changed} changed; ${counts.onlyInA} only in A, ${counts.onlyInB} only in B.`}
      </p>
      <table class="compare-steps">
        <thead>
          <tr>
            <th scope="col">Node</th>
            <th scope="col">A</th>
            <th scope="col">B</th>
            <th scope="col" class="number">
              Δ duration
            </th>
            <th scope="col">Changed paths</th>
          </tr>
        </thead>
        <tbody>
          {comparison.steps.map((step) => (
            <StepRow key={`${step.nodeId}#${step.occurrence}`} step={step} />
          ))}
        </tbody>
      </table>
      {comparison.children && comparison.children.length > 0 && (
        <section aria-labelledby="children-heading">
          <h2 id="children-heading">Child executions</h2>
          <ul>
            {comparison.children.map((child, i) => (
              <li key={i}>
                {child.workflowId} {child.parentNodeId ? `(from ${child.parentNodeId})` : ''}:{' '}
                {child.a && child.b ? (
                  <a href={href(`/compare?${new URLSearchParams({ a: child.a.id, b: child.b.id })}`)}>compare the two</a>
                ) : child.presence === 'onlyA' ? (
                  'only in A'
                ) : (
                  'only in B'
                )}
              </li>
            ))}
          </ul>
        </section>
      )}
    </>
  );
}

function Side({ label, execution }: { label: string; execution: ComparedExecution }) {
  return (
    <section class="compare-side" aria-label={`Execution ${label}`}>
      <h2>
        {label}: <a href={href(`/executions/${encodeURIComponent(execution.id)}`)}>{execution.workflowName || execution.workflowId}</a>{' '}
        <StatusBadge status={execution.status} />
      </h2>
      <p class="id">{execution.id}</p>
      <p>
        {formatTime(execution.startedAt)} · {formatDuration(execution.durationMs)} · {execution.stepCount ?? '?'} steps
      </p>
      {execution.errorMessage && <p class="error">{execution.errorMessage}</p>}
    </section>
  );
}

function StepRow({ step }: { step: StepComparison }) {
  const side = (s: StepComparison['a']) =>
    s ? (
      <>
        <StatusBadge status={s.status} /> {formatDuration(s.durationMs)}
      </>
    ) : (
      <span class="absent">absent</span>
    );
  return (
    <tr class={step.changed ? 'changed' : undefined} data-node={step.nodeId} data-presence={step.presence}>
      <td>
        {step.nodeId}
        {step.occurrence > 0 ? ` (${step.occurrence + 1})` : ''}
      </td>
      <td class={step.statusChanged ? 'status-changed' : undefined}>{side(step.a)}</td>
      <td class={step.statusChanged ? 'status-changed' : undefined}>{side(step.b)}</td>
      <td class="number">{formatChange(step.durationChangeMs)}</td>
      <td>
        <Diff label="input" diff={step.input} />
        <Diff label="output" diff={step.output} />
      </td>
    </tr>
  );
}

function Diff({ label, diff }: { label: string; diff: JsonDiff | null }) {
  if (!diff || (diff.changes.length === 0 && diff.omitted === 0)) return null;
  return (
    <div class="diff">
      <span class="diff-label">{label}</span>
      <ul>
        {diff.changes.map((change) => (
          <li key={change.path} class={`path-change path-${change.kind}`}>
            <code>{change.path}</code> <span class="visually-hidden">{change.kind}</span>
            {change.a && <del>{change.a.json}</del>}
            {change.a && change.b && ' → '}
            {change.b && <ins>{change.b.json}</ins>}
            {change.marker && <span class={`marker marker-${change.marker}`}>{change.marker}</span>}
          </li>
        ))}
        {diff.omitted > 0 && <li>and {diff.omitted} more</li>}
      </ul>
    </div>
  );
}
