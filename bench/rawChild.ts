import { readFileSync } from 'node:fs';
import { insertFinishedExecutions, openRawConnection } from './rawDriver';
import type { BackendName } from './support';

/** What the parent asks for (argv[2], JSON) and gets back (IPC). */
export interface RawRequest {
  backend: BackendName;
  location: string;
  executions: number;
  stepsPerExecution: number;
}

/** ms of wall time, and of this process's CPU (every thread: the driver's own included). */
export interface RawResult {
  ms: number;
  cpuMs: number;
  /**
   * PostgreSQL on this machine: CPU ms of the backend process that served the writes. A lower
   * bound of the server's work: the WAL writer and checkpointer are other processes.
   */
  serverCpuMs?: number;
}

const TICKS_PER_MS = 0.1; // USER_HZ is 100 on Linux

/**
 * A PostgreSQL backend's user + system CPU in ms, from /proc; undefined unless that pid is a
 * postgres process here. pg_backend_pid() is the server's pid: with the server in a container or
 * on another host, the same number in this /proc is an unrelated process, or none.
 */
function postgresCpuMs(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined;
  try {
    if (readFileSync(`/proc/${pid}/comm`, 'utf8').trim() !== 'postgres') return undefined;
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_MS;
  } catch {
    return undefined;
  }
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
    const cpu = process.cpuUsage();
    const serverBefore = postgresCpuMs(connection.serverPid);
    const ms = await insertFinishedExecutions(connection, request.backend, request.executions, request.stepsPerExecution);
    const used = process.cpuUsage(cpu);
    const serverAfter = postgresCpuMs(connection.serverPid);
    const result: RawResult = { ms, cpuMs: (used.user + used.system) / 1000 };
    if (serverBefore !== undefined && serverAfter !== undefined) result.serverCpuMs = serverAfter - serverBefore;
    process.send?.(result);
  } finally {
    await connection.close();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exitCode = 1;
});
