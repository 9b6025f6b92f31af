import type { OutageReport } from './outageChild';
import { atMost, formatNumber, single, type BenchOutput } from './stats';
import { envInt, forkForResult, log, size } from './support';

const MB = 1024 * 1024;

/**
 * 6. Outage: PostgreSQL (a private server, never the shared one) stopped for BENCH_OUTAGE_SECONDS
 * (default 60) under a steady load of BENCH_OUTAGE_RATE workflows/s (default 100), then started
 * again: peak RSS while it is gone, how long until everything held is committed once it is back,
 * and records lost. Runs in a child process (outageChild.ts) so the other benches' heap does not count.
 */
export async function runOutage(): Promise<BenchOutput> {
  const seconds = envInt('BENCH_OUTAGE_SECONDS', size(60, 10));
  const rate = envInt('BENCH_OUTAGE_RATE', 100);
  log(`outage: ${rate} workflows/s, PostgreSQL stopped for ${seconds} s`);
  const report = await forkForResult<OutageReport>('outageChild.js', {
    env: { BENCH_OUTAGE_SECONDS: String(seconds), BENCH_OUTAGE_RATE: String(rate) },
  });
  const spooled = (report.stats as unknown as { spooled?: number }).spooled ?? 0;
  log(
    `outage: ${report.workflows} workflows (${report.workflowErrors} failed), peak RSS ${formatNumber(report.peakRss / MB)} MB ` +
      `(${formatNumber(report.rssBefore / MB)} MB before), queue peak ${report.maxQueued}/${report.maxQueueSize}, spooled ${spooled}, ` +
      `dropped ${report.stats.dropped}, first write ${report.firstWriteMs} ms and all caught up ${report.recoveryMs} ms after the server returned`,
  );
  if (report.workflowErrors > 0) throw new Error(`outage: ${report.workflowErrors} workflows failed while the database was down`);
  const bench = 'outage';
  const load = `${rate} workflows/s × ${report.stepsPerWorkflow} steps, ${seconds} s down`;
  return {
    rows: [
      {
        bench,
        figure: `peak RSS, PostgreSQL gone ${seconds} s`,
        value: single(report.peakRss / MB),
        unit: 'MB',
        baseline: { label: 'RSS before', value: report.rssBefore / MB, unit: 'MB' },
        ratio: report.peakRss / report.rssBefore,
        verdict: atMost(report.maxQueued, report.maxQueueSize, 'queue ≤ maxQueueSize'),
        note: `${load}; queue peak ${formatNumber(report.maxQueued)} of ${formatNumber(report.maxQueueSize)}, ${formatNumber(spooled)} records spooled`,
      },
      {
        bench,
        figure: 'recovery after PostgreSQL returns',
        value: single(report.recoveryMs),
        unit: 'ms',
        note:
          `${formatNumber(report.backlogAtReturn)} records waiting (memory + spool); first commit after ${formatNumber(report.firstWriteMs)} ms ` +
          `(next retry, backoff capped at maxRetryDelayMs ${formatNumber(report.maxRetryDelayMs)})`,
      },
      {
        bench,
        figure: 'records lost',
        value: single(report.rowsLost),
        unit: 'rows',
        verdict: atMost(report.rowsLost, report.stats.dropped, '≤ dropped (counted)'),
        note: `${formatNumber(report.workflows)} workflows, ${formatNumber(report.executionsStored)} executions and ${formatNumber(report.stepsStored)} steps stored; dropped ${formatNumber(report.stats.dropped)}`,
      },
    ],
    details: { ...report },
  };
}
