import { hostname } from 'node:os';
import type { Kysely } from 'kysely';
import type { Database } from '../store/database.js';
import { beatRuns, defaultStaleAfterS, failAbandonedRun, findStaleRuns, runningRunsOfHost, runsByIds } from '../store/heartbeat-repo.js';
import { runCounts } from '../store/prediction-repo.js';
import { refreshClaims } from '../store/run-claim-repo.js';
import { runScopeSize } from '../store/run-scope-repo.js';
import type { Executor } from './run-claims.js';
import { replaySpill } from './run-spill.js';
import { pidAlive } from '../pid-alive.js';

// A run's heartbeat: whoever executes its samples stamps `heartbeat_at`
// every few seconds. `running` alone cannot tell a busy run from one whose
// process was killed (kill -9, a lost machine); a heartbeat that stopped can.
// What counts as stale, the stamp and the reap statement are
// gateway/store/heartbeat-repo.ts; this file keeps the timer and the reaper.

type Db = Kysely<Database>;

/** How often executors stamp their runs, ms. */
export const heartbeatIntervalMs = 10_000;

/**
 * Stamps the runs it holds every {@link heartbeatIntervalMs}. `hold`/`release`
 * count, so a worker processing several samples of one run holds it once per
 * sample. The timer is unref'd: it never keeps a process alive.
 */
export class RunHeartbeat {
  readonly #db: Db;
  readonly #held = new Map<string, number>();
  readonly #timer: NodeJS.Timeout;
  readonly #executor: Executor | undefined;
  #beating: Promise<void> | undefined;

  /** With `executor`, each beat also names its host and pid, and keeps its sample claims fresh. */
  constructor(db: Db, everyMs = heartbeatIntervalMs, executor?: Executor) {
    this.#db = db;
    this.#executor = executor;
    this.#timer = setInterval(() => void this.beat(), everyMs);
    this.#timer.unref();
  }

  /** Starts stamping `runId` (at once, so a fresh hold is never stale). */
  hold(runId: string): void {
    const n = this.#held.get(runId) ?? 0;
    this.#held.set(runId, n + 1);
    if (n === 0) void this.beat();
  }

  /** Stops stamping `runId` once every hold is released. */
  release(runId: string): void {
    const n = (this.#held.get(runId) ?? 0) - 1;
    if (n > 0) this.#held.set(runId, n);
    else this.#held.delete(runId);
  }

  /** Stamps every held run now. Failures are ignored: a missed beat only makes a run look stale sooner. */
  beat(): Promise<void> {
    const ids = [...this.#held.keys()];
    if (ids.length === 0 || this.#beating) return this.#beating ?? Promise.resolve();
    const ex = this.#executor;
    this.#beating = beatRuns(this.#db, ids, ex)
      .then(() => (ex ? refreshClaims(this.#db, ex.id) : undefined))
      .then(
        () => undefined,
        () => undefined,
      )
      .finally(() => (this.#beating = undefined));
    return this.#beating;
  }

  /** Stops the timer (waiting for a beat in flight). */
  async stop(): Promise<void> {
    clearInterval(this.#timer);
    this.#held.clear();
    await this.#beating;
  }
}

/** One reaped run. */
export interface ReapedRun {
  readonly runId: string;
  readonly modelId: string;
  readonly task: string;
  /** Its last heartbeat (or start). */
  readonly lastSeen: Date;
  /** Samples with an `ok` prediction, and those left to do. */
  readonly ok: number;
  readonly pending: number;
}

/** Running runs whose heartbeat names a process on this host that no longer exists (killed), by id → pid. */
async function deadLocalRuns(db: Db): Promise<Map<string, number>> {
  const rows = await runningRunsOfHost(db, hostname());
  return new Map(rows.filter((r) => r.pid !== process.pid && !pidAlive(r.pid)).map((r) => [r.id, r.pid]));
}

/**
 * Marks stale runs `failed` with an "interrupted" error and their counts, and
 * writes each one's `run.finished` audit entry. Each update re-checks the
 * staleness in the database, so a run that beat again after it was listed is
 * left alone. A run whose heartbeat names a process of this host that is gone
 * counts as stale at once. With `spillDir`, the answers a run kept in its
 * spill file during a database outage are written first (and its counts
 * include them); a run that gave up on the database says so in its error.
 * `evalgate run --resume ID` continues a reaped run.
 */
export async function reapStaleRuns(db: Db, opts: { staleAfterS?: number; dryRun?: boolean; spillDir?: string } = {}): Promise<ReapedRun[]> {
  const staleAfterS = opts.staleAfterS ?? defaultStaleAfterS;
  const reaped: ReapedRun[] = [];
  const dead = await deadLocalRuns(db);
  const stale = await findStaleRuns(db, staleAfterS);
  const deadRuns = await runsByIds(db, [...dead.keys()]);
  const candidates = [...stale, ...deadRuns.filter((r) => !stale.some((s) => s.id === r.id))];
  for (const run of candidates) {
    const replay = opts.spillDir && !opts.dryRun ? await replaySpill(db, opts.spillDir, run.id) : undefined;
    const cfg = run.config as { dataset?: { id: string }; task?: string; limit?: number };
    const scope = cfg.dataset && cfg.task ? await runScopeSize(db, { datasetId: cfg.dataset.id, task: cfg.task, limit: cfg.limit }) : undefined;
    const counts = await runCounts(db, run.id, scope);
    const lastSeen = new Date(run.heartbeat_at ?? run.started_at ?? run.created_at);
    const entry = { runId: run.id, modelId: run.model_id, task: run.task, lastSeen, ok: counts.ok, pending: counts.pending };
    if (opts.dryRun) {
      reaped.push(entry);
      continue;
    }
    const deadPid = dead.get(run.id);
    const why = replay?.runFailed
      ? `gave up on the database: ${replay.runFailed}`
      : deadPid !== undefined
        ? `interrupted: process ${deadPid} on this host is gone (last heartbeat ${lastSeen.toISOString()})`
        : `interrupted: no heartbeat since ${lastSeen.toISOString()} (the process running it was killed or lost)`;
    const error = `${why}; continue it with evalgate run --resume ${run.id}`;
    const code = replay?.runFailed ? 'EVALGATE_ERR_DB_UNAVAILABLE' : undefined;
    const done = await failAbandonedRun(db, {
      runId: run.id,
      still: deadPid !== undefined ? { deadHolder: { host: hostname(), pid: deadPid } } : { staleAfterS },
      summary: { status: 'failed', error, ...(code ? { code } : {}), counts },
      audit: {
        actor: 'runs reap',
        details: {
          status: 'failed',
          reason: replay?.runFailed ? 'database' : 'stale',
          lastSeen: lastSeen.toISOString(),
          counts,
          modelId: run.model_id,
          task: run.task,
        },
      },
    });
    if (done) reaped.push(entry);
  }
  return reaped;
}
