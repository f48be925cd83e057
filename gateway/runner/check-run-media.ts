import type { Kysely } from 'kysely';
import type { MediaProblem } from '../../datasets/prepare-dataset.js';
import { EvalgateError } from '../errors.js';
import type { Database, Dataset } from '../store/database.js';

/** Problems listed in the error message; all of them are on `problems`. */
const shownInMessage = 20;

/**
 * Refusal to start a run because some of its samples' media files are missing
 * or unreadable. Nothing was sent and no run was started or changed.
 */
export class RunMediaError extends EvalgateError {
  /** Every unusable file, by sample id (manifest id), path as written in the manifest, and problem. */
  readonly problems: readonly MediaProblem[];

  constructor(dataset: Pick<Dataset, 'name'>, problems: readonly MediaProblem[]) {
    super('EVALGATE_ERR_MEDIA_NOT_FOUND', { path: describeRunMediaProblems(dataset, problems) });
    this.name = 'RunMediaError';
    this.problems = problems;
  }
}

/** One line per unusable file (the first 20), with sample id, path and problem. */
export function describeRunMediaProblems(dataset: Pick<Dataset, 'name'>, problems: readonly MediaProblem[]): string {
  const lines = problems.slice(0, shownInMessage).map((p) => `  sample ${p.id}: ${p.path}: ${p.problem} (${p.detail})`);
  if (problems.length > shownInMessage) lines.push(`  … and ${problems.length - shownInMessage} more`);
  return (
    `${problems.length} media file(s) of dataset "${dataset.name}" missing or unreadable; no run was started, ` +
    `restore them (or narrow the run with --limit) and run again:\n${lines.join('\n')}`
  );
}

/**
 * The pre-run check (issue 4: "Missing or unreadable media is reported per
 * sample, with its id, before any run starts"): every media file of the given
 * samples must exist and be readable, else {@link RunMediaError}. Only
 * existence and permissions are checked, not content, so this costs one
 * `stat` per file.
 */
export async function assertRunMediaReadable(db: Kysely<Database>, dataset: Dataset, sampleKeys: readonly string[]): Promise<void> {
  if (sampleKeys.length === 0) return;
  const { checkDatasetMedia } = await import('../store/dataset-repo.js');
  const problems = await checkDatasetMedia(db, dataset, sampleKeys);
  if (problems.length > 0) throw new RunMediaError(dataset, problems);
}
