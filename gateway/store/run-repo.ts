import { sql, type Kysely } from 'kysely';
import type { Database, NewRun, Run, RunStatus } from './database.js';
import { clearRunHolder, staleColumn } from './heartbeat-repo.js';

// Runs in the store (their models: model-repo.ts), with the audit entries that
// go with their creation and their end. Every write is idempotent so that a
// run can be killed at any instant and resumed.

type Db = Kysely<Database>;

/** The newest run with this configuration hash, if any. */
export async function findRunByConfigHash(db: Db, configHash: string): Promise<Run | undefined> {
  return db.selectFrom('runs').selectAll().where('config_hash', '=', configHash).orderBy('created_at', 'desc').limit(1).executeTakeFirst();
}

/** One run by id (or a unique id prefix of at least 8 characters). */
export async function getRun(db: Db, id: string): Promise<Run | undefined> {
  const exact = await db.selectFrom('runs').selectAll().where('id', '=', id).executeTakeFirst();
  if (exact || id.length < 8) return exact;
  const byPrefix = await db
    .selectFrom('runs')
    .selectAll()
    .where('id', 'like', `${id.replace(/[%_]/g, '')}%`)
    .limit(2)
    .execute();
  return byPrefix.length === 1 ? byPrefix[0] : undefined;
}

/** Who writes the runner's audit entries. */
const auditActor = 'runner';

/**
 * Creates a run row and its `run.created` audit entry, in one transaction: the
 * audit log is append-only, and the leaderboard's freeze relies on every run
 * staying visible there.
 */
export async function createRun(db: Db, run: NewRun): Promise<Run> {
  return db.transaction().execute(async (trx) => {
    const row = await trx.insertInto('runs').values(run).returningAll().executeTakeFirstOrThrow();
    await trx
      .insertInto('audit_log')
      .values({
        actor: auditActor,
        action: 'run.created',
        subject: row.id,
        details: JSON.stringify({ modelId: row.model_id, task: row.task, datasetId: row.dataset_id, configHash: row.config_hash }),
      })
      .execute();
    return row;
  });
}

/**
 * Replaces a run's stored configuration (`runs.config`); with `normalizer`
 * (a name, or null for none), `runs.normalizer` too.
 */
export async function updateRunConfig(db: Db, runId: string, config: object, opts: { normalizer?: string | null } = {}): Promise<void> {
  await db
    .updateTable('runs')
    .set({ config: JSON.stringify(config), ...(opts.normalizer !== undefined ? { normalizer: opts.normalizer } : {}) })
    .where('id', '=', runId)
    .execute();
}

/** Replaces a run's warnings. */
export async function setRunWarnings(db: Db, runId: string, warnings: readonly string[]): Promise<void> {
  await db
    .updateTable('runs')
    .set({ warnings: JSON.stringify(warnings) })
    .where('id', '=', runId)
    .execute();
}

/** Marks a run as running (again). */
export async function markRunRunning(db: Db, runId: string, warnings: readonly string[]): Promise<void> {
  await db
    .updateTable('runs')
    // The database's clock, like the heartbeats, so staleness never mixes two clocks.
    .set({ status: 'running', started_at: sql<Date>`now()`, heartbeat_at: sql<Date>`now()`, finished_at: null, warnings: JSON.stringify(warnings) })
    .where('id', '=', runId)
    .execute();
}

const finishedStatuses: ReadonlySet<RunStatus> = new Set<RunStatus>(['completed', 'failed', 'cancelled']);

/**
 * Stores the status and summary. When the status is final (completed, failed,
 * cancelled) a `run.finished` audit entry with the status, the summary's
 * counts, the model and the task is written in the same transaction.
 */
export async function finishRun(db: Db, runId: string, status: RunStatus, summary: Record<string, unknown>): Promise<void> {
  await db.transaction().execute(async (trx) => {
    // Locked, so that two executors finishing one run at once write one run.finished entry (issue 13 #11).
    const before = await trx.selectFrom('runs').select('status').where('id', '=', runId).forUpdate().executeTakeFirst();
    const row = await trx
      .updateTable('runs')
      .set({ status, summary: JSON.stringify(summary), finished_at: new Date() })
      .where('id', '=', runId)
      .returning(['model_id', 'task'])
      .executeTakeFirst();
    if (!row || !finishedStatuses.has(status)) return;
    // A final state frees the run: the next `run --resume` may take it over at once (gateway/runner/run-claims.ts).
    await clearRunHolder(trx, runId);
    if (before?.status === status) return;
    await trx
      .insertInto('audit_log')
      .values({
        actor: auditActor,
        action: 'run.finished',
        subject: runId,
        details: JSON.stringify({ status, counts: summary.counts ?? null, modelId: row.model_id, task: row.task }),
      })
      .execute();
  });
}

/** Runs, newest first, each with whether its heartbeat is stale. */
export async function listRuns(db: Db, opts: { limit?: number; modelId?: string } = {}): Promise<(Run & { stale: boolean })[]> {
  let q = db
    .selectFrom('runs')
    .selectAll()
    .select(staleColumn())
    .orderBy('created_at', 'desc')
    .limit(opts.limit ?? 50);
  if (opts.modelId) q = q.where('model_id', '=', opts.modelId);
  return q.execute();
}
