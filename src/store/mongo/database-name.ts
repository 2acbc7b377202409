/** The database a read store uses when neither the options nor the URL path name one. */
export const DEFAULT_DB_NAME = 'oauth2';

/**
 * The database named by a connection string's path (`mongodb://h1,h2/name?opts`), or null.
 * Hand-parsed: a seed list with several hosts is not a WHATWG URL.
 */
export function databaseFromUrl(url: string): string | null {
  const scheme = url.indexOf('://');
  if (scheme < 0) return null;
  const rest = url.slice(scheme + 3);
  const slash = rest.indexOf('/');
  if (slash < 0) return null;
  const path = rest.slice(slash + 1).split('?')[0] ?? '';
  return path === '' ? null : decodeURIComponent(path);
}
