import { sql, type Kysely } from 'kysely';
import type { Database, NewRun, Run, RunStatus } from './database.js';
import { EvalgateError } from '../errors.js';
import { clearRunHolder, staleColumn } from './heartbeat-repo.js';

// Runs in the store (their models: model-repo.ts), with the audit entries that
// go with their creation and their end. Every write is idempotent so that a
// run can be killed at any instant and resumed.

type Db = Kysely<Database>;

/** The newest run with this configuration hash, if any. */
export async function findRunByConfigHash(db: Db, configHash: string): Promise<Run | undefined> {
  return db.selectFrom('runs').selectAll().where('config_hash', '=', configHash).orderBy('created_at', 'desc').limit(1).executeTakeFirst();
}

/** Shortest run id prefix accepted wherever a run id is. */
export const minRunIdPrefix = 8;

/** How many candidates an ambiguous prefix's error names. */
const maxCandidatesNamed = 5;

/** Ids of runs starting with `prefix` (at most `limit`), oldest first. */
async function runIdsWithPrefix(db: Db, prefix: string, limit: number): Promise<string[]> {
  // starts_with, not LIKE: a prefix is matched as text, with no wildcard to escape.
  const rows = await db
    .selectFrom('runs')
    .select('id')
    .where(sql<boolean>`starts_with(id, ${prefix})`)
    .orderBy('created_at')
    .orderBy('id')
    .limit(limit)
    .execute();
  return rows.map((r) => r.id);
}

/**
 * The one run id resolver: every command and route that takes a run id passes
 * it through here. A full id is taken as it is; otherwise a prefix of at least
 * 8 characters names the one run whose id starts with it. Throws
 * EVALGATE_ERR_BAD_INPUT for a shorter prefix or one that matches several runs
 * (naming them), EVALGATE_ERR_NOT_FOUND when nothing matches.
 */
export async function resolveRunId(db: Db, idOrPrefix: string): Promise<string> {
  const id = idOrPrefix.trim();
  const exact = await db.selectFrom('runs').select('id').where('id', '=', id).executeTakeFirst();
  if (exact) return exact.id;
  if (id.length < minRunIdPrefix) {
    throw new EvalgateError('EVALGATE_ERR_BAD_INPUT', {
      detail: `run id "${id}" is shorter than ${minRunIdPrefix} characters: give the full id or a prefix of at least ${minRunIdPrefix} (see \`evalgate runs list\`)`,
    });
  }
  const ids = await runIdsWithPrefix(db, id, maxCandidatesNamed + 1);
  if (ids.length === 0) throw new EvalgateError('EVALGATE_ERR_NOT_FOUND', { what: 'Run', id });
  if (ids.length > 1) {
    const named = ids.slice(0, maxCandidatesNamed).join(', ');
    const more = ids.length > maxCandidatesNamed ? ' and more' : '';
    throw new EvalgateError('EVALGATE_ERR_BAD_INPUT', {
      detail: `run id prefix "${id}" is ambiguous: it matches ${named}${more}; give more characters`,
    });
  }
  return ids[0]!;
}

/** {@link resolveRunId} for each id, in order (two spellings of one run resolve to the same id). */
export async function resolveRunIds(db: Db, idsOrPrefixes: readonly string[]): Promise<string[]> {
  const out: string[] = [];
  for (const id of idsOrPrefixes) out.push(await resolveRunId(db, id));
  return out;
}

/**
 * One run by id or by a prefix of at least 8 characters; undefined when no run
 * matches (a shorter prefix matches nothing). Throws EVALGATE_ERR_BAD_INPUT,
 * naming the candidates, when a prefix matches several runs.
 */
export async function getRun(db: Db, id: string): Promise<Run | undefined> {
  const exact = await db.selectFrom('runs').selectAll().where('id', '=', id).executeTakeFirst();
  if (exact || id.length < minRunIdPrefix) return exact;
  let resolved: string;
  try {
    resolved = await resolveRunId(db, id);
  } catch (err) {
    if (err instanceof EvalgateError && err.code === 'EVALGATE_ERR_NOT_FOUND') return undefined;
    throw err;
  }
  return db.selectFrom('runs').selectAll().where('id', '=', resolved).executeTakeFirst();
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
