import pg from 'pg';

// Throw-away PostgreSQL databases for benchmarks: created next to an
// existing one (same server and credentials), dropped at the end. The names
// are generated here, never taken from input, because CREATE/DROP DATABASE
// cannot take the name as a parameter.

/** A created database and how to drop it. */
export interface ScratchDatabase {
  /** Its name. */
  readonly name: string;
  /** Connection URL: the admin URL with this database. */
  readonly url: string;
  /** Drops it, disconnecting any client still on it. */
  drop(): Promise<void>;
}

/**
 * Creates a database named `<prefix>_<time in base 36>` on the server of
 * `adminUrl` (connecting as that URL's user). `prefix` must be a plain SQL
 * identifier (letters, digits, underscores).
 */
export async function createScratchDatabase(adminUrl: string, prefix: string): Promise<ScratchDatabase> {
  if (!/^[a-z_][a-z0-9_]*$/.test(prefix)) throw new Error(`not a plain database name prefix: ${prefix}`);
  const name = `${prefix}_${Date.now().toString(36)}`;
  await adminQuery(adminUrl, `create database ${name}`);
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return { name, url: url.toString(), drop: () => adminQuery(adminUrl, `drop database if exists ${name} with (force)`) };
}

async function adminQuery(adminUrl: string, statement: string): Promise<void> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    await client.query(statement);
  } finally {
    await client.end();
  }
}
