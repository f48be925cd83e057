import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { Kysely } from 'kysely';
import { EvalgateError } from '../errors.js';
import type { Database } from '../store/database.js';
import { defaultStaleAfterS } from '../store/heartbeat-repo.js';
import { dropClaimsOfOthers, otherClaimants, runHolder, stampRunHolder, takeRunIfFree } from '../store/run-claim-repo.js';
import { pidAlive } from '../pid-alive.js';

// Who executes a run, and which samples each executor is calling the model
// for (issue 13 #11). The heartbeat row names the host and pid holding the
// run, so a second `run --resume` is refused while it is fresh; a claim row
// per in-flight sample keeps two executors from calling the model for the
// same sample. The statements are gateway/store/run-claim-repo.ts; this file
// decides who may take a run over.

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
  if (!(await takeRunIfFree(db, runId, executor, staleAfterS))) {
    const holder = await runHolder(db, runId);
    // This very process (claims still keep its executions apart), or a process of this host that is gone.
    const here = holder?.host === executor.host && holder.pid != null;
    const free = here && (holder.pid === executor.pid || !pidAlive(holder.pid!));
    if (!free) {
      const who = holder?.host ? `pid ${holder.pid ?? '?'} on host ${holder.host}` : 'another process (host unknown)';
      const age = holder?.ageS != null ? `${Math.max(0, Math.round(holder.ageS))} s ago` : 'recently';
      throw new EvalgateError('EVALGATE_ERR_CONFLICT', {
        detail:
          `run ${runId} is being executed by ${who} (last heartbeat ${age}); ` +
          `wait for it to finish, or stop it; a run whose heartbeat is older than ${staleAfterS} s can be resumed (or reaped with evalgate runs reap)`,
      });
    }
    await stampRunHolder(db, runId, executor);
  }
  // Claims of executors that are gone: stale ones (no refresh for staleAfterS), and those of a
  // process of this host that no longer runs (a kill -9; its claims are still fresh). A live
  // executor's claims keep its samples its own.
  const dead = (await otherClaimants(db, runId, executor.id)).filter((id) => executorGone(id, executor.host));
  await dropClaimsOfOthers(db, runId, executor.id, dead, staleAfterS);
}

/** Whether an executor id (`host:pid:random`, see newExecutor) names a process of `host` that no longer runs. */
function executorGone(id: string, host: string): boolean {
  const m = /^(.*):(\d+):[0-9a-f]+$/.exec(id);
  if (!m || m[1] !== host) return false;
  const pid = Number(m[2]);
  return pid !== process.pid && !pidAlive(pid);
}
