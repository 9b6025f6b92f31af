import { insertFinishedExecutions, openRawConnection } from './rawDriver';
import type { BackendName } from './support';

/** What the parent asks for (argv[2], JSON) and gets back (IPC). */
export interface RawRequest {
  backend: BackendName;
  location: string;
  executions: number;
  stepsPerExecution: number;
}

/**
 * Measures a driver's raw ceiling in a process of its own. TypeORM turns on `sqlite3.verbose()`
 * (long stack traces: every call util.inspect()s its SQL and parameters), and that patch is
 * process-wide: measured beside the store, the "raw" driver would carry it too.
 */
async function main(): Promise<void> {
  const request = JSON.parse(process.argv[2] ?? '{}') as RawRequest;
  const connection = await openRawConnection(request.backend, request.location);
  try {
    const ms = await insertFinishedExecutions(connection, request.backend, request.executions, request.stepsPerExecution);
    process.send?.({ ms });
  } finally {
    await connection.close();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exitCode = 1;
});
