import { CreateExecutionHistory1764201600000 } from './1764201600000-CreateExecutionHistory';

/** Add these to your own DataSource's `migrations`; `ExecutionStore.open()` runs them for you. */
export const executionHistoryMigrations = [CreateExecutionHistory1764201600000];
