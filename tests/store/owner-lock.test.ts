import { spawn } from 'node:child_process';
import { mkdtemp, readdir, rm, symlink, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { ownerLockPath, readOwnerLock, releaseOwnerLock, tryAcquireOwnerLock } from '../../gateway/store/owner-lock.js';
import { openStore } from '../../gateway/store/open-store.js';
import { ownerSocketPath } from '../../gateway/store/pglite-owner.js';

// The lock that makes one process the owner of an embedded database folder.

const dirs: string[] = [];
async function tempDir(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), 'eg-lock-'));
  dirs.push(d);
  return d;
}
afterAll(async () => {
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
});

/** The pid of a process that has exited (and been reaped). */
async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ['-e', '']);
  await new Promise((r) => child.on('exit', r));
  return child.pid!;
}

const lockModule = fileURLToPath(new URL('../../dist/gateway/store/owner-lock.js', import.meta.url));

describe('owner lock', () => {
  it('is taken once, refused to others while its holder lives, and released only by its holder', async () => {
    const dir = await tempDir();
    const lock = ownerLockPath(dir);
    const first = await tryAcquireOwnerLock(lock, '/s');
    expect(first).toMatchObject({ acquired: true, info: { pid: process.pid, host: hostname(), socketPath: '/s' } });
    // Held by a live process (this one): not stale, not taken.
    expect(await tryAcquireOwnerLock(lock, '/s')).toMatchObject({ acquired: false, stale: false, holder: { pid: process.pid } });
    await releaseOwnerLock(lock);
    expect(await readOwnerLock(lock)).toBeUndefined();
    // Only the temporary files of the protocol's own making ever appear, and none stay.
    expect(await readdir(dir)).toEqual([]);
  });

  it('takes over a lock left by a dead pid on this host, but not one from another host', async () => {
    const dir = await tempDir();
    const lock = ownerLockPath(dir);
    const pid = await deadPid();
    await writeFile(lock, JSON.stringify({ pid, host: hostname(), startedAt: 'x', socketPath: '/old' }));
    expect(await tryAcquireOwnerLock(lock, '/new')).toMatchObject({ acquired: true, info: { pid: process.pid, socketPath: '/new' } });
    await releaseOwnerLock(lock);

    await writeFile(lock, JSON.stringify({ pid, host: `not-${hostname()}`, startedAt: 'x', socketPath: '/old' }));
    expect(await tryAcquireOwnerLock(lock, '/new')).toMatchObject({ acquired: false, holder: { host: `not-${hostname()}` } });
    expect(await readdir(dir)).toEqual(['evalgate-owner.lock']);
  });

  it('takes over a lock that names our own pid but another process life (a restarted container is pid 1 again)', async () => {
    const dir = await tempDir();
    const lock = ownerLockPath(dir);
    await writeFile(lock, JSON.stringify({ pid: process.pid, host: hostname(), startedAt: 'x', socketPath: '/old', token: 'earlier-life' }));
    expect(await tryAcquireOwnerLock(lock, '/new')).toMatchObject({ acquired: true, info: { pid: process.pid, socketPath: '/new' } });
    // Our own lock, written in this life, is still ours and not stale.
    expect(await tryAcquireOwnerLock(lock, '/new')).toMatchObject({ acquired: false, stale: false });
    await releaseOwnerLock(lock);
  });

  it('lets exactly one of several processes racing for a stale lock take it', async () => {
    const dir = await tempDir();
    const lock = ownerLockPath(dir);
    await writeFile(lock, JSON.stringify({ pid: await deadPid(), host: hostname(), startedAt: 'x', socketPath: '/old' }));
    // Each racer prints whether it got the lock, then stays alive long enough for
    // the slower racers to see a live holder rather than a second stale lock.
    const script = `import(${JSON.stringify(lockModule)}).then(async (m) => { const r = await m.tryAcquireOwnerLock(${JSON.stringify(lock)}, '/s'); console.log(r.acquired); setTimeout(() => {}, 4000); })`;
    const racers = Array.from({ length: 5 }, () => {
      const child = spawn(process.execPath, ['-e', script]);
      let out = '';
      child.stdout.on('data', (d: Buffer) => (out += d.toString()));
      return new Promise<string>((resolve) => child.on('exit', () => resolve(out.trim())));
    });
    const results = await Promise.all(racers);
    expect(results.filter((r) => r === 'true')).toHaveLength(1);
    expect(results.filter((r) => r === 'false')).toHaveLength(4);
  }, 30_000);

  it('puts the socket in the folder, or under the temp folder when the path is too long for a socket name', () => {
    expect(ownerSocketPath('/data/db')).toBe('/data/db/.s.PGSQL.5432');
    const long = `/data/${'x'.repeat(120)}/db`;
    const p = ownerSocketPath(long);
    expect(p.startsWith(tmpdir())).toBe(true);
    expect(Buffer.byteLength(p)).toBeLessThan(108);
    expect(ownerSocketPath(long)).toBe(p);
  });

  it('refuses a fallback socket folder that is not a real folder of this user (someone could serve a fake database there)', async () => {
    const base = await tempDir();
    const dataDir = join(base, 'y'.repeat(110), 'db');
    const folder = dirname(ownerSocketPath(dataDir));
    expect(folder.startsWith(tmpdir())).toBe(true);
    // Planted before us: a link to a folder of the planter's choosing.
    const planted = await tempDir();
    await rm(folder, { recursive: true, force: true });
    await symlink(planted, folder);
    dirs.push(folder);
    await expect(openStore({ pgliteDir: dataDir, ownerWaitMs: 2_000 })).rejects.toMatchObject({
      code: 'EVALGATE_ERR_DB_LOCKED',
      message: expect.stringContaining('not a folder of this user') as unknown,
    });
    expect(await readdir(planted)).toEqual([]);
  });
});
