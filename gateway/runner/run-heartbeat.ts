import { hostname } from 'node:os';
import { sql, type Kysely } from 'kysely';
import type { Database, Run } from '../store/database.js';
import { refreshClaims, type Executor } from './run-claims.js';
import { runCounts, runScopeSize } from './run-repo.js';
import { replaySpill } from './run-spill.js';
import { pidAlive } from '../pid-alive.js';

// A run's heartbeat: whoever executes its samples stamps `heartbeat_at`
// every few seconds. `running` alone cannot tell a busy run from one whose
// process was killed (kill -9, a lost machine); a heartbeat that stopped can.

type Db = Kysely<Database>;

/** How often executors stamp their runs, ms. */
export const heartbeatIntervalMs = 10_000;

/** Default age of the last heartbeat after which a running run counts as stale, seconds (six missed beats). */
export const defaultStaleAfterS = 60;

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
    const stamp = ex ? sql`heartbeat_at = now(), heartbeat_host = ${ex.host}, heartbeat_pid = ${ex.pid}` : sql`heartbeat_at = now()`;
    // Only while running: a late beat must not name this process as holder of a run that has finished.
    this.#beating = sql`update runs set ${stamp} where id in (${sql.join(ids)}) and (status = 'running' or ${ex ? sql`heartbeat_pid = ${ex.pid} and heartbeat_host = ${ex.host}` : sql`false`})`
      .execute(this.#db)
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

/** The SQL condition "running, and no heartbeat for `staleAfterS` seconds" (runs from before heartbeats count from their start). */
function staleCondition(staleAfterS: number) {
  return sql<boolean>`status = 'running' and coalesce(heartbeat_at, started_at, created_at) < now() - make_interval(secs => ${staleAfterS})`;
}

/** Running runs whose heartbeat is older than `staleAfterS` seconds, oldest first. */
export async function findStaleRuns(db: Db, staleAfterS = defaultStaleAfterS): Promise<Run[]> {
  return db
    .selectFrom('runs')
    .selectAll()
    .where(staleCondition(staleAfterS))
    .orderBy(sql`coalesce(heartbeat_at, started_at, created_at)`)
    .execute();
}

/**
 * `stale` as a select expression, computed with the database's clock (the one
 * heartbeats are stamped with), for listings.
 */
export function staleColumn(staleAfterS = defaultStaleAfterS) {
  return sql<boolean>`(${staleCondition(staleAfterS)})`.as('stale');
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
  const { rows } = await sql<{ id: string; heartbeat_pid: number }>`
    select id, heartbeat_pid from runs where status = 'running' and heartbeat_host = ${hostname()} and heartbeat_pid is not null`.execute(db);
  return new Map(rows.filter((r) => r.heartbeat_pid !== process.pid && !pidAlive(r.heartbeat_pid)).map((r) => [r.id, r.heartbeat_pid]));
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
  const deadRuns = dead.size > 0 ? await db.selectFrom('runs').selectAll().where('id', 'in', [...dead.keys()]).execute() : [];
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
    const still = deadPid !== undefined ? sql<boolean>`status = 'running' and heartbeat_pid = ${deadPid} and heartbeat_host = ${hostname()}` : staleCondition(staleAfterS);
    const done = await db.transaction().execute(async (trx) => {
      const row = await trx
        .updateTable('runs')
        .set({ status: 'failed', finished_at: new Date(), summary: JSON.stringify({ status: 'failed', error, ...(code ? { code } : {}), counts }) })
        .where('id', '=', run.id)
        .where(still)
        .returning('id')
        .executeTakeFirst();
      if (!row) return false;
      await sql`update runs set heartbeat_host = null, heartbeat_pid = null where id = ${run.id}`.execute(trx);
      await trx
        .insertInto('audit_log')
        .values({
          actor: 'runs reap',
          action: 'run.finished',
          subject: run.id,
          details: JSON.stringify({ status: 'failed', reason: replay?.runFailed ? 'database' : 'stale', lastSeen: lastSeen.toISOString(), counts, modelId: run.model_id, task: run.task }),
        })
        .execute();
      return true;
    });
    if (done) reaped.push(entry);
  }
  return reaped;
}
