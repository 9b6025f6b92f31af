import type { StatsBucket } from '../api';

/**
 * The Stats page's charts, drawn as inline SVG: shapes placed by their geometry attributes and
 * coloured by class (the page's CSP allows no inline style). Each chart is an image with a title
 * and a description; the numbers themselves are in the table below the charts. Every bar and
 * point carries its figures in data attributes, which the browser suite reads.
 */

const WIDTH = 600;
const HEIGHT = 180;
const LEFT = 52;
const RIGHT = 8;
const TOP = 10;
const BOTTOM = 22;
const PLOT_WIDTH = WIDTH - LEFT - RIGHT;
const PLOT_HEIGHT = HEIGHT - TOP - BOTTOM;

/** Statuses stacked bottom up in a runs bar, with the class each is coloured by. */
const STACK = ['success', 'error', 'interrupted', 'running'] as const;

interface ChartFrame {
  id: string;
  title: string;
  description: string;
  buckets: StatsBucket[];
  /** The top of the y axis, and its label. */
  max: number;
  maxLabel: string;
  zeroLabel: string;
  timeLabel: (ms: number) => string;
}

/** The frame every chart shares: title, description, axes and the first and last bucket's times. */
function Frame({
  id,
  title,
  description,
  buckets,
  maxLabel,
  zeroLabel,
  timeLabel,
  children,
}: Omit<ChartFrame, 'max'> & { children: unknown }) {
  const first = buckets[0];
  const last = buckets[buckets.length - 1];
  return (
    <svg class="chart" id={id} viewBox={`0 0 ${WIDTH} ${HEIGHT}`} role="img" aria-labelledby={`${id}-title ${id}-desc`}>
      <title id={`${id}-title`}>{title}</title>
      <desc id={`${id}-desc`}>{description}</desc>
      <line class="chart-axis" x1={LEFT} y1={TOP} x2={LEFT} y2={TOP + PLOT_HEIGHT} />
      <line class="chart-axis" x1={LEFT} y1={TOP + PLOT_HEIGHT} x2={LEFT + PLOT_WIDTH} y2={TOP + PLOT_HEIGHT} />
      <line class="chart-grid" x1={LEFT} y1={TOP} x2={LEFT + PLOT_WIDTH} y2={TOP} />
      <text class="chart-label" x={LEFT - 4} y={TOP + 4} text-anchor="end">
        {maxLabel}
      </text>
      <text class="chart-label" x={LEFT - 4} y={TOP + PLOT_HEIGHT} text-anchor="end">
        {zeroLabel}
      </text>
      {first && (
        <text class="chart-label" x={LEFT} y={HEIGHT - 6}>
          {timeLabel(first.start)}
        </text>
      )}
      {last && (
        <text class="chart-label" x={LEFT + PLOT_WIDTH} y={HEIGHT - 6} text-anchor="end">
          {timeLabel(last.end)}
        </text>
      )}
      {children}
    </svg>
  );
}

function slot(count: number): number {
  return PLOT_WIDTH / Math.max(1, count);
}

function y(value: number, max: number): number {
  return TOP + PLOT_HEIGHT - (Math.min(value, max) / max) * PLOT_HEIGHT;
}

/** Runs per bucket, one bar each, stacked by status. */
export function RunsChart(props: Omit<ChartFrame, 'max' | 'maxLabel' | 'zeroLabel'>) {
  const max = Math.max(1, ...props.buckets.map((bucket) => bucket.total));
  const width = slot(props.buckets.length);
  return (
    <Frame {...props} maxLabel={String(max)} zeroLabel="0">
      {props.buckets.map((bucket, i) => {
        let base = 0;
        return (
          <g
            key={bucket.start}
            class="chart-bar"
            data-start={bucket.start}
            data-total={bucket.total}
            data-success={bucket.success}
            data-error={bucket.error}
            data-interrupted={bucket.interrupted}
            data-running={bucket.running}
          >
            <title>{`${props.timeLabel(bucket.start)}: ${bucket.total} runs, ${bucket.success} success, ${bucket.error} error`}</title>
            {STACK.map((status) => {
              const count = bucket[status];
              if (count === 0) return null;
              const top = y(base + count, max);
              const height = y(base, max) - top;
              base += count;
              return (
                <rect
                  key={status}
                  class={`chart-${status}`}
                  x={LEFT + i * width + width * 0.1}
                  y={top}
                  width={Math.max(1, width * 0.8)}
                  height={height}
                />
              );
            })}
          </g>
        );
      })}
    </Frame>
  );
}

export interface LineSeries {
  key: string;
  label: string;
  value: (bucket: StatsBucket) => number | null;
}

/** One or more lines over the buckets, broken where a bucket has no value; a point on each value. */
export function LineChart(
  props: Omit<ChartFrame, 'max' | 'maxLabel' | 'zeroLabel'> & {
    series: LineSeries[];
    format: (value: number) => string;
    fixedMax?: number;
  },
) {
  const values = props.series.flatMap((line) => props.buckets.map(line.value)).filter((value): value is number => value !== null);
  const max = props.fixedMax ?? Math.max(1, ...values);
  const width = slot(props.buckets.length);
  const x = (i: number) => LEFT + i * width + width / 2;
  return (
    <Frame {...props} maxLabel={props.format(max)} zeroLabel={props.format(0)}>
      {props.series.map((line) => {
        // Consecutive buckets with a value make one polyline; an empty bucket breaks the line.
        const runs: string[][] = [];
        let current: string[] = [];
        props.buckets.forEach((bucket, i) => {
          const value = line.value(bucket);
          if (value === null) {
            if (current.length) runs.push(current);
            current = [];
          } else current.push(`${x(i).toFixed(1)},${y(value, max).toFixed(1)}`);
        });
        if (current.length) runs.push(current);
        return (
          <g key={line.key} class={`chart-line chart-${line.key}`} data-series={line.key}>
            {runs.map((points) => (
              <polyline key={points[0]} points={points.join(' ')} />
            ))}
            {props.buckets.map((bucket, i) => {
              const value = line.value(bucket);
              if (value === null) return null;
              return (
                <circle
                  key={bucket.start}
                  class="chart-point"
                  cx={x(i)}
                  cy={y(value, max)}
                  r={2.5}
                  data-start={bucket.start}
                  data-value={value}
                >
                  <title>{`${props.timeLabel(bucket.start)}: ${line.label} ${props.format(value)}`}</title>
                </circle>
              );
            })}
          </g>
        );
      })}
    </Frame>
  );
}

/** A legend under a chart: a coloured swatch and a word per series. */
export function Legend({ items }: { items: { key: string; label: string }[] }) {
  return (
    <ul class="chart-legend">
      {items.map((item) => (
        <li key={item.key}>
          <span class={`swatch chart-${item.key}`} aria-hidden="true" />
          {item.label}
        </li>
      ))}
    </ul>
  );
}
