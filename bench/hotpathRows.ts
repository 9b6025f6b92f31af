import { atMost, summarize, type ResultRow } from './stats';

/** Disabled, against undecorated with no logger enabled anywhere (issue #16, target 1). */
const DISABLED_LIMIT = 1.05;
/** A recorded step's overhead against an OpenTelemetry span carrying the same data (target 2). */
const OTEL_LIMIT = 0.8;
/** A recorded step's overhead against the floor's (target 2). */
const FLOOR_LIMIT = 2;

/** Per-call times (ns) of each variant, round by round. */
export interface HotpathTimes {
  /** What the figures are: main-thread CPU time where the OS tells it, else wall time. */
  perCall: Record<string, number[]>;
  wallPerCall: Record<string, number[]>;
  drainPerCall: Record<string, number[]>;
}

/**
 * The hot path's table rows. Overheads are over the undecorated call in a recorded execution;
 * every ratio is of medians measured in the same run, and a target's row notes the same ratio
 * in wall time. `otelMissing` says why the OpenTelemetry rows are absent, if they are.
 */
export function hotpathRows(times: HotpathTimes, clock: 'CPU' | 'wall', otelMissing: string | null): ResultRow[] {
  const { perCall, wallPerCall, drainPerCall } = times;
  const median = (key: string) => summarize(perCall[key] ?? []).median;
  const base = median('undecorated');
  const over = (key: string) => median(key) - base;
  const wall = (key: string) => summarize(wallPerCall[key] ?? []).median;
  const wallOver = (key: string) => wall(key) - wall('undecorated');
  const wallNote = (ratio: number) => (clock === 'CPU' ? `main-thread CPU; in wall time ${ratio.toFixed(2)}×` : 'wall time');
  const overhead = (key: string) => summarize((perCall[key] ?? []).map((ns) => ns - base));
  const drain = (key: string) => `drain ${summarize(drainPerCall[key] ?? []).median.toFixed(0)} ns/step`;
  const bench = 'hot path';
  const unloggedBase = median('undecoratedUnlogged');
  const disabledRatio = median('disabled') / unloggedBase;
  const floorRatio = over('capture') / over('floor');
  const rows: ResultRow[] = [
    { bench, figure: 'undecorated call, in a recorded execution', value: summarize(perCall.undecorated ?? []), unit: 'ns/call' },
    {
      bench,
      figure: 'undecorated call, no logger enabled',
      value: summarize(perCall.undecoratedUnlogged ?? []),
      unit: 'ns/call',
    },
    {
      bench,
      figure: '@LoggedNode, no logger enabled',
      value: summarize(perCall.disabled ?? []),
      unit: 'ns/call',
      baseline: { label: 'undecorated, no logger enabled', value: unloggedBase, unit: 'ns' },
      ratio: disabledRatio,
      verdict: atMost(disabledRatio, DISABLED_LIMIT, `≤ ${DISABLED_LIMIT}× undecorated`),
      note: wallNote(wall('disabled') / wall('undecoratedUnlogged')),
      goal: '1',
    },
    { bench, figure: 'enabled, capture off: overhead', value: overhead('captureOff'), unit: 'ns/call', note: drain('captureOff') },
    {
      bench,
      figure: 'enabled, capture 2×200 B: overhead',
      value: overhead('capture'),
      unit: 'ns/call',
      note: `${drain('capture')}; the data costs ${(over('capture') - over('captureOff')).toFixed(0)} ns of it (vs capture off)`,
    },
    {
      bench,
      figure: 'floor (ALS run + 2 × JSON.stringify + 2 ids): overhead',
      value: overhead('floor'),
      unit: 'ns/call',
      note: 'bench/floor.ts: what any recorder of the same data must do',
    },
    {
      bench,
      figure: 'enabled, capture 2×200 B: overhead vs the floor',
      value: overhead('capture'),
      unit: 'ns/call',
      baseline: { label: 'floor overhead', value: over('floor'), unit: 'ns' },
      ratio: floorRatio,
      verdict: atMost(floorRatio, FLOOR_LIMIT, `≤ ${FLOOR_LIMIT}× the floor`),
      note: wallNote(wallOver('capture') / wallOver('floor')),
      goal: '2 (floor)',
    },
  ];
  if (otelMissing !== null) {
    rows.push({ bench, figure: 'OpenTelemetry span', value: summarize([]), unit: '', note: `skipped: ${otelMissing}` });
    return rows;
  }
  const otelRatio = over('capture') / over('otel');
  rows.push(
    {
      bench,
      figure: 'enabled, capture 2×200 B: overhead vs OTel span with the data',
      value: overhead('capture'),
      unit: 'ns/call',
      baseline: { label: 'OTel span (2×200 B attributes) overhead', value: over('otel'), unit: 'ns' },
      ratio: otelRatio,
      verdict: atMost(otelRatio, OTEL_LIMIT, `≤ ${OTEL_LIMIT}× OTel span`),
      note: wallNote(wallOver('capture') / wallOver('otel')),
      goal: '2',
    },
    {
      bench,
      figure: 'OpenTelemetry span, 2×200 B JSON attributes: overhead',
      value: overhead('otel'),
      unit: 'ns/call',
      note: `BatchSpanProcessor + in-memory exporter; the data costs ${(over('otel') - over('otelBare')).toFixed(0)} ns of it (vs no attributes); forceFlush ${summarize(drainPerCall.otel ?? []).median.toFixed(0)} ns/span`,
    },
    { bench, figure: 'OpenTelemetry span, no attributes: overhead', value: overhead('otelBare'), unit: 'ns/call' },
    {
      bench,
      figure: 'enabled, capture 2×200 B, otel spans on: overhead',
      value: overhead('spans'),
      unit: 'ns/call',
      baseline: { label: 'OTel span overhead', value: over('otel'), unit: 'ns' },
      ratio: over('spans') / over('otel'),
      note: `${(over('spans') / over('capture')).toFixed(2)}× the step without spans; ${drain('spans')}`,
    },
  );
  return rows;
}
