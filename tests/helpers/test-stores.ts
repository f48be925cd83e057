import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { openStore, type Store } from '../../gateway/store/open-store.js';

/** Where PostgreSQL tests connect; CI sets it, locally the default matches the dev machines. */
export const testDatabaseUrl = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

/** Whether PostgreSQL answers. In CI an unreachable database is a failure, never a skip. */
export async function postgresAvailable(): Promise<boolean> {
  const client = new pg.Client({ connectionString: testDatabaseUrl, connectionTimeoutMillis: 3000 });
  try {
    await client.connect();
    await client.query('select 1');
    return true;
  } catch (err) {
    if (process.env.CI === 'true') throw new Error(`PostgreSQL at ${testDatabaseUrl} is unreachable in CI: ${(err as Error).message}`);
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** A store plus the clean-up that removes its database or folder. */
export interface TestStore {
  /** The migrated store. */
  readonly store: Store;
  /** For PostgreSQL: the URL of the throw-away database. */
  readonly url?: string;
  /** Closes the store and drops its database / removes its folder. */
  dispose(): Promise<void>;
}

/** A fresh PGlite store in its own temp folder. */
export async function createPgliteTestStore(opts: { migrate?: boolean } = {}): Promise<TestStore> {
  const dir = await mkdtemp(join(tmpdir(), 'evalgate-pglite-'));
  const store = await openStore({ pgliteDir: dir, migrate: opts.migrate });
  return {
    store,
    dispose: async () => {
      await store.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** Creates a uniquely named database so parallel test files never collide. */
export async function createTestDatabase(): Promise<{ url: string; drop(): Promise<void> }> {
  const name = `evalgate_t_${Date.now().toString(36)}_${Math.random().toString(36).slice(2, 8)}`;
  const admin = new pg.Client({ connectionString: testDatabaseUrl });
  await admin.connect();
  await admin.query(`create database ${name}`);
  await admin.end();
  const url = new URL(testDatabaseUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: async () => {
      const c = new pg.Client({ connectionString: testDatabaseUrl });
      await c.connect();
      try {
        // Closed pools may still be saying goodbye: forcing the drop then kills a backend whose
        // client is mid-disconnect, and that client reports the kill as an uncaught error.
        for (let i = 0; i < 20; i++) {
          const { rows } = await c.query<{ n: string }>('select count(*) as n from pg_stat_activity where datname = $1', [name]);
          if (Number(rows[0]?.n ?? 0) === 0) break;
          await new Promise((r) => setTimeout(r, 50));
        }
        await c.query(`drop database if exists ${name} with (force)`);
      } finally {
        await c.end();
      }
    },
  };
}

/** A fresh PostgreSQL store in its own database. */
export async function createPostgresTestStore(opts: { migrate?: boolean } = {}): Promise<TestStore> {
  const tdb = await createTestDatabase();
  const store = await openStore({ url: tdb.url, migrate: opts.migrate });
  return {
    store,
    url: tdb.url,
    dispose: async () => {
      await store.close();
      await tdb.drop();
    },
  };
}

/** Both backends, for suites that loop the same cases over each. */
export const backends = [
  { name: 'pglite', create: createPgliteTestStore },
  { name: 'postgres', create: createPostgresTestStore },
] as const;
