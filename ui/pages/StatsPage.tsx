import { useEffect, useMemo, useState } from 'preact/hooks';
import type { StatsSeries } from '../api';
import { ApiError, getJson } from '../http';
import { Legend, LineChart, RunsChart } from '../components/StatsCharts';
import { formatDuration, formatTime } from '../format';
import { navigate, type Place } from '../router';
import { bucketLabel, DEFAULT_PRESET, formatRate, formatSpan, fromLocalInput, presetOf, PRESETS, toLocalInput } from '../statsRange';

/** The parameters the page keeps in its URL and hands to `/api/stats/series` as they are. */
const PARAMS = ['workflow', 'since', 'until'] as const;

/** Per workflow (or all), runs and failure rate over time and p50/p95 durations over time, for a range kept in the URL. */
export function StatsPage({ place }: { place: Place }) {
  const query = useMemo(() => {
    const params = new URLSearchParams();
    for (const name of PARAMS) {
      const value = place.search.get(name);
      if (value) params.set(name, value);
    }
    return params;
  }, [place.search.toString()]);
  const [series, setSeries] = useState<StatsSeries | null>(null);
  const [error, setError] = useState<ApiError | null>(null);

  useEffect(() => {
    const abort = new AbortController();
    setError(null);
    getJson<StatsSeries>(`/api/stats/series?${query}`, abort.signal).then(setSeries, (reason: unknown) => {
      if (abort.signal.aborted) return;
      setSeries(null);
      setError(reason instanceof ApiError ? reason : new ApiError(0, String(reason)));
    });
    return () => abort.abort();
  }, [query.toString()]);

  return (
    <main>
      <h1>Stats</h1>
      <RangeForm search={query} series={series} error={error} />
      {error && (
        <p class="error" role="alert">
          {error.field ? `${error.field}: ` : ''}
          {error.message}
        </p>
      )}
      {!series && !error && <p aria-busy="true">Loading…</p>}
      {series && <Figures series={series} />}
    </main>
  );
}

/** The workflow and the range: the fields start from the URL, and applying them puts them back in it. */
function RangeForm({ search, series, error }: { search: URLSearchParams; series: StatsSeries | null; error: ApiError | null }) {
  const [workflows, setWorkflows] = useState<string[]>([]);
  useEffect(() => {
    const abort = new AbortController();
    getJson<{ workflows: string[] }>('/api/workflows', abort.signal).then(
      (answer) => setWorkflows(answer.workflows),
      () => undefined,
    );
    return () => abort.abort();
  }, []);
  const initial = () => ({
    workflow: search.get('workflow') ?? '',
    range: presetOf(search),
    // A custom range shows as the API resolved it (the URL may say `3h` or a date alone).
    from: series ? toLocalInput(series.since) : '',
    to: series ? toLocalInput(series.until) : '',
  });
  const [values, setValues] = useState(initial);
  useEffect(() => setValues(initial()), [search.toString(), series?.since, series?.until]);
  const set = (name: keyof ReturnType<typeof initial>) => (event: Event) =>
    setValues((old) => ({ ...old, [name]: (event.currentTarget as HTMLInputElement | HTMLSelectElement).value }));
  const apply = (event: Event) => {
    event.preventDefault();
    const params = new URLSearchParams();
    if (values.workflow) params.set('workflow', values.workflow);
    if (values.range === 'custom') {
      if (values.from) params.set('since', fromLocalInput(values.from));
      if (values.to) params.set('until', fromLocalInput(values.to));
    } else if (values.range !== DEFAULT_PRESET) params.set('since', values.range);
    const text = params.toString();
    navigate(text ? `/stats?${text}` : '/stats');
  };
  const shown = search.get('workflow');
  return (
    <form class="filters" aria-label="Workflow and time range" onSubmit={apply}>
      <label>
        <span>Workflow</span>
        <select name="workflow" value={values.workflow} onChange={set('workflow')}>
          <option value="">All workflows</option>
          {/* One named in the URL but without history is still shown as chosen. */}
          {shown && !workflows.includes(shown) && <option value={shown}>{shown}</option>}
          {workflows.map((id) => (
            <option key={id} value={id}>
              {id}
            </option>
          ))}
        </select>
      </label>
      <label>
        <span>Range</span>
        <select name="range" value={values.range} onChange={set('range')}>
          {PRESETS.map((preset) => (
            <option key={preset.value} value={preset.value}>
              {preset.label}
            </option>
          ))}
          <option value="custom">Custom</option>
        </select>
      </label>
      {values.range === 'custom' && (
        <>
          <label>
            <span>From</span>
            <input
              type="datetime-local"
              name="from"
              value={values.from}
              onInput={set('from')}
              aria-invalid={error?.field === 'since' ? 'true' : undefined}
            />
          </label>
          <label>
            <span>To</span>
            <input
              type="datetime-local"
              name="to"
              value={values.to}
              onInput={set('to')}
              aria-invalid={error?.field === 'until' ? 'true' : undefined}
            />
          </label>
        </>
      )}
      <button type="submit">Apply</button>
    </form>
  );
}

