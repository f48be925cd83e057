import { sql, type Kysely } from 'kysely';
import type { Database, SampleTask } from './database.js';

// What the leaderboard needs to tell runs' sample sets apart before it loads
// any prediction: per run, how many samples it was asked for and a digest of
// which (computed in the database, so no sample id leaves it), and how many
// samples a dataset defines on a task.

type Db = Kysely<Database>;

/** The samples one run was asked for (a prediction of any status per sample). */
export interface RunSampleSet {
  /** Run id. */
  readonly runId: string;
  /** How many samples. */
  readonly count: number;
  /** md5 of the sorted sample row ids: equal digests, equal sets. */
  readonly digest: string;
}

/** The sample set of each of these runs, in one grouped query; a run without predictions is absent. */
export async function listRunSampleSets(db: Db, runIds: readonly string[]): Promise<Map<string, RunSampleSet>> {
  if (runIds.length === 0) return new Map();
  const rows = await db
    .selectFrom('predictions')
    .select((eb) => [
      'run_id',
      eb.fn.countAll<number | string>().as('n'),
      sql<string>`md5(string_agg(${sql.ref('sample_id')}::text, ',' order by ${sql.ref('sample_id')}::text))`.as('digest'),
    ])
    .where('run_id', 'in', [...new Set(runIds)])
    .groupBy('run_id')
    .execute();
  // pg returns count() as a string, PGlite as a number.
  return new Map(rows.map((r) => [r.run_id, { runId: r.run_id, count: Number(r.n), digest: r.digest }]));
}

/** How many samples each dataset defines on `task`, in one grouped query. */
export async function countTaskSamples(db: Db, datasetIds: readonly string[], task: string): Promise<Map<string, number>> {
  if (datasetIds.length === 0) return new Map();
  const rows = await db
    .selectFrom('samples')
    .select((eb) => ['dataset_id', eb.fn.countAll<number | string>().as('n')])
    .where('dataset_id', 'in', [...new Set(datasetIds)])
    // Any string: a task the registry does not know simply counts no samples.
    .where('task', '=', task as SampleTask)
    .groupBy('dataset_id')
    .execute();
  return new Map(rows.map((r) => [r.dataset_id, Number(r.n)]));
}
