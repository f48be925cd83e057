import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { sql, type Kysely } from 'kysely';
import { EvalgateError } from '../errors.js';
import type { Database } from '../store/database.js';
import { defaultStaleAfterS } from './run-heartbeat.js';
import { pidAlive } from '../pid-alive.js';

// Who executes a run, and which samples each executor is calling the model
// for (issue 13 #11). The heartbeat row names the host and pid holding the
// run, so a second `run --resume` is refused while it is fresh; a claim row
// per in-flight sample (insert … on conflict, which PostgreSQL and PGlite
// both run atomically) keeps two executors from calling the model for the
// same sample. Raw SQL: these columns are this file's concern only.

type Db = Kysely<Database>;

/** This process: host, pid, and a random part so two executions in one process differ. */
export interface Executor {
  readonly id: string;
  readonly host: string;
  readonly pid: number;
}

/** A new executor identity for this process. */
export function newExecutor(): Executor {
  const host = hostname();
  return { id: `${host}:${process.pid}:${randomBytes(4).toString('hex')}`, host, pid: process.pid };
}

/**
 * Takes over a run for `executor`, atomically: it succeeds when nobody holds
 * the run (not `running`, and no executor named by the heartbeat: a final
 * state clears it, see finishRun), when its heartbeat is older than
 * `staleAfterS`, or when the
 * process named by the heartbeat is this one, or ran on this host and is gone
 * (a kill -9 seen from the same machine need not wait a minute). Otherwise it refuses with
 * EVALGATE_ERR_CONFLICT naming the host and pid that hold the run. On success
 * the heartbeat is stamped with this executor, and claims left by earlier
 * (dead) executors are dropped.
 */
export async function takeOverRun(db: Db, runId: string, executor: Executor, staleAfterS = defaultStaleAfterS): Promise<void> {
  const stamp = sql`heartbeat_at = now(), heartbeat_host = ${executor.host}, heartbeat_pid = ${executor.pid}`;
  const took = await sql<{ id: string }>`
    update runs set ${stamp}
    where id = ${runId}
      and not ((status = 'running' or heartbeat_pid is not null)
               and coalesce(heartbeat_at, started_at, created_at) >= now() - make_interval(secs => ${staleAfterS}))
    returning id`.execute(db);
  if (took.rows.length === 0) {
    const { rows } = await sql<{ heartbeat_host: string | null; heartbeat_pid: number | null; age_s: number | string | null }>`
      select heartbeat_host, heartbeat_pid, extract(epoch from now() - coalesce(heartbeat_at, started_at, created_at)) as age_s
      from runs where id = ${runId}`.execute(db);
    const holder = rows[0];
    // This very process (claims still keep its executions apart), or a process of this host that is gone.
    const here = holder?.heartbeat_host === executor.host && holder.heartbeat_pid != null;
    const free = here && (holder.heartbeat_pid === executor.pid || !pidAlive(holder.heartbeat_pid!));
    if (!free) {
      const who = holder?.heartbeat_host ? `pid ${holder.heartbeat_pid ?? '?'} on host ${holder.heartbeat_host}` : 'another process (host unknown)';
      const age = holder?.age_s != null ? `${Math.max(0, Math.round(Number(holder.age_s)))} s ago` : 'recently';
      throw new EvalgateError('EVALGATE_ERR_CONFLICT', {
        detail:
          `run ${runId} is being executed by ${who} (last heartbeat ${age}); ` +
          `wait for it to finish, or stop it; a run whose heartbeat is older than ${staleAfterS} s can be resumed (or reaped with evalgate runs reap)`,
      });
    }
    await sql`update runs set ${stamp} where id = ${runId}`.execute(db);
  }
  // Claims of executors that are gone: stale ones (no refresh for staleAfterS), and those of a
  // process of this host that no longer runs (a kill -9; its claims are still fresh). A live
  // executor's claims keep its samples its own.
  const { rows } = await sql<{ executor: string }>`select distinct executor from run_claims where run_id = ${runId} and executor <> ${executor.id}`.execute(db);
  const dead = rows.map((r) => r.executor).filter((id) => executorGone(id, executor.host));
  await sql`delete from run_claims where run_id = ${runId} and executor <> ${executor.id}
    and (claimed_at < now() - make_interval(secs => ${staleAfterS})${dead.length ? sql` or executor in (${sql.join(dead)})` : sql``})`.execute(db);
}

/** Whether an executor id (`host:pid:random`, see newExecutor) names a process of `host` that no longer runs. */
function executorGone(id: string, host: string): boolean {
  const m = /^(.*):(\d+):[0-9a-f]+$/.exec(id);
  if (!m || m[1] !== host) return false;
  const pid = Number(m[2]);
  return pid !== process.pid && !pidAlive(pid);
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
