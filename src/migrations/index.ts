import { CreateExecutionHistory1764201600000 } from './1764201600000-CreateExecutionHistory';
import { NameStepsForeignKey1795996800000 } from './1795996800000-NameStepsForeignKey';
import { AddExecutionTags1796860800000 } from './1796860800000-AddExecutionTags';
import { AddLineageAndTraces1797465600000 } from './1797465600000-AddLineageAndTraces';
import { DropUnqueriedIndexes1798070400000 } from './1798070400000-DropUnqueriedIndexes';

/** Add these to your own DataSource's `migrations`; `ExecutionStore.open()` runs them for you. */
export const executionHistoryMigrations = [
  CreateExecutionHistory1764201600000,
  NameStepsForeignKey1795996800000,
  AddExecutionTags1796860800000,
  AddLineageAndTraces1797465600000,
  DropUnqueriedIndexes1798070400000,
];
