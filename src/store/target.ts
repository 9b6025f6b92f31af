/**
 * What a database option or `FLOWTRAIL_DB` names, told apart without loading TypeORM: the CLI
 * uses this too, and `flowtrail --help` must not wait for TypeORM to load.
 */

/** The embedded default: one SQLite file in the working directory, created with its folder. */
export const DEFAULT_DATABASE = './.flowtrail/history.sqlite';

/** URL schemes are case-insensitive: `POSTGRES://…` is PostgreSQL too. */
const POSTGRES_URL = /^postgres(?:ql)?:\/\//i;
const ANY_URL = /^[a-z][a-z0-9+.-]*:\/\//i;

export function isPostgresUrl(text: string): boolean {
  return POSTGRES_URL.test(text);
}

/** Any `scheme://`: read as a path it would quietly become a file in a folder named after the scheme. */
export function isUrl(text: string): boolean {
  return ANY_URL.test(text);
}

/** The URL with its password replaced by `***`, for messages. */
export function maskPassword(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return url.replace(/:[^:@/]*@/, ':***@');
  }
}
