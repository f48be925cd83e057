import { sql, type Kysely } from 'kysely';
import type { Database } from './database.js';
import { defaultStaleAfterS, type HeartbeatHolder } from './heartbeat-repo.js';

// Who holds a run (its heartbeat's host and pid) and which samples each
// executor is calling the model for (issue 13 #11). A claim row per in-flight
// sample (insert … on conflict, which PostgreSQL and PGlite both run
// atomically) keeps two executors from calling the model for the same
// sample. Raw SQL: `run_claims` and the holder columns are not in
// database.ts. The policy (who may take a run over) is
// gateway/runner/run-claims.ts.

type Db = Kysely<Database>;

/** The holder a run's heartbeat names, and how old that heartbeat is. */
export interface RunHolderRow {
  /** Host of the holder, when one is named. */
  readonly host: string | null;
  /** Its process id, when one is named. */
  readonly pid: number | null;
  /** Seconds since the last heartbeat (or start, or creation), by the database's clock. */
  readonly ageS: number | null;
}

/**
 * Stamps the run's heartbeat with `holder`, atomically, only when nobody
 * holds it: not `running` and no holder named, or a heartbeat older than
 * `staleAfterS`. Returns whether it did.
 */
export async function takeRunIfFree(db: Db, runId: string, holder: HeartbeatHolder, staleAfterS = defaultStaleAfterS): Promise<boolean> {
  const took = await sql<{ id: string }>`
    update runs set heartbeat_at = now(), heartbeat_host = ${holder.host}, heartbeat_pid = ${holder.pid}
    where id = ${runId}
      and not ((status = 'running' or heartbeat_pid is not null)
               and coalesce(heartbeat_at, started_at, created_at) >= now() - make_interval(secs => ${staleAfterS}))
    returning id`.execute(db);
  return took.rows.length > 0;
}

/** Stamps the run's heartbeat with `holder` whoever held it (after the caller decided the holder is gone). */
export async function stampRunHolder(db: Db, runId: string, holder: HeartbeatHolder): Promise<void> {
  await sql`update runs set heartbeat_at = now(), heartbeat_host = ${holder.host}, heartbeat_pid = ${holder.pid} where id = ${runId}`.execute(db);
}

/** Who the run's heartbeat names, or undefined for an unknown run. */
export async function runHolder(db: Db, runId: string): Promise<RunHolderRow | undefined> {
  const { rows } = await sql<{ heartbeat_host: string | null; heartbeat_pid: number | null; age_s: number | string | null }>`
    select heartbeat_host, heartbeat_pid, extract(epoch from now() - coalesce(heartbeat_at, started_at, created_at)) as age_s
    from runs where id = ${runId}`.execute(db);
  const r = rows[0];
  return r ? { host: r.heartbeat_host, pid: r.heartbeat_pid, ageS: r.age_s == null ? null : Number(r.age_s) } : undefined;
}

/** Executors other than `except` holding claims on the run. */
export async function otherClaimants(db: Db, runId: string, except: string): Promise<string[]> {
  const { rows } = await sql<{ executor: string }>`select distinct executor from run_claims where run_id = ${runId} and executor <> ${except}`.execute(db);
  return rows.map((r) => r.executor);
}

/**
 * Drops the run's claims of executors other than `keep` that are stale (not
 * refreshed for `staleAfterS` seconds) or named in `gone`.
 */
export async function dropClaimsOfOthers(db: Db, runId: string, keep: string, gone: readonly string[], staleAfterS = defaultStaleAfterS): Promise<void> {
  await sql`delete from run_claims where run_id = ${runId} and executor <> ${keep}
    and (claimed_at < now() - make_interval(secs => ${staleAfterS})${gone.length ? sql` or executor in (${sql.join([...gone])})` : sql``})`.execute(db);
}

/**
 * Claims one sample of a run for `executor` before its model call. Succeeds
 * (true) when nobody holds it, or the holder's claim is older than
 * `staleAfterS` (its executor stopped refreshing: killed), and the sample has
 * no `ok` prediction yet (another executor may have finished it since this
 * one listed its pending samples).
 */
export async function claimSample(db: Db, runId: string, sampleId: string, executor: string, staleAfterS = defaultStaleAfterS): Promise<boolean> {
  const { rows } = await sql<{ executor: string }>`
    insert into run_claims (run_id, sample_id, executor)
    select ${runId}, ${sampleId}, ${executor}
    where not exists (select 1 from predictions where run_id = ${runId} and sample_id = ${sampleId} and status = 'ok')
    on conflict (run_id, sample_id) do update set executor = excluded.executor, claimed_at = now()
      where run_claims.executor = excluded.executor or run_claims.claimed_at < now() - make_interval(secs => ${staleAfterS})
    returning executor`.execute(db);
  return rows.length > 0;
}

/** Releases one claim (after the sample's prediction is written). */
export async function releaseSample(db: Db, runId: string, sampleId: string, executor: string): Promise<void> {
  await sql`delete from run_claims where run_id = ${runId} and sample_id = ${sampleId} and executor = ${executor}`.execute(db);
}

/** Releases every claim of an executor (at the end of its execution). */
export async function releaseExecutor(db: Db, executor: string): Promise<void> {
  await sql`delete from run_claims where executor = ${executor}`.execute(db);
}

/** Keeps an executor's claims fresh (called with its heartbeat). */
export async function refreshClaims(db: Db, executor: string): Promise<void> {
  await sql`update run_claims set claimed_at = now() where executor = ${executor}`.execute(db);
}
