/**
 * What a database option or `FLOWTRAIL_DB` names, told apart without loading TypeORM: the CLI
 * uses this too, and `flowtrail --help` must not wait for TypeORM to load.
 */

/** The embedded default: one SQLite file in the working directory, created with its folder. */
export const DEFAULT_DATABASE = './.flowtrail/history.sqlite';

/** SQLite's name for a database in memory, private to one connection. */
export const IN_MEMORY = ':memory:';

/** URL schemes are case-insensitive: `POSTGRES://…` is PostgreSQL too. */
const POSTGRES_URL = /^postgres(?:ql)?:\/\//i;
const MYSQL_URL = /^(?:mysql|mariadb):\/\//i;
const ANY_URL = /^[a-z][a-z0-9+.-]*:\/\//i;

export function isPostgresUrl(text: string): boolean {
  return POSTGRES_URL.test(text);
}

/** `mysql://` or `mariadb://`: the same protocol and the same driver (`mysql2`). */
export function isMysqlUrl(text: string): boolean {
  return MYSQL_URL.test(text);
}

/** A URL of a server database flowtrail writes to. */
export function isServerUrl(text: string): boolean {
  return isPostgresUrl(text) || isMysqlUrl(text);
}

/** Any `scheme://`: read as a path it would quietly become a file in a folder named after the scheme. */
export function isUrl(text: string): boolean {
  return ANY_URL.test(text);
}

/** Query parameters that carry a credential in a connection URL (libpq's and common drivers'). */
const SECRET_PARAMETER = /([?&;](?:password|sslpassword|pass|pwd|passphrase|secret|token|api[_-]?key|access[_-]?token)=)[^&;#]*/gi;

/**
 * The URL with every credential replaced by `***`, for messages: the password of its user info
 * and the values of credential query parameters. Never parses the URL as a browser would: a
 * password with an unencoded `#`, `@` or `/` must not leak because the URL is malformed. When in
 * doubt it hides more (everything up to the last `@`), never less.
 */
export function maskPassword(url: string): string {
  const scheme = /^[a-z][a-z0-9+.-]*:\/\//i.exec(url)?.[0] ?? '';
  let rest = url.slice(scheme.length);
  const at = rest.lastIndexOf('@');
  if (at >= 0) {
    const userInfo = rest.slice(0, at);
    const colon = userInfo.indexOf(':');
    if (colon >= 0) rest = `${userInfo.slice(0, colon)}:***${rest.slice(at)}`;
  }
  return `${scheme}${rest}`.replace(SECRET_PARAMETER, '$1***');
}
