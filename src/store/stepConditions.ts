import type { StepStatus } from '../entities';
import { readDataPredicates, requiredText, type DataCondition } from './dataPredicate';
import type { SqlDialect } from './dialects';
import { optionalString } from './queryArguments';
import type { ListExecutionsQuery } from './types';

/** What a step must be for its execution to be listed: all of it holds on one step. */
export interface StepConditions {
  nodeId?: string;
  nodeType?: string;
  status?: StepStatus;
  data: DataCondition[];
}

/**
 * The step conditions of a list query, checked; undefined when it has none.
 * @throws QueryError naming the field.
 */
export function readStepConditions(query: ListExecutionsQuery): StepConditions | undefined {
  const nodeId = optionalString(query.node, 'node');
  const nodeType = optionalString(query.nodeType, 'nodeType');
  const status = optionalString(query.stepStatus, 'stepStatus') as StepStatus | undefined;
  const data = readDataPredicates(query.where);
  if (nodeId === undefined && nodeType === undefined && status === undefined && data.length === 0) return undefined;
  return { nodeId, nodeType, status, data };
}

/**
 * The conditions as SQL on the steps table under `alias`, values bound through `bind`: a filter on
 * the steps of one execution, reached by its index (node, type and status are never the way in).
 * Each data
 * test is preceded by a plain substring search of the stored text for what it needs, which rules
 * out most rows before any JSON is parsed.
 */
export function stepConditionsSql(
  dialect: SqlDialect,
  alias: string,
  conditions: StepConditions,
  bind: (value: unknown) => string,
): string {
  const terms: string[] = [];
  const column = (name: string) => dialect.unindexed(`${alias}.${name}`);
  if (conditions.nodeId !== undefined) terms.push(`${column('node_id')} = ${bind(conditions.nodeId)}`);
  if (conditions.nodeType !== undefined) terms.push(`${column('node_type')} = ${bind(conditions.nodeType)}`);
  if (conditions.status !== undefined) terms.push(`${column('status')} = ${bind(conditions.status)}`);
  for (const condition of conditions.data) {
    const column = `${alias}.${condition.column}`;
    const needle = requiredText(condition);
    if (needle !== undefined) terms.push(dialect.textContains(column, bind(needle)));
    terms.push(`(${dialect.jsonTest(column, condition, bind)})`);
  }
  return terms.join(' AND ');
}