/** The totals of the range, the three charts, and the numbers behind them as a table. */
function Figures({ series }: { series: StatsSeries }) {
  const { totals, buckets, bucketMs } = series;
  const finished = totals.success + totals.error + totals.interrupted;
  const failureRate = finished === 0 ? null : totals.error / finished;
  const timeLabel = (ms: number) => bucketLabel(ms, bucketMs);
  const span = `${formatTime(series.since)} to ${formatTime(series.until)}, in ${buckets.length} buckets of ${formatSpan(bucketMs)}`;
  const busiest = Math.max(0, ...buckets.map((bucket) => bucket.total));
  const total = (key: string, label: string, value: string) => (
    <div data-total={key}>
      <dt>{label}</dt>
      <dd>{value || '—'}</dd>
    </div>
  );
  return (
    <>
      <p class="stats-range" data-since={series.since} data-until={series.until} data-bucket-ms={bucketMs}>
        {span}
      </p>
      <dl class="stats-totals">
        {total('runs', 'Runs', String(totals.total))}
        {total('failure-rate', 'Failure rate', formatRate(failureRate))}
        {total('p50', 'p50 duration', formatDuration(totals.p50DurationMs))}
        {total('p95', 'p95 duration', formatDuration(totals.p95DurationMs))}
      </dl>
      {totals.total === 0 && <p class="empty">No runs started in this range.</p>}
      <section class="stats-chart" aria-labelledby="runs-heading">
        <h2 id="runs-heading">Runs</h2>
        <RunsChart
          id="chart-runs"
          title="Runs per bucket, by status"
          description={`${totals.total} runs from ${span}; at most ${busiest} in one bucket.`}
          buckets={buckets}
          timeLabel={timeLabel}
        />
        <Legend
          items={[
            { key: 'success', label: 'success' },
            { key: 'error', label: 'error' },
            { key: 'interrupted', label: 'interrupted' },
            { key: 'running', label: 'running' },
          ]}
        />
      </section>
      <section class="stats-chart" aria-labelledby="failure-heading">
        <h2 id="failure-heading">Failure rate</h2>
        <LineChart
          id="chart-failure-rate"
          title="Failure rate per bucket"
          description={`Errors among finished runs, from ${span}; ${formatRate(failureRate) || 'none finished'} over the whole range.`}
          buckets={buckets}
          timeLabel={timeLabel}
          fixedMax={1}
          format={(value) => formatRate(value)}
          series={[{ key: 'failure', label: 'failure rate', value: (bucket) => bucket.failureRate }]}
        />
      </section>
      <section class="stats-chart" aria-labelledby="duration-heading">
        <h2 id="duration-heading">Durations</h2>
        <LineChart
          id="chart-durations"
          title="p50 and p95 duration per bucket"
          description={`Nearest-rank percentiles of finished runs' durations, from ${span}.`}
          buckets={buckets}
          timeLabel={timeLabel}
          format={(value) => formatDuration(value)}
          series={[
            { key: 'p50', label: 'p50', value: (bucket) => bucket.p50DurationMs },
            { key: 'p95', label: 'p95', value: (bucket) => bucket.p95DurationMs },
          ]}
        />
        <Legend
          items={[
            { key: 'p50', label: 'p50' },
            { key: 'p95', label: 'p95' },
          ]}
        />
      </section>
      <details class="stats-table">
        <summary>The numbers behind the charts</summary>
        <table>
          <caption class="visually-hidden">Runs, failure rate and durations per bucket</caption>
          <thead>
            <tr>
              <th scope="col">From</th>
              <th scope="col" class="number">
                Runs
              </th>
              <th scope="col" class="number">
                Success
              </th>
              <th scope="col" class="number">
                Error
              </th>
              <th scope="col" class="number">
                Interrupted
              </th>
              <th scope="col" class="number">
                Running
              </th>
              <th scope="col" class="number">
                Failure rate
              </th>
              <th scope="col" class="number">
                p50
              </th>
              <th scope="col" class="number">
                p95
              </th>
            </tr>
          </thead>
          <tbody>
            {buckets.map((bucket) => (
              <tr key={bucket.start} data-start={bucket.start}>
                <th scope="row">{formatTime(bucket.start)}</th>
                <td class="number">{bucket.total}</td>
                <td class="number">{bucket.success}</td>
                <td class="number">{bucket.error}</td>
                <td class="number">{bucket.interrupted}</td>
                <td class="number">{bucket.running}</td>
                <td class="number">{formatRate(bucket.failureRate)}</td>
                <td class="number">{formatDuration(bucket.p50DurationMs)}</td>
                <td class="number">{formatDuration(bucket.p95DurationMs)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </details>
    </>
  );
}
