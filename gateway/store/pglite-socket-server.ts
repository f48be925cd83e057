import { createServer, type Server, type Socket } from 'node:net';
import type { PGlite } from '@electric-sql/pglite';

// Serves one PGlite instance to many `pg` connections over a unix socket.
//
// Why not @electric-sql/pglite-socket's server: its queue hands PGlite one
// protocol message at a time and switches connections between any two of
// them unless an explicit transaction is open. A client's extended-query
// batch (Parse, Bind, Execute, Sync) that arrives in more than one socket
// read (any statement over ~64 KB, such as a 1000-row insert) can then have
// another connection's Parse land between its Parse and its Bind: measured
// with 4 pools and 300 mixed statements, 74 failed with "bind message
// supplies 1000 parameters, but prepared statement "" requires 1", and a
// statement with a matching parameter count would have run the wrong SQL.
//
// Here a connection's messages are collected until a point where the backend
// answers ReadyForQuery (Sync, simple Query) or a copy ends, and each such
// group runs whole; while a connection has a transaction open, only its
// groups run, and a connection that leaves in the middle of one is rolled
// back before anyone else runs. A connection that sits idle inside its
// transaction for longer than `idleInTransactionTimeoutMs` (a client stopped
// by SIGSTOP or a debugger, or one that forgot to commit) would block every
// other process, /healthz included: it is dropped as PostgreSQL's
// idle_in_transaction_session_timeout drops it (FATAL 25P03), and rolled back.

const SSL_REQUEST = 80877103;
const GSSENC_REQUEST = 80877104;
const CANCEL_REQUEST = 80877102;
/** Sync, Query, CopyDone, CopyFail: after these the backend is at a group boundary. */
const GROUP_ENDS: ReadonlySet<number> = new Set(['S', 'Q', 'c', 'f'].map((c) => c.charCodeAt(0)));
const TERMINATE = 'X'.charCodeAt(0);
/** A message longer than this is a broken or hostile client, not a statement. */
const MAX_MESSAGE_BYTES = 256 * 1024 * 1024;
/** Default of {@link PgliteSocketServerOptions.idleInTransactionTimeoutMs}. */
export const DEFAULT_IDLE_IN_TRANSACTION_TIMEOUT_MS = 60_000;

/** Options of {@link PgliteSocketServer}. */
export interface PgliteSocketServerOptions {
  /**
   * How long a connection may sit idle (sending nothing) inside an open
   * transaction before it is dropped and its transaction rolled back, ms;
   * 0 never drops it. Default 60 s.
   */
  readonly idleInTransactionTimeoutMs?: number;
}

interface Conn {
  readonly socket: Socket;
  buf: Buffer;
  started: boolean;
  pending: Uint8Array[];
  closed: boolean;
}

interface Job {
  readonly conn: Conn;
  readonly messages: readonly Uint8Array[];
}

/** A unix-socket server for one PGlite instance; see the file comment for its scheduling. */
export class PgliteSocketServer {
  readonly #db: PGlite;
  readonly #path: string;
  #server: Server | undefined;
  readonly #conns = new Set<Conn>();
  #jobs: Job[] = [];
  /** The connection whose transaction is open: only its groups may run. */
  #txOwner: Conn | undefined;
  #pumping: Promise<void> | undefined;
  readonly #idleTimeoutMs: number;
  /** Armed while the transaction's owner is idle (nothing of it queued or running). */
  #idleTimer: NodeJS.Timeout | undefined;

  constructor(db: PGlite, path: string, opts: PgliteSocketServerOptions = {}) {
    this.#db = db;
    this.#path = path;
    this.#idleTimeoutMs = opts.idleInTransactionTimeoutMs ?? DEFAULT_IDLE_IN_TRANSACTION_TIMEOUT_MS;
  }

