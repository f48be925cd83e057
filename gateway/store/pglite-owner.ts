import { createHash } from 'node:crypto';
import { chmod, lstat, mkdir, unlink } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import type { PGlite } from '@electric-sql/pglite';
import type { PostgresPool, PostgresPoolClient } from 'kysely';
import type pg from 'pg';
import { EvalgateError } from '../errors.js';
import { PgliteSocketServer } from './pglite-socket-server.js';
import { ownerLockPath, releaseOwnerLock, tryAcquireOwnerLock, type OwnerLockInfo } from './owner-lock.js';

// One process owns an embedded (PGlite) data folder; every process, the owner
// included, talks to it with the ordinary `pg` driver over a unix socket that
// the owner serves (pglite-socket-server.ts). The owner goes through the
// socket too because the server's scheduling is what keeps a transaction's
// statements together: while one connection has a transaction open, only its
// statements run. An in-process query would bypass that and could land inside
// another client's transaction.
//
// When the owner stops (or is killed), clients' next connection attempt finds
// no socket; the first of them takes over the lock, opens the folder and
// serves it on the same path, and the others connect to it.

/** pg connects to `<host>/.s.PGSQL.<port>` when host is a folder. */
const SOCKET_PORT = 5432;
/** sun_path is 108 bytes on Linux, including the terminating NUL. */
const MAX_SOCKET_PATH = 100;

/** Options of {@link openSharedPglite}. */
export interface SharedPgliteOptions {
  /** Connections this process keeps to the owner. */
  readonly poolSize: number;
  /** How long to wait for an owner that is starting (or to take over from one that stopped) before EVALGATE_ERR_DB_LOCKED. */
  readonly ownerWaitMs: number;
  /** pg type parsers, so results look as they do from PostgreSQL. */
  readonly types: pg.CustomTypesConfig;
  /** As the owner: how long a connection may sit idle in a transaction before it is dropped (default 60 s; see PgliteSocketServer). */
  readonly idleInTransactionTimeoutMs?: number;
}

/** A pool to the folder's owner, and the ownership (if this process holds it). */
export interface SharedPglite {
  /** A kysely pool: connects to the owner, taking over when the owner is gone. */
  readonly pool: PostgresPool;
  /** Whether this process owns the folder now. */
  isOwner(): boolean;
  /** Ends the pool; the owner also stops serving, closes the folder and removes its lock. */
  close(): Promise<void>;
}

/** Where the owner of `dataDir` serves it: in the folder, or under the temp folder when that path is too long for a socket. */
export function ownerSocketPath(dataDir: string): string {
  const inFolder = join(dataDir, `.s.PGSQL.${SOCKET_PORT}`);
  if (Buffer.byteLength(inFolder) <= MAX_SOCKET_PATH) return inFolder;
  const id = createHash('sha256').update(dataDir).digest('hex').slice(0, 16);
  return join(tmpdir(), `evalgate-db-${id}`, `.s.PGSQL.${SOCKET_PORT}`);
}

/**
 * The fallback socket folder under the temp folder has a predictable name:
 * another user who made it first could swap the socket for one of their own
 * and serve a fake database. It must be a real folder of ours, closed to others.
 */
async function assertPrivateFolder(folder: string, dataDir: string): Promise<void> {
  const st = await lstat(folder);
  const uid = process.getuid?.();
  if (!st.isDirectory() || (uid !== undefined && st.uid !== uid)) {
    throw new EvalgateError('EVALGATE_ERR_DB_LOCKED', {
      dir: dataDir,
      owner: `the socket folder ${folder}`,
      detail: 'it is not a folder of this user; remove it, or use a shorter database path',
    });
  }
  if ((st.mode & 0o077) !== 0) await chmod(folder, 0o700);
}

function describeOwner(holder: OwnerLockInfo | undefined, lockPath: string): string {
  return holder ? `pid ${holder.pid} on ${holder.host} (since ${holder.startedAt})` : `an unknown process (unreadable lock file ${lockPath})`;
}

function lockedError(dataDir: string, holder: OwnerLockInfo | undefined, lockPath: string, waitedMs: number): EvalgateError {
  const fix =
    holder && holder.host !== hostname()
      ? `the lock was taken on another host; stop evalgate there, or delete ${lockPath} if that process is gone`
      : `its socket ${holder?.socketPath ?? ''} did not answer within ${waitedMs} ms; stop that process (or wait for it to finish), ` +
        `delete ${lockPath} if it is not evalgate, or set DATABASE_URL to use PostgreSQL`;
  return new EvalgateError('EVALGATE_ERR_DB_LOCKED', { dir: dataDir, owner: describeOwner(holder, lockPath), detail: fix });
}

/** Connection errors that mean "no owner is serving the socket" (not a query error). */
function ownerGone(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'ENOENT' || code === 'ECONNREFUSED' || code === 'ECONNRESET' || code === 'EPIPE') return true;
  const msg = (err as Error).message ?? '';
  return /Connection terminated|Connection ended/i.test(msg);
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

