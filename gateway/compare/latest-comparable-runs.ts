import type { Kysely } from 'kysely';
import type { Database } from '../store/database.js';
import type { CompletedRunRow } from '../store/run-outcome-repo.js';
import { countTaskSamples, listRunSampleSets } from '../store/run-sample-set-repo.js';
import { conditionModelLabel } from './answer-condition.js';
import { boardScorerOf } from './board-criteria.js';
import { derivedTasks } from '../../scorers/tasks/index.js';

/** The runs a dataset's boards are built from. */
export interface DatasetRuns<R extends CompletedRunRow = CompletedRunRow> {
  /** Dataset name. */
  readonly dataset: string;
  /** Samples the dataset defines on the task. */
  readonly datasetSampleCount: number;
  /** The dataset's current manifest digest. */
  readonly currentDigest: string;
  /** The runs chosen, latest finished first. */
  readonly rows: readonly R[];
}

/**
 * Per dataset (sorted by name), the runs its boards rank: each model's latest
 * completed run among runs comparable with each other (same recorded digest,
 * same sample set, same scoring), so a model's quick `--limit` run does not
 * push its full run off the main board. With `allowMixed`: each model's
 * latest completed run, whatever it is comparable with. `rows` come latest
 * finished first (listCompletedRuns' order).
 */
export async function latestComparableRuns<R extends CompletedRunRow>(
  db: Kysely<Database>,
  task: string,
  rows: readonly R[],
  allowMixed: boolean,
): Promise<DatasetRuns<R>[]> {
  const sets = allowMixed
    ? new Map()
    : await listRunSampleSets(
        db,
        rows.map((r) => r.id),
      );
  const counts = await datasetSampleCounts(db, task, rows);
  const byDataset = new Map<string, R[]>();
  for (const r of rows) byDataset.set(r.dataset_name, [...(byDataset.get(r.dataset_name) ?? []), r]);
  return [...byDataset.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([dataset, dsRows]) => {
      const latest = new Map<string, R>();
      for (const r of dsRows) {
        const scorer = allowMixed
          ? null
          : boardScorerOf(task, { normalizer: r.normalizer, scoring: (r.config.scorer ?? {}) as Record<string, unknown>, judge: r.config.judge });
        // The same grouping as runComparability's key, from the run row and the database's digest of its sample set.
        const group = allowMixed
          ? ''
          : JSON.stringify([r.dataset_digest, sets.get(r.id)?.digest ?? 'none', scorer!.versions, scorer!.unit ?? null, scorer!.options]);
        // A model answering in text and in speech is two entries (answer-condition.ts).
        const k = `${conditionModelLabel(r.model_id, r.config)}\u0000${group}`;
        if (!latest.has(k)) latest.set(k, r);
      }
      const first = dsRows[0]!;
      return { dataset, datasetSampleCount: counts.get(first.dataset_id) ?? 0, currentDigest: first.dataset_manifest_digest, rows: [...latest.values()] };
    });
}

/**
 * Samples each dataset defines for the boards' sample totals. A judged run
 * (`judge-score`, `judge-pair`) judges another run's answers: its samples are
 * the source task's (`config.sourceTask`), never samples of the judge task
 * itself, which no manifest defines ("samples N of 0" otherwise).
 */
async function datasetSampleCounts(db: Kysely<Database>, task: string, rows: readonly CompletedRunRow[]): Promise<Map<string, number>> {
  if (!Object.hasOwn(derivedTasks, task)) return countTaskSamples(db, [...new Set(rows.map((r) => r.dataset_id))], task);
  const bySourceTask = new Map<string, Set<string>>();
  for (const r of rows) {
    const source = (r.config as { sourceTask?: unknown }).sourceTask;
    if (typeof source !== 'string') continue;
    bySourceTask.set(source, (bySourceTask.get(source) ?? new Set()).add(r.dataset_id));
  }
  const out = new Map<string, number>();
  for (const [source, ids] of bySourceTask) for (const [id, n] of await countTaskSamples(db, [...ids], source)) out.set(id, n);
  return out;
}
