/**
 * A PostgreSQL connection string with its password hidden, for printing: the
 * store's own errors and `evalgate doctor` show the same text for the same URL.
 */
export function redactDatabaseUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return 'postgres (unparsable URL)';
  }
}
