import { createServer } from 'node:net';
import { PGlite } from '@electric-sql/pglite';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { defined } from '../helpers/defined.js';
import { EvalgateError } from '../../gateway/errors.js';
import { isDatabaseUnavailable } from '../../gateway/store/is-database-unavailable.js';
import { postgresAvailable, testDatabaseUrl } from '../helpers/test-stores.js';

/** A port nothing listens on: bind port 0, note it, close. */
async function closedPort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as { port: number }).port;
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}

async function caught(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (err) {
    return err;
  }
  throw new Error('expected a rejection');
}

describe('isDatabaseUnavailable', () => {
  it('classifies a refused pg connection (real socket) as unavailable', async () => {
    const port = await closedPort();
    const pool = new pg.Pool({ connectionString: `postgres://postgres@127.0.0.1:${port}/x`, connectionTimeoutMillis: 2000 });
    const err = await caught(pool.query('select 1'));
    await pool.end();
    expect(isDatabaseUnavailable(err)).toBe(true);
  });

  it('classifies a backend killed by the server (57P01 / connection terminated) as unavailable', async () => {
    if (!(await postgresAvailable())) return;
    const victim = new pg.Client({ connectionString: testDatabaseUrl });
    victim.on('error', () => undefined);
    await victim.connect();
    const { rows } = await victim.query<{ pid: number }>('select pg_backend_pid() as pid');
    const admin = new pg.Client({ connectionString: testDatabaseUrl });
    await admin.connect();
    // Kills only the backend this test opened.
    await admin.query('select pg_terminate_backend($1)', [defined(rows[0], 'the victim backend pid').pid]);
    await admin.end();
    const err = await caught(victim.query('select 1'));
    await victim.end().catch(() => undefined);
    expect(isDatabaseUnavailable(err)).toBe(true);
  });

  it('classifies a closed PGlite as unavailable', async () => {
    const db = await PGlite.create(); // in memory: the close path is the same
    await db.close();
    const err = await caught(db.query('select 1'));
    expect(isDatabaseUnavailable(err)).toBe(true);
  });

  it('follows cause chains and AggregateError members; SQLSTATE class 08 and 57P03 count', () => {
    expect(isDatabaseUnavailable(new Error('wrapped', { cause: Object.assign(new Error('x'), { code: '08006' }) }))).toBe(true);
    expect(isDatabaseUnavailable(new AggregateError([Object.assign(new Error('x'), { code: 'ECONNREFUSED' })]))).toBe(true);
    expect(isDatabaseUnavailable(Object.assign(new Error('the database system is starting up'), { code: '57P03' }))).toBe(true);
    expect(isDatabaseUnavailable(new EvalgateError('EVALGATE_ERR_DB_UNAVAILABLE', { detail: 'down' }))).toBe(true);
  });

  it('does not classify query errors, bugs or non-errors as unavailable', async () => {
    expect(isDatabaseUnavailable(Object.assign(new Error('syntax error'), { code: '42601' }))).toBe(false);
    expect(isDatabaseUnavailable(Object.assign(new Error('duplicate key'), { code: '23505' }))).toBe(false);
    expect(isDatabaseUnavailable(new TypeError('x is undefined'))).toBe(false);
    expect(isDatabaseUnavailable(undefined)).toBe(false);
    expect(isDatabaseUnavailable('ECONNREFUSED')).toBe(false);
    const cyclic: { cause?: unknown; message: string } = { message: 'loop' };
    cyclic.cause = cyclic;
    expect(isDatabaseUnavailable(cyclic)).toBe(false);
    if (await postgresAvailable()) {
      const c = new pg.Client({ connectionString: testDatabaseUrl });
      await c.connect();
      const err = await caught(c.query('select * from no_such_table_here'));
      await c.end();
      expect(isDatabaseUnavailable(err)).toBe(false);
    }
  });
});

describe('isDatabaseUnavailable: unix sockets and closed stores', () => {
  it('classifies a missing unix socket (the embedded owner stopped) but not a missing file', async () => {
    const client = new pg.Client({ host: '/nonexistent-evalgate-dir', port: 5432, user: 'x', database: 'x' });
    const err = await caught(client.connect());
    expect(isDatabaseUnavailable(err)).toBe(true);
    expect(isDatabaseUnavailable(Object.assign(new Error('ENOENT: no such file'), { code: 'ENOENT', syscall: 'open' }))).toBe(false);
  });
});
