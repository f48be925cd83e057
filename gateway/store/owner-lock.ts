import { randomBytes } from 'node:crypto';
import { link, readFile, unlink, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { pidAlive } from '../pid-alive.js';

// The lock that makes one process the owner of an embedded database folder.
// PGlite is a single-process database: two processes that each open the folder
// overwrite each other's files, and whatever the first to close wrote is lost.

/** What the lock file says about its holder. */
export interface OwnerLockInfo {
  /** Process id of the owner. */
  readonly pid: number;
  /** Host name of the owner's machine (a pid means nothing on another host). */
  readonly host: string;
  /** When the owner took the lock, ISO 8601. */
  readonly startedAt: string;
  /** Unix socket the owner serves the database on. */
  readonly socketPath: string;
  /** Random per process: a restarted container often gets the same pid (1) on the same host as the one killed. */
  readonly token?: string;
}

/** This process's token (see {@link OwnerLockInfo.token}). */
const processToken = randomBytes(8).toString('hex');

/** The outcome of {@link tryAcquireOwnerLock}. */
export type AcquireResult =
  { readonly acquired: true; readonly info: OwnerLockInfo } | { readonly acquired: false; readonly holder: OwnerLockInfo | undefined; readonly stale: boolean };

/** The lock file of a data folder. */
export function ownerLockPath(dataDir: string): string {
  return join(dataDir, 'evalgate-owner.lock');
}

/** Reads the lock; undefined when there is none or it cannot be parsed. */
export async function readOwnerLock(lockPath: string): Promise<OwnerLockInfo | undefined> {
  let text: string;
  try {
    text = await readFile(lockPath, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  try {
    const v = JSON.parse(text) as Partial<OwnerLockInfo>;
    if (typeof v.pid === 'number' && typeof v.host === 'string' && typeof v.socketPath === 'string') {
      return {
        pid: v.pid,
        host: v.host,
        startedAt: String(v.startedAt ?? ''),
        socketPath: v.socketPath,
        ...(typeof v.token === 'string' ? { token: v.token } : {}),
      };
    }
  } catch {
    // fall through: an unparsable lock is reported as held by an unknown owner
  }
  return undefined;
}

/**
 * A holder on this host whose pid no longer exists left the lock behind
 * (kill -9, power loss); so did one with our own pid but another token (an
 * earlier life of a restarted container, where the pid is 1 again).
 */
export function isStale(holder: OwnerLockInfo): boolean {
  if (holder.host !== hostname()) return false;
  return holder.pid === process.pid ? holder.token !== processToken : !pidAlive(holder.pid);
}

/**
 * Takes the lock if nobody holds it, or if its holder is dead on this host.
 * The lock is written complete to a private file and then hard-linked into
 * place: link(2) fails with EEXIST like O_EXCL, and no reader ever sees a
 * half-written lock. Breaking a stale lock is itself guarded by a second
 * lock (`<lock>.takeover`, taken the same way), so of several processes that
 * find the same stale lock only one removes it, and nobody can remove the
 * fresh lock the winner has just written.
 */
export async function tryAcquireOwnerLock(lockPath: string, socketPath: string): Promise<AcquireResult> {
  const info: OwnerLockInfo = { pid: process.pid, host: hostname(), startedAt: new Date().toISOString(), socketPath, token: processToken };
  const tmp = `${lockPath}.${process.pid}.${randomBytes(4).toString('hex')}`;
  await writeFile(tmp, `${JSON.stringify(info)}\n`, { flag: 'wx' });
  try {
    for (let attempt = 0; attempt < 3; attempt++) {
      if (await linkExclusive(tmp, lockPath)) return { acquired: true, info };
      const holder = await readOwnerLock(lockPath);
      if (!holder || !isStale(holder)) return { acquired: false, holder, stale: false };
      await breakStaleLock(lockPath, holder, tmp);
    }
    const holder = await readOwnerLock(lockPath);
    return { acquired: false, holder, stale: holder ? isStale(holder) : false };
  } finally {
    await unlink(tmp).catch(() => undefined);
  }
}

/** link(2) that reports EEXIST as false. */
async function linkExclusive(from: string, to: string): Promise<boolean> {
  try {
    await link(from, to);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw err;
  }
}

/** Removes `holder`'s stale lock, unless another process is already doing so. */
async function breakStaleLock(lockPath: string, holder: OwnerLockInfo, ourInfoFile: string): Promise<void> {
  const guard = `${lockPath}.takeover`;
  if (!(await linkExclusive(ourInfoFile, guard))) {
    // Someone else is breaking it; if that someone died doing so, clear the guard for the next try.
    const other = await readOwnerLock(guard);
    if (other && isStale(other)) await unlink(guard).catch(() => undefined);
    return;
  }
  try {
    const now = await readOwnerLock(lockPath);
    if (now && now.pid === holder.pid && now.host === holder.host && now.startedAt === holder.startedAt) await unlink(lockPath).catch(() => undefined);
  } finally {
    await unlink(guard).catch(() => undefined);
  }
}

/** Removes the lock if it is still ours. */
export async function releaseOwnerLock(lockPath: string): Promise<void> {
  const holder = await readOwnerLock(lockPath).catch(() => undefined);
  if (holder && holder.pid === process.pid && holder.host === hostname() && holder.token === processToken) await unlink(lockPath).catch(() => undefined);
}
