import type { ResolvedRetention, RetentionStatus } from '../config/RetentionConfig';
import type { RetentionRule } from '../store/Retention';

/**
 * The store calls that apply a logger's retention, in order. When every status has an age, the
 * longest goes first without a status: it removes what every rule would, and, as `retentionDays`
 * alone always did, the rows of instances silent that long (a status-narrowed cleanup leaves them).
 * With one age for all (the defaults) that is the only age call: today's single call, unchanged.
 * Shorter ages follow, narrowed to their status; the count per workflow comes last, over what the
 * ages left. Running executions are never removed (the store guards every call).
 */
export function retentionPlan(retention: ResolvedRetention): RetentionRule[] {
  const ages = (Object.entries(retention.maxAgeMs) as [RetentionStatus, number | false][]).filter(
    (entry): entry is [RetentionStatus, number] => entry[1] !== false,
  );
  const plan: RetentionRule[] = [];
  const everyStatus = ages.length === Object.keys(retention.maxAgeMs).length;
  const longest = everyStatus ? Math.max(...ages.map(([, maxAgeMs]) => maxAgeMs)) : undefined;
  if (longest !== undefined) plan.push({ maxAgeMs: longest });
  for (const [status, maxAgeMs] of ages) if (maxAgeMs !== longest) plan.push({ maxAgeMs, status });
  if (retention.maxPerWorkflow !== false) plan.push({ keepPerWorkflow: retention.maxPerWorkflow });
  return plan;
}
