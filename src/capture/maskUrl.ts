import { MASK, SECRET_PARAMETER_NAME } from '../credentials';

/**
 * A URL's text with its credentials masked: the password of its user info (or a user name that
 * stands alone, as tokens do: `https://ghp_…@host`), and the values of query parameters whose
 * names are sensitive — by the capture's redaction pattern, or by the names connection strings
 * use. A URL with nothing to mask keeps its text exactly.
 */
export function maskUrl(url: URL, redact: RegExp): string {
  const masked = new URL(url.href);
  let changed = false;
  if (masked.password !== '') {
    masked.password = MASK;
    changed = true;
  } else if (masked.username !== '') {
    masked.username = MASK;
    changed = true;
  }
  for (const name of new Set(masked.searchParams.keys())) {
    if (redact.test(name) || SECRET_PARAMETER_NAME.test(name)) {
      masked.searchParams.set(name, MASK);
      changed = true;
    }
  }
  return changed ? masked.href : url.href;
}
