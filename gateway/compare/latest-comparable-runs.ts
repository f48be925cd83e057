import type { Kysely } from 'kysely';
import type { Database } from '../store/database.js';
import type { CompletedRunRow } from '../store/run-outcome-repo.js';
import { countTaskSamples, listRunSampleSets } from '../store/run-sample-set-repo.js';
import { boardScorerOf } from './board-criteria.js';

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
  const counts = await countTaskSamples(db, [...new Set(rows.map((r) => r.dataset_id))], task);
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
        const k = `${r.model_id}\u0000${group}`;
        if (!latest.has(k)) latest.set(k, r);
      }
      const first = dsRows[0]!;
      return { dataset, datasetSampleCount: counts.get(first.dataset_id) ?? 0, currentDigest: first.dataset_manifest_digest, rows: [...latest.values()] };
    });
}
