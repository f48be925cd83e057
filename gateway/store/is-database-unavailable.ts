/**
 * Whether an error means "the database is not reachable right now" (an
 * outage worth a 503 and a retry) rather than a bad query or a bug. The HTTP
 * error handler, the batch runner and the live journal share this one
 * classification so that they agree on what an outage is.
 */

/** Socket-level failures from node:net / pg while connecting or mid-query. */
const networkCodes = new Set(['ECONNREFUSED', 'ECONNRESET', 'ECONNABORTED', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN']);

/**
 * SQLSTATEs of a server that is going away or not yet accepting work:
 * 57P01 admin_shutdown, 57P02 crash_shutdown, 57P03 cannot_connect_now,
 * 53300 too_many_connections; class 08 (connection exceptions) is matched by prefix.
 */
const sqlStates = new Set(['57P01', '57P02', '57P03', '53300']);

/** Messages pg, pg-pool and PGlite throw without a code. */
const messagePatterns: readonly RegExp[] = [
  /^Connection terminated/i, // pg client: "Connection terminated", "... unexpectedly", "... due to connection timeout"
  /timeout exceeded when trying to connect/i, // pg-pool connectionTimeoutMillis
  /Client has encountered a connection error and is not queryable/i,
  /Client was closed and is not queryable/i,
  /Cannot use a pool after calling end on the pool/i,
  /^PGlite is clos(ed|ing)/i,
  /^driver has already been destroyed/i, // kysely after store.close(): the gateway is shutting down
];

function one(err: unknown): boolean {
  if (!err || typeof err !== 'object') return false;
  const e = err as { code?: unknown; message?: unknown; syscall?: unknown };
  if (e.code === 'EVALGATE_ERR_DB_UNAVAILABLE') return true;
  // A unix socket that is gone (the embedded database's owner stopped); ENOENT elsewhere is a file error.
  if (e.code === 'ENOENT' && e.syscall === 'connect') return true;
  if (typeof e.code === 'string') {
    if (networkCodes.has(e.code) || sqlStates.has(e.code)) return true;
    if (/^08[0-9A-Z]{3}$/.test(e.code)) return true;
  }
  return typeof e.message === 'string' && messagePatterns.some((p) => p.test(e.message as string));
}

/**
 * True when `err` (or anything in its `cause` chain, or any member of an
 * AggregateError, as Node's happy-eyeballs connect throws) is a database
 * outage. Bounded walk: a cyclic cause chain cannot hang it.
 */
export function isDatabaseUnavailable(err: unknown): boolean {
  const queue: unknown[] = [err];
  for (let seen = 0; queue.length > 0 && seen < 32; seen++) {
    const cur = queue.shift();
    if (one(cur)) return true;
    if (cur && typeof cur === 'object') {
      const c = cur as { cause?: unknown; errors?: unknown };
      if (c.cause !== undefined) queue.push(c.cause);
      if (Array.isArray(c.errors)) queue.push(...(c.errors as unknown[]));
    }
  }
  return false;
}
