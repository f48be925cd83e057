import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { afterAll, describe, expect, it } from 'vitest';
import { openStore } from '../../gateway/store/open-store.js';
import { ownerLockPath, readOwnerLock } from '../../gateway/store/owner-lock.js';
import { ownerSocketPath } from '../../gateway/store/pglite-owner.js';
import { spawnCli } from '../helpers/run-cli.js';
import { pgliteProject, startServe } from '../helpers/serve-process.js';

// kill -9 of the process that owns the embedded database: its lock and socket
// stay behind. The next process must see the lock as stale (dead pid on this
// host), take the folder over, and find every committed row; a transaction
// that was open at the kill must be gone.

let dir: string | undefined;
afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('chaos: kill -9 of the embedded database owner', () => {
  it('leaves a stale lock that the next process takes over, with all committed data and no uncommitted data', async () => {
    dir = await mkdtemp(join(tmpdir(), 'eg-kill-'));
    const { config, manifest, dbDir } = await pgliteProject(dir);
    const serve = await startServe(config, ['--no-auth']);
    let client: Awaited<ReturnType<typeof openStore>> | undefined;
    try {
      // Committed through the owner by another process (the CLI)…
      const imp = await spawnCli(['-c', config, 'datasets', 'import', 'manifest', manifest, '--name', 'before-kill', '--json']);
      expect(imp.code).toBe(0);
      // …and by this process as a client, plus one transaction left open at the kill.
      client = await openStore({ pgliteDir: dbDir });
      await sql`insert into audit_log (action, subject) values ('probe', 'committed')`.execute(client.db);
      const open = await client.db.connection().execute(async (conn) => {
        await sql`begin`.execute(conn);
        await sql`insert into audit_log (action, subject) values ('probe', 'uncommitted')`.execute(conn);
        serve.child.kill('SIGKILL');
        return serve.exited;
      });
      expect(open).toBe('SIGKILL');
      // The kill left its lock and socket behind.
      expect(await readOwnerLock(ownerLockPath(dbDir))).toMatchObject({ pid: serve.child.pid, host: hostname() });
      expect(existsSync(ownerSocketPath(dbDir))).toBe(true);

      // The client's next query takes the stale lock over and reopens the folder.
      const rows = await client.db.selectFrom('audit_log').select('subject').where('action', '=', 'probe').orderBy('id').execute();
      expect(rows.map((r) => r.subject)).toEqual(['committed']);
      expect(await readOwnerLock(ownerLockPath(dbDir))).toMatchObject({ pid: process.pid, host: hostname() });

      // A fresh process connects to the new owner and sees what the CLI committed before the kill.
      const list = await spawnCli(['-c', config, 'datasets', 'list', '--json']);
      expect([list.code, list.stderr]).toEqual([0, '']);
      expect(list.stdout).toContain('before-kill');
    } finally {
      serve.child.kill('SIGKILL');
      await serve.exited;
      await client?.close();
    }
    expect(await readOwnerLock(ownerLockPath(dbDir))).toBeUndefined();
  }, 180_000);
});