interface Owned {
  readonly pglite: PGlite;
  readonly server: PgliteSocketServer;
}

/**
 * Opens the embedded database at `dataDir` for this process: as its owner
 * when no live process holds the lock, otherwise as a client of the owner.
 */
export async function openSharedPglite(dataDir: string, opts: SharedPgliteOptions): Promise<SharedPglite> {
  const lockPath = ownerLockPath(dataDir);
  const socketPath = ownerSocketPath(dataDir);
  const pgModule = (await import('pg')).default;
  let owned: Owned | undefined;
  let closed = false;
  let ensuring: Promise<OwnerLockInfo | undefined> | undefined;

  const becomeOwner = async (): Promise<void> => {
    // We hold the lock, so a socket file left here belongs to a dead owner.
    // The socket has no authentication (PGlite trusts every connection): only
    // this user may reach it, by the folder's and the socket's own modes.
    await mkdir(join(socketPath, '..'), { recursive: true, mode: 0o700 });
    if (resolve(dirname(socketPath)) !== resolve(dataDir)) await assertPrivateFolder(dirname(socketPath), dataDir);
    await unlink(socketPath).catch(() => undefined);
    const { PGlite } = await import('@electric-sql/pglite');
    let pglite: PGlite | undefined;
    try {
      pglite = await PGlite.create(dataDir);
      const server = new PgliteSocketServer(pglite, socketPath, { idleInTransactionTimeoutMs: opts.idleInTransactionTimeoutMs });
      await server.start();
      await chmod(socketPath, 0o600);
      owned = { pglite, server };
    } catch (err) {
      if (pglite && !pglite.closed) await pglite.close().catch(() => undefined);
      await releaseOwnerLock(lockPath);
      throw new EvalgateError('EVALGATE_ERR_DB_UNAVAILABLE', { detail: `embedded database at ${dataDir}: ${(err as Error).message}` }, { cause: err });
    }
  };

  /** Takes the lock and starts serving if nobody (alive) holds it; returns the holder otherwise. */
  const ensureOwner = (): Promise<OwnerLockInfo | undefined> => {
    ensuring ??= (async () => {
      try {
        if (owned || closed) return undefined;
        const r = await tryAcquireOwnerLock(lockPath, socketPath);
        if (r.acquired) {
          await becomeOwner();
          return undefined;
        }
        return r.holder;
      } finally {
        ensuring = undefined;
      }
    })();
    return ensuring;
  };

  const pool = new pgModule.Pool({
    host: join(socketPath, '..'),
    port: SOCKET_PORT,
    user: 'postgres',
    database: 'postgres',
    max: opts.poolSize,
    types: opts.types,
  });
  // An owner that stops or dies drops our idle connections; the pool discards
  // them and the next connect() takes over or finds the new owner.
  pool.on('error', () => undefined);

  const guarded = new WeakSet<pg.PoolClient>();
  const connect = async (): Promise<PostgresPoolClient> => {
    const started = Date.now();
    let lastError: unknown;
    for (let attempt = 0; ; attempt++) {
      if (closed) throw new EvalgateError('EVALGATE_ERR_DB_UNAVAILABLE', { detail: `embedded database at ${dataDir} is closed` });
      try {
        const client = await pool.connect();
        // A checked-out client whose owner dies emits 'error'; the query in
        // flight rejects on its own, and unheard, the event would crash the process.
        if (!guarded.has(client)) {
          guarded.add(client);
          client.on('error', () => undefined);
        }
        return client as unknown as PostgresPoolClient;
      } catch (err) {
        if (!ownerGone(err)) throw err;
        lastError = err;
      }
      const holder = await ensureOwner();
      const waited = Date.now() - started;
      if (owned) {
        // Our own socket refuses us: something is wrong with it; do not spin.
        if (waited >= opts.ownerWaitMs) {
          throw new EvalgateError(
            'EVALGATE_ERR_DB_UNAVAILABLE',
            { detail: `embedded database at ${dataDir}: ${(lastError as Error).message}` },
            { cause: lastError },
          );
        }
        await sleep(50);
        continue;
      }
      if (waited >= opts.ownerWaitMs || (holder && holder.host !== hostname())) throw lockedError(dataDir, holder, lockPath, waited);
      // The owner is starting (PGlite takes seconds to open) or just stopped.
      await sleep(Math.min(50 * 2 ** attempt, 500));
    }
  };

  let ended: Promise<void> | undefined;
  const end = (): Promise<void> => (ended ??= pool.end().catch(() => undefined));
  await ensureOwner();
  return {
    pool: { connect, end },
    isOwner: () => owned !== undefined,
    close: async () => {
      if (closed) return;
      closed = true;
      await ensuring?.catch(() => undefined);
      await end();
      const o = owned;
      owned = undefined;
      if (!o) return;
      await o.server.stop();
      if (!o.pglite.closed) await o.pglite.close();
      await unlink(socketPath).catch(() => undefined);
      await releaseOwnerLock(lockPath);
    },
  };
}
