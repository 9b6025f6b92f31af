import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import type { ExecutionStore } from '../store';
// Not '../store', which loads TypeORM: --help must not wait for it.
import { DEFAULT_DATABASE, isMysqlUrl, isPostgresUrl, isServerUrl } from '../store/target';
import { CliError, UsageError, type ParsedArgs } from './args';

/** Where the history lives, decided from the flags and the environment before anything is opened. */
export type DatabaseTarget =
  { kind: 'sqlite'; path: string } | { kind: 'postgres'; url: string; schema?: string } | { kind: 'mysql'; url: string };

/**
 * Picks the database: `--url` (PostgreSQL or MySQL/MariaDB), `--db` (a file, or such a URL), then
 * `FLOWTRAIL_DB` (same rule), then the embedded default file.
 * @throws UsageError when the flags contradict each other.
 */
export function resolveTarget(args: ParsedArgs, env: NodeJS.ProcessEnv, cwd = process.cwd()): DatabaseTarget {
  const url = args.string('url');
  const db = args.string('db');
  const schema = args.string('schema');
  if (url !== undefined && db !== undefined) throw new UsageError('--db and --url name two databases; give only one');
  if (url !== undefined && !isServerUrl(url)) {
    throw new UsageError(`--url must be a postgres://, mysql:// or mariadb:// URL (for a SQLite file use --db)`);
  }
  const chosen = url ?? db ?? (env.FLOWTRAIL_DB || undefined);
  if (chosen !== undefined && isPostgresUrl(chosen)) return { kind: 'postgres', url: chosen, schema };
  if (chosen !== undefined && isMysqlUrl(chosen)) {
    if (schema !== undefined) throw new UsageError('--schema is for PostgreSQL only (a MySQL URL names its database)');
    return { kind: 'mysql', url: chosen };
  }
  if (schema !== undefined) throw new UsageError('--schema is for PostgreSQL only (use it with --url)');
  return { kind: 'sqlite', path: resolve(cwd, chosen ?? DEFAULT_DATABASE) };
}

/** What a command does to the history: reads it, or changes it (prune, migrate). */
export type Access = 'read' | 'write';

/**
 * Opens an existing history database. A SQLite file that does not exist is never created (a
 * mistyped `--db` must not leave an empty database behind), and a database without the flowtrail
 * tables is refused rather than given them. It is first opened read-only, whatever the command:
 * a read changes nothing (not even the journal mode of someone else's SQLite file), and only a
 * command that writes reopens it for writing, once it is known to be a flowtrail history, and
 * brings its schema up to date.
 * @throws CliError (exit 1) when there is no history there; StoreOpenError when it cannot be opened.
 */
export async function openStore(target: DatabaseTarget, access: Access, warn: (text: string) => void): Promise<ExecutionStore> {
  if (target.kind === 'sqlite' && !existsSync(target.path)) {
    throw new CliError(`no database at ${target.path} (run a workflow first, or pass --db)`);
  }
  // Loaded here, not at the top, so that help and usage errors never pay for TypeORM.
  await import('reflect-metadata');
  const { ExecutionStore } = await import('../store');
  const open = (readOnly: boolean) =>
    target.kind === 'sqlite'
      ? ExecutionStore.open({ database: target.path, runMigrations: false, readOnly })
      : ExecutionStore.open({
          url: target.url,
          ...(target.kind === 'postgres' ? { schema: target.schema } : {}),
          runMigrations: false,
          readOnly,
          poolSize: 2,
        });
  const reader = await open(true);
  let pending: string[];
  try {
    if (!(await reader.hasHistoryTables())) {
      const where = target.kind === 'postgres' ? `${reader.target} (schema ${target.schema ?? 'public'})` : reader.target;
      throw new CliError(`no flowtrail history in ${where} (run a workflow first, or pass ${flagsFor(target)})`);
    }
    pending = await reader.pendingMigrations();
  } catch (error) {
    await reader.close().catch(() => undefined);
    throw error;
  }
  if (access === 'read') {
    if (pending.length > 0) {
      warn(
        `flowtrail: note: this history has not had ${pending.length} migration(s) of this version (${pending.join(', ')}); ` +
          `it is read as it is. "flowtrail migrate" applies them.\n`,
      );
    }
    return reader;
  }
  await reader.close();
  const writer = await open(false);
  try {
    await writer.runMigrations();
    return writer;
  } catch (error) {
    await writer.close().catch(() => undefined);
    throw error;
  }
}

/**
 * Runs `work` with the store the flags name, and closes it whatever happens, so that the process
 * can exit by itself once output is flushed.
 */
export async function withStore<T>(
  args: ParsedArgs,
  context: { env: NodeJS.ProcessEnv; warn(text: string): void },
  access: Access,
  work: (store: ExecutionStore) => Promise<T>,
): Promise<T> {
  const store = await openStore(resolveTarget(args, context.env), access, context.warn);
  try {
    return await work(store);
  } finally {
    await store.close();
  }
}

function flagsFor(target: DatabaseTarget): string {
  if (target.kind === 'sqlite') return '--db';
  return target.kind === 'postgres' ? '--url/--schema' : '--url';
}