  /** Listens on the socket path (which must not exist). */
  async start(): Promise<void> {
    const server = createServer((socket) => this.#accept(socket));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.#path, () => {
        server.off('error', reject);
        resolve();
      });
    });
    this.#server = server;
  }

  /** Stops listening, drops every connection (open transactions roll back) and waits for the running group. */
  async stop(): Promise<void> {
    const server = this.#server;
    this.#server = undefined;
    this.#disarmIdle();
    for (const c of this.#conns) c.socket.destroy();
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
    await this.#pumping;
    await this.#rollbackIfOrphaned();
  }

  #accept(socket: Socket): void {
    const conn: Conn = { socket, buf: Buffer.alloc(0), started: false, pending: [], closed: false };
    this.#conns.add(conn);
    socket.on('data', (chunk: Buffer) => this.#onData(conn, chunk));
    socket.on('error', () => socket.destroy());
    socket.on('close', () => {
      conn.closed = true;
      this.#conns.delete(conn);
      this.#jobs = this.#jobs.filter((j) => j.conn !== conn);
      this.#pump();
    });
  }

  #onData(conn: Conn, chunk: Buffer): void {
    // Bytes from the idle owner: not idle (a large statement may take several reads).
    if (this.#idleTimer && conn === this.#txOwner) this.#armIdle(conn);
    conn.buf = conn.buf.length ? Buffer.concat([conn.buf, chunk]) : chunk;
    for (;;) {
      if (!conn.started) {
        // Startup phase: length-prefixed messages without a type byte.
        if (conn.buf.length < 8) break;
        const len = conn.buf.readInt32BE(0);
        const code = conn.buf.readInt32BE(4);
        if (len < 8 || len > MAX_MESSAGE_BYTES) return void conn.socket.destroy();
        if (conn.buf.length < len) break;
        const msg = conn.buf.subarray(0, len);
        conn.buf = conn.buf.subarray(len);
        if (code === SSL_REQUEST || code === GSSENC_REQUEST) conn.socket.write('N');
        else if (code === CANCEL_REQUEST)
          return void conn.socket.end(); // nothing to signal: one backend, in-process
        else {
          conn.started = true;
          this.#jobs.push({ conn, messages: [new Uint8Array(msg)] });
        }
        continue;
      }
      if (conn.buf.length < 5) break;
      const len = conn.buf.readInt32BE(1) + 1;
      if (len < 5 || len > MAX_MESSAGE_BYTES) return void conn.socket.destroy();
      if (conn.buf.length < len) break;
      const type = conn.buf.readUInt8(0);
      const msg = new Uint8Array(conn.buf.subarray(0, len));
      conn.buf = conn.buf.subarray(len);
      if (type === TERMINATE) return void conn.socket.end();
      conn.pending.push(msg);
      if (GROUP_ENDS.has(type)) {
        if (conn === this.#txOwner) this.#disarmIdle();
        this.#jobs.push({ conn, messages: conn.pending });
        conn.pending = [];
      }
    }
    this.#pump();
  }

  #next(): Job | undefined {
    const owner = this.#txOwner;
    if (owner && !owner.closed) {
      const i = this.#jobs.findIndex((j) => j.conn === owner);
      return i === -1 ? undefined : this.#jobs.splice(i, 1)[0];
    }
    return this.#jobs.shift();
  }

  #pump(): void {
    this.#pumping ??= (async () => {
      try {
        for (;;) {
          await this.#rollbackIfOrphaned();
          const job = this.#next();
          if (!job) break;
          await this.#run(job);
        }
      } finally {
        this.#pumping = undefined;
      }
    })();
  }

  async #run(job: Job): Promise<void> {
    const { conn } = job;
    if (conn.closed) return;
    this.#disarmIdle();
    try {
      await this.#db.runExclusive(async () => {
        for (const m of job.messages) {
          await this.#db.execProtocolRawStream(m, {
            onRawData: (data) => {
              if (!conn.closed && conn.socket.writable) conn.socket.write(data);
            },
          });
        }
      });
    } catch {
      // SQL errors come back as ErrorResponse messages; a throw here means the
      // protocol state of this connection is unknown: drop it.
      conn.socket.destroy();
    }
    this.#txOwner = this.#db.isInTransaction() ? conn : undefined;
    // Its next group may already be queued: the pump runs it next and disarms again.
    if (this.#txOwner && !conn.closed) this.#armIdle(conn);
  }

  #armIdle(conn: Conn): void {
    this.#disarmIdle();
    if (this.#idleTimeoutMs <= 0) return;
    this.#idleTimer = setTimeout(() => {
      this.#idleTimer = undefined;
      if (this.#txOwner !== conn || conn.closed) return;
      // As PostgreSQL does: a FATAL error the client can report, then the
      // connection goes; its 'close' rolls the transaction back and lets the others run.
      if (conn.socket.writable) conn.socket.write(idleTimeoutError());
      conn.socket.destroy();
    }, this.#idleTimeoutMs);
    // A stalled client must not keep the process alive on its own.
    this.#idleTimer.unref();
  }

  #disarmIdle(): void {
    clearTimeout(this.#idleTimer);
    this.#idleTimer = undefined;
  }

  /** A connection that left with its transaction open must not leave it to the next one. */
  async #rollbackIfOrphaned(): Promise<void> {
    const owner = this.#txOwner;
    if (!owner?.closed) return;
    this.#txOwner = undefined;
    if (!this.#db.closed && this.#db.isInTransaction()) await this.#db.exec('ROLLBACK');
  }
}

/** ErrorResponse FATAL 25P03, as PostgreSQL sends it before dropping an idle-in-transaction session. */
function idleTimeoutError(): Buffer {
  const fields = Buffer.from('SFATAL\0VFATAL\0C25P03\0Mterminating connection due to idle-in-transaction timeout\0\0', 'utf8');
  const head = Buffer.alloc(5);
  head.write('E', 0, 'latin1');
  head.writeInt32BE(fields.length + 4, 1);
  return Buffer.concat([head, fields]);
}
