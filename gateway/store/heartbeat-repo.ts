import { sql, type Kysely } from 'kysely';
import type { Database, Run } from './database.js';

// The one place that decides what a heartbeat is and when it is stale, for
// batch runs (`runs`) and live stream sessions (`stream_sessions`) alike:
// the stamp, the staleness condition (always with the database's clock, the
// one the stamps are written with, so two clocks are never mixed) and the
// reap statements. The timers live with their owners
// (gateway/runner/run-heartbeat.ts, gateway/live/session-heartbeat.ts).
// `heartbeat_host` / `heartbeat_pid` on `runs` are not in database.ts, hence
// raw SQL for them.

type Db = Kysely<Database>;

/** Default age of the last heartbeat after which a running run counts as stale, seconds (six missed beats). */
export const defaultStaleAfterS = 60;

/** Age of the last stamp after which an open or disconnected stream session counts as abandoned, seconds. */
export const staleSessionAfterS = 60;

/** Who stamps a run's heartbeat: its host name and process id. */
export interface HeartbeatHolder {
  /** Host name. */
  readonly host: string;
  /** Process id on that host. */
  readonly pid: number;
}

// ---- runs ----------------------------------------------------------------

/** The SQL condition "running, and no heartbeat for `staleAfterS` seconds" (runs from before heartbeats count from their start). */
function staleRunCondition(staleAfterS: number) {
  return sql<boolean>`status = 'running' and coalesce(heartbeat_at, started_at, created_at) < now() - make_interval(secs => ${staleAfterS})`;
}

/**
 * `stale` as a select expression on `runs`, computed with the database's
 * clock (the one heartbeats are stamped with), for listings.
 */
export function staleColumn(staleAfterS = defaultStaleAfterS) {
  return sql<boolean>`(${staleRunCondition(staleAfterS)})`.as('stale');
}

/** Running runs whose heartbeat is older than `staleAfterS` seconds, oldest first. */
export async function findStaleRuns(db: Db, staleAfterS = defaultStaleAfterS): Promise<Run[]> {
  return db
    .selectFrom('runs')
    .selectAll()
    .where(staleRunCondition(staleAfterS))
    .orderBy(sql`coalesce(heartbeat_at, started_at, created_at)`)
    .execute();
}

/**
 * Stamps the heartbeat of these runs now. Only runs still `running` are
 * stamped, or, with `holder`, runs whose heartbeat already names that holder:
 * a late beat must not name a process as holder of a run that has finished.
 * With `holder`, the stamp also records its host and pid.
 */
export async function beatRuns(db: Db, runIds: readonly string[], holder?: HeartbeatHolder): Promise<void> {
  if (runIds.length === 0) return;
  const stamp = holder ? sql`heartbeat_at = now(), heartbeat_host = ${holder.host}, heartbeat_pid = ${holder.pid}` : sql`heartbeat_at = now()`;
  const mine = holder ? sql`heartbeat_pid = ${holder.pid} and heartbeat_host = ${holder.host}` : sql`false`;
  await sql`update runs set ${stamp} where id in (${sql.join([...runIds])}) and (status = 'running' or ${mine})`.execute(db);
}

/** Forgets who holds a run (its heartbeat's host and pid): a final state frees it for the next takeover. */
export async function clearRunHolder(db: Db, runId: string): Promise<void> {
  await sql`update runs set heartbeat_host = null, heartbeat_pid = null where id = ${runId}`.execute(db);
}

/** Running runs whose heartbeat names a process of `host`: id and pid. */
export async function runningRunsOfHost(db: Db, host: string): Promise<{ id: string; pid: number }[]> {
  const { rows } = await sql<{ id: string; heartbeat_pid: number }>`
    select id, heartbeat_pid from runs where status = 'running' and heartbeat_host = ${host} and heartbeat_pid is not null`.execute(db);
  return rows.map((r) => ({ id: r.id, pid: r.heartbeat_pid }));
}

