import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { afterAll, describe, expect, it } from 'vitest';
import { openStore, type Store } from '../../gateway/store/open-store.js';
import { ownerLockPath, readOwnerLock } from '../../gateway/store/owner-lock.js';
import { ownerSocketPath } from '../../gateway/store/pglite-owner.js';
import { spawnCli } from '../helpers/run-cli.js';
import { freshPgliteDir } from './pglite-template.js';
import { pgliteProject, startServe } from '../helpers/serve-process.js';

// One process owns an embedded database folder; the others reach it through
// the owner's socket. Real `evalgate` processes, real PGlite, real sockets.

const dirs: string[] = [];
async function tempDir(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), 'eg-own-'));
  dirs.push(d);
  return d;
}
afterAll(async () => {
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
});

describe('embedded database with several processes', () => {
  it('keeps a dataset imported and a key created by the CLI while serve runs, after serve stops', async () => {
    const dir = await tempDir();
    const { config, manifest, dbDir } = await pgliteProject(dir);
    const serve = await startServe(config, ['--no-auth']);
    try {
      const lock = await readOwnerLock(ownerLockPath(dbDir));
      expect(lock).toMatchObject({ pid: serve.child.pid, host: hostname() });

      const imp = await spawnCli(['-c', config, 'datasets', 'import', 'manifest', manifest, '--name', 'while-serving', '--json']);
      expect(imp.stderr).toBe('');
      expect(imp.code).toBe(0);
      const key = await spawnCli(['-c', config, 'keys', 'create', '--scope', 'viewer', '--name', 'made-while-serving', '--json']);
      expect(key.code).toBe(0);
      const created = JSON.parse(key.stdout) as { id: string };

      // The running server sees the CLI's writes at once: one database, not two copies.
      const media = await fetch(`${serve.url}/v1/datasets/while-serving/samples/a/media/0`);
      expect(media.status).toBe(200);
      expect(Buffer.from(await media.arrayBuffer())).toEqual(await readFile(join(dir, 'set', 'a.wav')));

      serve.child.kill('SIGTERM');
      expect(await serve.exited).toBe(0);
      expect(await readOwnerLock(ownerLockPath(dbDir))).toBeUndefined();

      const list = await spawnCli(['-c', config, 'datasets', 'list', '--json']);
      expect(list.code).toBe(0);
      expect(list.stdout).toContain('while-serving');
      const store = await openStore({ pgliteDir: dbDir });
      try {
        const row = await store.db.selectFrom('api_keys').select(['id', 'name']).where('id', '=', created.id).executeTakeFirst();
        expect(row).toEqual({ id: created.id, name: 'made-while-serving' });
      } finally {
        await store.close();
      }
    } finally {
      serve.child.kill('SIGKILL');
      await serve.exited;
    }
  }, 180_000);

  it('runs transactions from two stores on one folder without mixing them, and a client takes over when the owner closes', async () => {
    const dir = await tempDir();
    const dbDir = join(dir, 'db');
    await freshPgliteDir(dbDir);
    const owner = await openStore({ pgliteDir: dbDir });
    const client = await openStore({ pgliteDir: dbDir });
    let closed: Store | undefined;
    try {
      // The socket has no authentication: only this user may connect to it.
      expect((await stat(ownerSocketPath(dbDir))).mode & 0o777).toBe(0o600);
      await sql`create table tx_probe (tx int not null, k int not null)`.execute(owner.db);
      // Each transaction inserts 4 rows, then counts its own rows; every third one rolls back.
      // Statements of concurrent transactions from both stores must never land in each other.
      const results = await Promise.all(
        Array.from({ length: 24 }, async (_, tx) => {
          const store = tx % 2 === 0 ? owner : client;
          try {
            return await store.db.transaction().execute(async (trx) => {
              for (let k = 0; k < 4; k++) await sql`insert into tx_probe (tx, k) values (${tx}, ${k})`.execute(trx);
              const { rows } = await sql<{ n: number }>`select count(*)::int as n from tx_probe where tx = ${tx}`.execute(trx);
              if (tx % 3 === 0) throw new Error('roll back');
              return rows[0]?.n;
            });
          } catch (err) {
            if ((err as Error).message === 'roll back') return 'rolled back';
            throw err;
          }
        }),
      );
      expect(results.filter((r) => r === 4)).toHaveLength(16);
      expect(results.filter((r) => r === 'rolled back')).toHaveLength(8);
      const per = await sql<{ tx: number; n: number }>`select tx, count(*)::int as n from tx_probe group by tx order by tx`.execute(client.db);
      expect(per.rows.map((r) => r.tx)).toEqual(Array.from({ length: 24 }, (_, i) => i).filter((i) => i % 3 !== 0));
      expect(per.rows.every((r) => r.n === 4)).toBe(true);

      // The owner leaves; the client's next query takes the folder over and sees everything committed.
      await owner.close();
      closed = owner;
      const after = await sql<{ n: number }>`select count(*)::int as n from tx_probe`.execute(client.db);
      expect(after.rows[0]?.n).toBe(64);
      expect(await readOwnerLock(ownerLockPath(dbDir))).toMatchObject({ pid: process.pid });
    } finally {
      if (!closed) await owner.close();
      await client.close();
    }
  }, 180_000);

  it('names the owner and the fix (EVALGATE_ERR_DB_LOCKED) when a live owner does not answer', async () => {
    const dir = await tempDir();
    const dbDir = join(dir, 'db');
    await mkdir(dbDir, { recursive: true });
    // A live process that holds the lock but serves nothing (a hung owner).
    const sleeper = spawn('sleep', ['30']);
    try {
      const lock = { pid: sleeper.pid, host: hostname(), startedAt: new Date().toISOString(), socketPath: ownerSocketPath(dbDir) };
      await writeFile(ownerLockPath(dbDir), JSON.stringify(lock));
      const err = (await openStore({ pgliteDir: dbDir, ownerWaitMs: 300 }).then(
        () => undefined,
        (e: unknown) => e,
      )) as { code?: string; message?: string };
      expect(err.code).toBe('EVALGATE_ERR_DB_LOCKED');
      expect(err.message).toContain(`pid ${sleeper.pid} on ${hostname()}`);
      expect(err.message).toContain(ownerLockPath(dbDir));
      expect(err.message).toContain('DATABASE_URL');
    } finally {
      sleeper.kill('SIGKILL');
    }
  });
});
