import { sql, type Kysely } from 'kysely';
import type { Database, Run } from '../store/database.js';
import { runCounts, runScopeSize } from './run-repo.js';

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
  #beating: Promise<void> | undefined;

  constructor(db: Db, everyMs = heartbeatIntervalMs) {
    this.#db = db;
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
    this.#beating = this.#db
      .updateTable('runs')
      .set({ heartbeat_at: sql<Date>`now()` })
      .where('id', 'in', ids)
      .execute()
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

/**
 * Marks stale runs `failed` with an "interrupted" error and their counts, and
 * writes each one's `run.finished` audit entry. Each update re-checks the
 * staleness in the database, so a run that beat again after it was listed is
 * left alone. `evalgate run --resume ID` continues a reaped run.
 */
export async function reapStaleRuns(db: Db, opts: { staleAfterS?: number; dryRun?: boolean } = {}): Promise<ReapedRun[]> {
  const staleAfterS = opts.staleAfterS ?? defaultStaleAfterS;
  const reaped: ReapedRun[] = [];
  for (const run of await findStaleRuns(db, staleAfterS)) {
    const cfg = run.config as { dataset?: { id: string }; task?: string; limit?: number };
    const scope = cfg.dataset && cfg.task ? await runScopeSize(db, { datasetId: cfg.dataset.id, task: cfg.task, limit: cfg.limit }) : undefined;
    const counts = await runCounts(db, run.id, scope);
    const lastSeen = new Date(run.heartbeat_at ?? run.started_at ?? run.created_at);
    const entry = { runId: run.id, modelId: run.model_id, task: run.task, lastSeen, ok: counts.ok, pending: counts.pending };
    if (opts.dryRun) {
      reaped.push(entry);
      continue;
    }
    const error = `interrupted: no heartbeat since ${lastSeen.toISOString()} (the process running it was killed or lost); continue it with evalgate run --resume ${run.id}`;
    const done = await db.transaction().execute(async (trx) => {
      const row = await trx
        .updateTable('runs')
        .set({ status: 'failed', finished_at: new Date(), summary: JSON.stringify({ status: 'failed', error, counts }) })
        .where('id', '=', run.id)
        .where(staleCondition(staleAfterS))
        .returning('id')
        .executeTakeFirst();
      if (!row) return false;
      await trx
        .insertInto('audit_log')
        .values({
          actor: 'runs reap',
          action: 'run.finished',
          subject: run.id,
          details: JSON.stringify({ status: 'failed', reason: 'stale', lastSeen: lastSeen.toISOString(), counts, modelId: run.model_id, task: run.task }),
        })
        .execute();
      return true;
    });
    if (done) reaped.push(entry);
  }
  return reaped;
}
