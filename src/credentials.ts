/**
 * Credentials written inside free text, masked: the password of a URL's user info
 * (`scheme://user:secret@host`) and the values of credential query parameters. For messages and
 * stacks, which are text, not keyed data that redaction by key name could reach.
 */
const URL_USER_INFO = /\b([a-z][a-z0-9+.-]*:\/\/[^\s:/@]*:)[^\s@]*@/gi;
const SECRET_NAMES = 'password|sslpassword|pass|pwd|passphrase|secret|token|api[_-]?key|access[_-]?token';
const SECRET_PARAMETER = new RegExp(`([?&;](?:${SECRET_NAMES})=)[^&;#\\s]*`, 'gi');

/** Query parameter names that carry a credential in connection strings, whatever the redaction settings. */
export const SECRET_PARAMETER_NAME = new RegExp(`^(?:${SECRET_NAMES})$`, 'i');

/** What stands in for a masked credential. */
export const MASK = '***';

export function maskCredentials(text: string): string {
  if (!text.includes('://') && !text.includes('=')) return text;
  return text.replace(URL_USER_INFO, '$1***@').replace(SECRET_PARAMETER, '$1***');
}
