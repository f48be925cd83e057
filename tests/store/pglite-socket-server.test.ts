import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defined } from '../helpers/defined.js';
import { PgliteSocketServer } from '../../gateway/store/pglite-socket-server.js';
import { freshPgliteDir } from './pglite-template.js';

// Many real `pg` connections to one PGlite through the owner's socket server:
// no statement may run inside another connection's batch or transaction.

describe('PgliteSocketServer', () => {
  let dir: string;
  let db: PGlite;
  let server: PgliteSocketServer;
  const pools: pg.Pool[] = [];

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'eg-sock-'));
    await freshPgliteDir(join(dir, 'db'));
    db = await PGlite.create(join(dir, 'db'));
    server = new PgliteSocketServer(db, join(dir, '.s.PGSQL.5432'));
    await server.start();
    await db.exec('create table big (id serial primary key, g int not null, v text not null)');
    for (let i = 0; i < 4; i++) pools.push(new pg.Pool({ host: dir, port: 5432, user: 'postgres', database: 'postgres', max: 3 }));
  });
  afterAll(async () => {
    await Promise.all(pools.map((p) => p.end()));
    await server?.stop();
    await db?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('keeps each extended-query batch whole, even when a large one arrives in several socket reads', async () => {
    // Every third statement is a 500-row insert (~300 KB: more than one socket read);
    // the others are small statements with different SQL and one parameter. With
    // @electric-sql/pglite-socket's per-message queue, 74 of 300 failed here.
    const results = await Promise.all(
      Array.from({ length: 120 }, async (_, i) => {
        const pool = defined(pools[i % pools.length], 'a pool');
        if (i % 3 === 0) {
          const values: string[] = [];
          const params: unknown[] = [];
          for (let k = 0; k < 500; k++) {
            values.push(`($${2 * k + 1}::int, $${2 * k + 2}::text)`);
            params.push(i, 'x'.repeat(600));
          }
          const r = await pool.query<{ g: number }>(`insert into big (g, v) values ${values.join(',')} returning g`, params);
          return r.rows.length === 500 && r.rows.every((row) => row.g === i);
        }
        const r = await pool.query<{ x: number }>(i % 2 ? 'select $1::int * 2 as x' : 'select $1::int * 3 + 0 as x, 1 as y', [i]);
        return r.rows[0]?.x === i * (i % 2 ? 2 : 3);
      }),
    );
    expect(results.every(Boolean)).toBe(true);
    const { rows } = await defined(pools[0], 'pool #0').query<{ n: number; g: number }>('select count(*)::int as n, count(distinct g)::int as g from big');
    expect(rows[0]).toEqual({ n: 40 * 500, g: 40 });
  });

  it('rolls back the open transaction of a connection that disconnects, before others run', async () => {
    const a = new pg.Client({ host: dir, port: 5432, user: 'postgres', database: 'postgres' });
    a.on('error', () => undefined);
    await a.connect();
    await a.query('begin');
    await a.query("insert into big (g, v) values (-1, 'orphan')");
    // Another connection's statement waits for that transaction…
    const other = defined(pools[1], 'pool #1').query<{ n: number }>('select count(*)::int as n from big where g = -1');
    await new Promise((r) => setTimeout(r, 50));
    // …which ends with its connection: rolled back, so the waiting statement sees nothing.
    await a.end();
    expect((await other).rows[0]?.n).toBe(0);
  });
});

describe('PgliteSocketServer idle-in-transaction timeout', () => {
  // Long enough that a stalled event loop (a loaded CI machine: 100–500 ms) between a busy transaction's
  // statements cannot pass for idleness.
  const timeoutMs = 1500;
  let dir: string;
  let db: PGlite;
  let server: PgliteSocketServer;
  const connect = async (errors: unknown[] = []): Promise<pg.Client> => {
    const c = new pg.Client({ host: dir, port: 5432, user: 'postgres', database: 'postgres' });
    c.on('error', (err) => errors.push(err));
    await c.connect();
    return c;
  };

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'eg-sock-idle-'));
    await freshPgliteDir(join(dir, 'db'));
    db = await PGlite.create(join(dir, 'db'));
    server = new PgliteSocketServer(db, join(dir, '.s.PGSQL.5432'), { idleInTransactionTimeoutMs: timeoutMs });
    await server.start();
    await db.exec('create table t (v text not null)');
  });
  afterAll(async () => {
    await server?.stop();
    await db?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('drops a connection that stalls inside its transaction (FATAL 25P03, rolled back), so the others go on', async () => {
    const errors: unknown[] = [];
    const stalled = await connect(errors);
    await stalled.query('begin');
    // Timed from before the last statement is sent: the server's idle timer starts after it, so the drop comes at
    // least timeoutMs later however long this process takes to see the statement's answer.
    const started = Date.now();
    await stalled.query("insert into t (v) values ('uncommitted')");
    // The client now sends nothing more (stopped, in a debugger, forgot to commit).
    // Another process (even its connection start-up) waits for that transaction…
    const other = connect();
    const waited = other.then((c) => c.query<{ n: number }>("select count(*)::int as n from t where v = 'uncommitted'"));
    const verdict = await Promise.race([waited.then((r) => r.rows[0]?.n), new Promise((r) => setTimeout(() => r('still blocked after 10 s'), 10_000).unref())]);
    // …until the timeout drops the stalled connection: its write is rolled back.
    expect(verdict).toBe(0);
    expect(Date.now() - started).toBeGreaterThanOrEqual(timeoutMs - 50);
    await (await other).end();
    expect(errors.map((e) => (e as { code?: string }).code)).toContain('25P03');
    await stalled.end().catch(() => undefined);
  });

  it('keeps a transaction that is busy (statements keep coming) past the timeout', async () => {
    const c = await connect();
    await c.query('begin');
    // 8 pauses of a fifth of the timeout: the transaction lasts 1.6 timeouts, and each pause leaves 1.2 s for a stall.
    for (let i = 0; i < 8; i++) {
      await c.query('insert into t (v) values ($1)', [`busy-${i}`]);
      await new Promise((r) => setTimeout(r, timeoutMs / 5));
    }
    await c.query('commit');
    const { rows } = await c.query<{ n: number }>("select count(*)::int as n from t where v like 'busy-%'");
    expect(rows[0]?.n).toBe(8);
    await c.end();
  });
});