/** The runs with these ids (any order; unknown ids are left out). */
export async function runsByIds(db: Db, ids: readonly string[]): Promise<Run[]> {
  if (ids.length === 0) return [];
  return db
    .selectFrom('runs')
    .selectAll()
    .where('id', 'in', [...ids])
    .execute();
}

/** What {@link failAbandonedRun} writes. */
export interface AbandonedRunFailure {
  /** The run. */
  readonly runId: string;
  /**
   * Still abandoned when the update runs: `{ deadHolder }` (its heartbeat
   * still names that process of this host), or `{ staleAfterS }` (still
   * running with a heartbeat older than that).
   */
  readonly still: { readonly deadHolder: HeartbeatHolder } | { readonly staleAfterS: number };
  /** Stored as `runs.summary` (status `failed` is set by this function). */
  readonly summary: Record<string, unknown>;
  /** Audit entry written with it (`run.finished`). */
  readonly audit: { readonly actor: string; readonly details: Record<string, unknown> };
}

/**
 * Marks an abandoned run `failed` (finished now, with `summary`), frees it
 * (see {@link clearRunHolder}) and writes its `run.finished` audit entry, in
 * one transaction. The update re-checks `still` in the database, so a run
 * that beat again since it was listed is left alone. Returns whether the run
 * was failed.
 */
export async function failAbandonedRun(db: Db, f: AbandonedRunFailure): Promise<boolean> {
  const still =
    'deadHolder' in f.still
      ? sql<boolean>`status = 'running' and heartbeat_pid = ${f.still.deadHolder.pid} and heartbeat_host = ${f.still.deadHolder.host}`
      : staleRunCondition(f.still.staleAfterS);
  return db.transaction().execute(async (trx) => {
    const row = await trx
      .updateTable('runs')
      .set({ status: 'failed', finished_at: new Date(), summary: JSON.stringify(f.summary) })
      .where('id', '=', f.runId)
      .where(still)
      .returning('id')
      .executeTakeFirst();
    if (!row) return false;
    await clearRunHolder(trx, f.runId);
    await trx
      .insertInto('audit_log')
      .values({ actor: f.audit.actor, action: 'run.finished', subject: f.runId, details: JSON.stringify(f.audit.details) })
      .execute();
    return true;
  });
}

// ---- stream sessions -----------------------------------------------------

/** The SQL condition "open or disconnected, and not stamped for `staleAfterS` seconds" on `table` (an alias). */
function staleSessionCondition(staleAfterS: number, table = 'stream_sessions') {
  const col = (name: string) => sql.ref(`${table}.${name}`);
  return sql<boolean>`${col('status')} in ('open', 'disconnected') and ${col('heartbeat_at')} < now() - make_interval(secs => ${staleAfterS})`;
}

/** `stale` as a select expression for session listings (the database's clock decides); `table` is the alias in the query. */
export function staleSessionColumn(table = 'stream_sessions', staleAfterS = staleSessionAfterS) {
  return sql<boolean>`(${staleSessionCondition(staleAfterS, table)})`.as('stale');
}

/** Stamps these stream sessions now. */
export async function beatSessions(db: Db, ids: readonly string[]): Promise<void> {
  if (ids.length === 0) return;
  await db
    .updateTable('stream_sessions')
    .set({ heartbeat_at: sql<Date>`now()` })
    .where('id', 'in', ids)
    .execute();
}

/** Marks abandoned stream sessions failed (ended now); returns their ids. */
export async function reapStaleSessions(db: Db, staleAfterS = staleSessionAfterS): Promise<string[]> {
  const rows = await db
    .updateTable('stream_sessions')
    .set({ status: 'failed', ended_at: sql<Date>`now()` })
    .where(staleSessionCondition(staleAfterS))
    .returning('id')
    .execute();
  return rows.map((r) => r.id);
}
