// The chaos suites' own PostgreSQL: it must stop, crash and come back on the same port and data.
import { expect, it } from 'vitest';
import pg from 'pg';
import { startPrivatePostgres } from './private-postgres.js';
it('a private server starts, stops, crashes, restarts', async () => {
  const p = await startPrivatePostgres();
  const q = async () => {
    const c = new pg.Client({ connectionString: p.url, connectionTimeoutMillis: 1000 });
    await c.connect();
    const r = await c.query('select 1 as x');
    await c.end();
    return r.rows[0].x;
  };
  expect(await q()).toBe(1);
  await p.stop();
  await expect(q()).rejects.toThrow();
  await p.start();
  expect(await q()).toBe(1);
  await p.crash();
  await expect(q()).rejects.toThrow();
  await p.start();
  expect(await q()).toBe(1);
  await p.dispose();
});
