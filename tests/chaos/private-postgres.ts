import { execFile } from 'node:child_process';
import { chmod, chown, mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { readdirSync, existsSync } from 'node:fs';
import pg from 'pg';

const run = promisify(execFile);

/**
 * A PostgreSQL server that one chaos test owns: `initdb` in a temporary folder, its own port,
 * started and stopped with `pg_ctl`. Chaos tests stop and restart this one; they never touch
 * the machine's shared server on 5432.
 */
export interface PrivatePostgres {
  /** `postgres://postgres@127.0.0.1:PORT/postgres`. */
  readonly url: string;
  readonly port: number;
  /** Stops the server (fast shutdown: open connections are cut, as in an outage). */
  stop(): Promise<void>;
  /** Kills the postmaster with SIGKILL (a crash, not a shutdown). */
  crash(): Promise<void>;
  /** Starts it again on the same port and data folder; resolves once it accepts connections. */
  start(): Promise<void>;
  /** Stops it and removes its folder. */
  dispose(): Promise<void>;
}

/** The folder holding initdb/pg_ctl: PG_BIN, else the newest /usr/lib/postgresql/N/bin. */
export function postgresBinDir(): string {
  if (process.env.PG_BIN) return process.env.PG_BIN;
  const root = '/usr/lib/postgresql';
  const versions = existsSync(root) ? readdirSync(root).filter((v) => /^\d+$/.test(v)) : [];
  versions.sort((a, b) => Number(b) - Number(a));
  if (!versions[0]) throw new Error('No PostgreSQL server binaries found under /usr/lib/postgresql (set PG_BIN)');
  return join(root, versions[0], 'bin');
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      srv.close(() => (typeof addr === 'object' && addr ? resolve(addr.port) : reject(new Error('no port'))));
    });
  });
}

/** initdb refuses to run as root: run the server tools as the `postgres` user when we are root. */
function asServerUser(bin: string, args: string[]): [string, string[]] {
  return process.getuid?.() === 0 ? ['runuser', ['-u', 'postgres', '--', bin, ...args]] : [bin, args];
}

async function tool(name: string, args: string[]): Promise<void> {
  const [cmd, argv] = asServerUser(join(postgresBinDir(), name), args);
  await run(cmd, argv, { timeout: 60_000 });
}

async function waitReady(url: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const c = new pg.Client({ connectionString: url, connectionTimeoutMillis: 1000 });
    try {
      await c.connect();
      await c.query('select 1');
      await c.end();
      return;
    } catch (err) {
      await c.end().catch(() => undefined);
      if (Date.now() > deadline) throw err;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

/** initdb + start. Takes about 2–4 s on the 2-core machines. */
export async function startPrivatePostgres(): Promise<PrivatePostgres> {
  const root = await mkdtemp(join(tmpdir(), 'evalgate-chaos-pg-'));
  const data = join(root, 'data');
  if (process.getuid?.() === 0) {
    await chmod(root, 0o755);
    const { stdout } = await run('id', ['-u', 'postgres']);
    const { stdout: gid } = await run('id', ['-g', 'postgres']);
    await chown(root, Number(stdout.trim()), Number(gid.trim()));
  }
  await tool('initdb', ['-D', data, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--no-sync']);
  const port = await freePort();
  const url = `postgres://postgres@127.0.0.1:${port}/postgres`;
  const log = join(root, 'server.log');
  // No unix socket (the shared server owns /var/run/postgresql); TCP on our own port only.
  const opts = `-p ${port} -k '' -c listen_addresses=127.0.0.1 -c max_connections=50 -c fsync=off`;
  let pid: number | undefined;
  const start = async (): Promise<void> => {
    await tool('pg_ctl', ['-D', data, '-l', log, '-o', opts, '-w', '-t', '30', 'start']);
    await waitReady(url, 30_000);
    const c = new pg.Client({ connectionString: url });
    await c.connect();
    const { rows } = await c.query<{ pid: number }>("select pid from pg_stat_activity where backend_type = 'checkpointer'");
    await c.end();
    // The postmaster is the checkpointer's parent; read it from /proc to crash it on demand.
    const checkpointer = rows[0]?.pid;
    pid = undefined;
    if (checkpointer) {
      const { stdout } = await run('ps', ['-o', 'ppid=', '-p', String(checkpointer)]);
      pid = Number(stdout.trim()) || undefined;
    }
  };
  const stop = async (): Promise<void> => {
    await tool('pg_ctl', ['-D', data, '-m', 'fast', '-w', '-t', '30', 'stop']).catch(() => undefined);
  };
  await start();
  return {
    url,
    port,
    stop,
    start,
    crash: async () => {
      if (pid) process.kill(pid, 'SIGKILL');
      // Backends notice the dead postmaster and exit on their own; wait until the port is free.
      await new Promise((r) => setTimeout(r, 500));
      await rm(join(data, 'postmaster.pid'), { force: true });
    },
    dispose: async () => {
      await stop();
      await rm(root, { recursive: true, force: true });
    },
  };
}
