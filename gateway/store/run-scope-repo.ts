import type { Kysely } from 'kysely';
import type { Database, Dataset, SampleMedia, SampleMediaFile, SampleTask } from './database.js';

// What a run covers, read from the store: its dataset, and the dataset's
// samples of the run's task (ordered by manifest id, capped by the run's
// limit), with or without an `ok` prediction yet.

type Db = Kysely<Database>;

/** A sample as a run sees it (one `samples` row, parsed); the runner's `RunnerSample`. */
export interface RunSample {
  /** `samples.id` (database id). */
  readonly id: string;
  /** The manifest id. */
  readonly key: string;
  /** The task. */
  readonly task: SampleTask;
  /** Expected text (one or several acceptable strings). */
  readonly reference: string | string[] | null;
  /** Question for VQA / multiple choice. */
  readonly question: string | null;
  /** Multiple-choice options in letter order. */
  readonly choices: string[] | null;
  /** Correct option letter. */
  readonly answer: string | null;
  /** vqa: the human answers, scored with VQA accuracy (a reference: never sent to the model). */
  readonly humanAnswers?: string[] | null;
  /** Language code. */
  readonly lang: string | null;
  /** Media files, paths relative to the dataset root (or absolute). */
  readonly media: readonly SampleMedia[];
  /** Real path and size recorded at import per media entry (same order); absent for samples imported before they were recorded. */
  readonly mediaFiles?: readonly SampleMediaFile[];
  /** Media duration from the manifest, in seconds. */
  readonly durationS: number | null;
}

/** A run's scope: the dataset, the task, and an optional cap on the samples (by manifest id). */
export interface RunScope {
  /** `datasets.id`. */
  readonly datasetId: string;
  /** Task. */
  readonly task: string;
  /** Only the first `limit` samples by manifest id. */
  readonly limit?: number;
}

type SampleRow = {
  id: string;
  sample_key: string;
  task: SampleTask;
  reference: string | string[] | null;
  question: string | null;
  choices: string[] | null;
  answer: string | null;
  human_answers: string[] | null;
  lang: string | null;
  media: SampleMedia[];
  media_files: SampleMediaFile[];
  duration_s: number | null;
};

function toRunSample(r: SampleRow): RunSample {
  return {
    id: r.id,
    key: r.sample_key,
    task: r.task,
    reference: r.reference,
    question: r.question,
    choices: r.choices,
    answer: r.answer,
    // Only vqa samples with human answers carry the field (other samples keep their shape).
    ...(r.human_answers !== null ? { humanAnswers: r.human_answers } : {}),
    lang: r.lang,
    media: r.media,
    // The runner reads only these files (datasets/contain-media-path.ts); rows from before they were recorded keep their shape.
    ...(r.media_files.length > 0 ? { mediaFiles: r.media_files } : {}),
    durationS: r.duration_s,
  };
}

const sampleColumns = [
  'id',
  'sample_key',
  'task',
  'reference',
  'question',
  'choices',
  'answer',
  'human_answers',
  'lang',
  'media',
  'media_files',
  'duration_s',
] as const;

/** A dataset by id (ids only: names are gateway/store/dataset-repo.ts's findDataset). */
export async function getDatasetById(db: Db, datasetId: string): Promise<Dataset | undefined> {
  return db.selectFrom('datasets').selectAll().where('id', '=', datasetId).executeTakeFirst();
}

/** The newest dataset imported from this manifest file (absolute path) with these bytes (sha256, hex). */
export async function findDatasetByManifest(db: Db, manifestPath: string, manifestDigest: string): Promise<Dataset | undefined> {
  return db
    .selectFrom('datasets')
    .selectAll()
    .where('manifest_path', '=', manifestPath)
    .where('manifest_digest', '=', manifestDigest)
    .orderBy('created_at', 'desc')
    .executeTakeFirst();
}

/** The tasks a dataset has samples of, sorted. */
export async function datasetTasks(db: Db, datasetId: string): Promise<string[]> {
  const rows = await db.selectFrom('samples').select('task').distinct().where('dataset_id', '=', datasetId).execute();
  return rows.map((r) => r.task).sort();
}

/** Manifest ids of the samples a run covers, in order. */
export async function scopeSampleKeys(db: Db, scope: RunScope): Promise<string[]> {
  let q = db
    .selectFrom('samples')
    .select('sample_key')
    .where('dataset_id', '=', scope.datasetId)
    .where('task', '=', scope.task as SampleTask)
    .orderBy('sample_key');
  if (scope.limit !== undefined) q = q.limit(scope.limit);
  return (await q.execute()).map((r) => r.sample_key);
}

/** How many samples a run covers (dataset samples of its task, capped by its limit). */
export async function runScopeSize(db: Db, scope: RunScope): Promise<number> {
  const r = await db
    .selectFrom('samples')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('dataset_id', '=', scope.datasetId)
    .where('task', '=', scope.task as SampleTask)
    .executeTakeFirstOrThrow();
  const n = Number(r.n);
  return scope.limit !== undefined ? Math.min(n, scope.limit) : n;
}

/**
 * The run's samples (the first `limit` of the dataset's samples of `task`,
 * ordered by manifest id) that have no `ok` prediction yet: exactly the work
 * left to do, whether the run is new, resumed, or was killed.
 */
export async function listPendingSamples(db: Db, run: RunScope & { id: string }): Promise<RunSample[]> {
  let scope = db
    .selectFrom('samples')
    .select(sampleColumns)
    .where('dataset_id', '=', run.datasetId)
    .where('task', '=', run.task as SampleTask)
    .orderBy('sample_key');
  if (run.limit !== undefined) scope = scope.limit(run.limit);
  const rows = await db
    .selectFrom(scope.as('s'))
    .selectAll('s')
    .where(({ not, exists, selectFrom }) =>
      not(
        exists(selectFrom('predictions as p').select('p.id').whereRef('p.sample_id', '=', 's.id').where('p.run_id', '=', run.id).where('p.status', '=', 'ok')),
      ),
    )
    .orderBy('s.sample_key')
    .execute();
  return rows.map((r) => toRunSample(r as SampleRow));
}

/** One sample by id. */
export async function getSample(db: Db, sampleId: string): Promise<RunSample | undefined> {
  const r = await db.selectFrom('samples').select(sampleColumns).where('id', '=', sampleId).executeTakeFirst();
  return r ? toRunSample(r as SampleRow) : undefined;
}
