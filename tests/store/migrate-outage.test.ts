import { createServer, type Server } from 'node:net';
import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrateToLatest } from '../../gateway/store/open-store.js';
import type { Database } from '../../gateway/store/database.js';

// A database that goes away while migrations run is an outage to retry
// (EVALGATE_ERR_DB_UNAVAILABLE), not a migration to fix: each migration runs
// in its own transaction, so running the command again finishes the job.
describe('migrateToLatest against a server that drops the connection', () => {
  let server: Server;
  let port: number;
  beforeAll(async () => {
    // Accepts the TCP connection and closes it at once: pg sees the connection terminated.
    server = createServer((socket) => socket.destroy());
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as { port: number }).port;
  });
  afterAll(async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  it('reports EVALGATE_ERR_DB_UNAVAILABLE, naming the step, not MIGRATION_FAILED', async () => {
    const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: `postgres://x@127.0.0.1:${port}/x`, max: 1 }) }) });
    try {
      const err = await migrateToLatest(db).then(
        () => undefined,
        (e: unknown) => e as { code?: string; message?: string },
      );
      expect(err?.code).toBe('EVALGATE_ERR_DB_UNAVAILABLE');
      expect(err?.message).toMatch(/unreachable while migrating/);
    } finally {
      await db.destroy();
    }
  });
});
