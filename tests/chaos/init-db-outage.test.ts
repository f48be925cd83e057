import { existsSync, readdirSync } from 'node:fs';
import { mkdtemp, realpath } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import registerInit from '../../gateway/cli/commands/init.js';
import { migrations } from '../../migrations/index.js';
import { runCommandInProcess } from '../helpers/run-cli.js';
import { startPrivatePostgres, type PrivatePostgres } from './private-postgres.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

// `evalgate init` writes to the database: it creates the schema (all migrations). On a PostgreSQL of the
// test's own (DATABASE_URL; never the shared server), an outage before or during that fails with a
// registry error, and leaves no half-made schema (the migrations run in one transaction) and no
// configuration file (it is renamed into place only once the database is migrated).
describe('evalgate init and a PostgreSQL outage (private PostgreSQL)', () => {
  let db: PrivatePostgres;
  let saved: string | undefined;

  beforeAll(async () => {
    db = await startPrivatePostgres();
    saved = process.env.DATABASE_URL;
    process.env.DATABASE_URL = db.url;
  }, 60_000);
  afterAll(async () => {
    if (saved === undefined) delete process.env.DATABASE_URL;
    else process.env.DATABASE_URL = saved;
    await db?.dispose();
  });

  async function query<T extends pg.QueryResultRow>(text: string, values: unknown[] = []): Promise<T[]> {
    const c = new pg.Client({ connectionString: db.url });
    await c.connect();
    try {
      return (await c.query<T>(text, values)).rows;
    } finally {
      await c.end();
    }
  }
  /** The application's tables that exist, and the migrations recorded as applied. */
  async function schema(): Promise<{ tables: string[]; applied: number }> {
    const tables = await query<{ t: string }>(
      "select table_name as t from information_schema.tables where table_schema = 'public' and table_name not like 'kysely_%' order by 1",
    );
    const [hasLog] = await query<{ r: string | null }>("select to_regclass('public.kysely_migration')::text as r");
    const applied = hasLog?.r ? Number((await query<{ n: string }>('select count(*) as n from kysely_migration'))[0]!.n) : 0;
    return { tables: tables.map((r) => r.t), applied };
  }
  const project = async () => realpath(await mkdtemp(join(tmpdir(), 'eg-init-chaos-')));

  it('the database down when init runs: EVALGATE_ERR_DB_UNAVAILABLE, nothing created in it; init --force completes once it is back', async () => {
    const dir = await project();
    await db.stop();
    let out;
    try {
      out = await runCommandInProcess(registerInit, ['init', '--dir', dir, '--json']);
    } finally {
      await db.start();
    }
    expect(out.exitCode).toBe(1);
    expect(JSON.parse(out.stderr.trim().split('\n').at(-1)!)).toMatchObject({ error: { code: 'EVALGATE_ERR_DB_UNAVAILABLE' } });
    // No project half made: the configuration is renamed into place only once its database is migrated,
    // and no temporary file is left, so a plain `init` runs again.
    expect(existsSync(join(dir, 'evalgate.config.json'))).toBe(false);
    expect(readdirSync(dir).filter((f) => f.includes('config'))).toEqual([]);
    expect(await schema()).toEqual({ tables: [], applied: 0 });

    const again = await runCommandInProcess(registerInit, ['init', '--dir', dir, '--json']);
    expect(again.exitCode ?? 0).toBe(0);
    expect(JSON.parse(again.stdout)).toMatchObject({ database: { backend: 'postgres' }, overwritten: false });
    expect(existsSync(join(dir, 'evalgate.config.json'))).toBe(true);
    expect((await schema()).applied).toBe(Object.keys(migrations).length);
    // Start from an empty database for the next case.
    await query('drop schema public cascade; create schema public');
  }, 120_000);

  it('an outage in the middle of the migrations: they roll back together (no half schema); init --force then creates all of it', async () => {
    const dir = await project();
    // A second session creating run_claims, uncommitted: init's migration transaction applies the earlier
    // migrations and then waits on the same name in the catalog, so the outage comes with tables half made.
    const holder = new pg.Client({ connectionString: db.url });
    holder.on('error', () => undefined);
    await holder.connect();
    await holder.query('begin');
    await holder.query('create table run_claims (x int)');
    const init = runCommandInProcess(registerInit, ['init', '--dir', dir, '--json']);
    try {
      const deadline = Date.now() + 60_000;
      for (;;) {
        const [row] = await query<{ n: string }>(
          "select count(*) as n from pg_stat_activity where wait_event_type = 'Lock' and query ilike '%create table \"run_claims\"%'",
        );
        if (Number(row!.n) > 0) break;
        if (Date.now() > deadline) throw new Error('init never reached the run_claims migration');
        await sleep(25);
      }
      // Inside init's open transaction the initial schema exists now (datasets, samples, runs, ...).
      await db.stop();
    } finally {
      await db.start();
      await holder.end().catch(() => undefined);
    }
    const out = await init;
    expect(out.exitCode).toBe(1);
    const error = (JSON.parse(out.stderr.trim().split('\n').at(-1)!) as { error: { code: string; message: string } }).error;
    // The outage reaches the migrator. Today open-store reports it as MIGRATION_FAILED "(migration lock or
    // provider) failed: Postgres connection has been discarded ... run `evalgate db migrate` again"; an outage
    // code would be clearer, so either registry code passes here, as long as it says to run again.
    expect(['EVALGATE_ERR_MIGRATION_FAILED', 'EVALGATE_ERR_DB_UNAVAILABLE']).toContain(error.code);
    expect(error.message).toMatch(/again/);
    expect(await schema()).toEqual({ tables: [], applied: 0 });

    const again = await runCommandInProcess(registerInit, ['init', '--dir', dir, '--json']);
    expect(again.exitCode ?? 0).toBe(0);
    const after = await schema();
    expect(after.applied).toBe(Object.keys(migrations).length);
    expect(after.tables).toEqual(expect.arrayContaining(['datasets', 'samples', 'runs', 'run_claims']));
  }, 120_000);
});
