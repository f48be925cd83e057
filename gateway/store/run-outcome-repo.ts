import type { Kysely } from 'kysely';
import type { Database, PredictionStatus, RunStatus, SampleMedia, SampleTask } from './database.js';

// What comparisons and leaderboards read: run headers, every prediction of a
// run joined with its sample, the completed runs of a task, and the sample
// counts behind the sealed-set sizes. What a caller may see of it is decided
// in gateway/compare/sealed-view.ts, not here.

type Db = Kysely<Database>;

/** A run's header joined with its model's kind and its dataset's sealing. */
export interface RunHeaderRow {
  /** Run id. */
  readonly id: string;
  /** Model id. */
  readonly model_id: string;
  /** The model's kind. */
  readonly kind: 'generalist' | 'specialist';
  /** Task scored. */
  readonly task: string;
  /** Dataset id. */
  readonly dataset_id: string | null;
  /** Whether the dataset is sealed; null when the run names no dataset (left join). */
  readonly sealed: boolean | null;
  /** Dataset digest recorded with the run. */
  readonly dataset_digest: string | null;
  /** Prompt template recorded with the run. */
  readonly prompt_template: string | null;
  /** Normalizer recorded with the run. */
  readonly normalizer: string | null;
  /** Run config. */
  readonly config: Record<string, unknown>;
  /** Run status. */
  readonly status: RunStatus;
  /** When it finished. */
  readonly finished_at: Date | null;
}

/** A run's header, or undefined when there is no such run (or its model is unknown). */
export async function findRunHeader(db: Db, runId: string): Promise<RunHeaderRow | undefined> {
  return db
    .selectFrom('runs')
    .innerJoin('models', 'models.id', 'runs.model_id')
    .leftJoin('datasets', 'datasets.id', 'runs.dataset_id')
    .select([
      'datasets.sealed',
      'runs.id',
      'runs.model_id',
      'models.kind',
      'runs.task',
      'runs.dataset_id',
      'runs.dataset_digest',
      'runs.prompt_template',
      'runs.normalizer',
      'runs.config',
      'runs.status',
      'runs.finished_at',
    ])
    .where('runs.id', '=', runId)
    .executeTakeFirst();
}

/** One prediction of a run joined with its sample (references included: server-side use only). */
export interface RunOutcomeRow {
  /** Sample row id. */
  readonly sample_id: string;
  /** Manifest id. */
  readonly sample_key: string;
  /** Prediction status. */
  readonly status: PredictionStatus;
  /** Model output. */
  readonly output_text: string | null;
  /** Reference(s). */
  readonly reference: string | string[] | null;
  /** Human answers (vqa), scored with VQA accuracy. */
  readonly human_answers: string[] | null;
  /** Correct option letter. */
  readonly answer: string | null;
  /** Options. */
  readonly choices: string[] | null;
  /** Language. */
  readonly lang: string | null;
  /** Capability tags. */
  readonly tags: string[];
  /** Media entries. */
  readonly media: SampleMedia[];
  /** End-to-end latency, ms. */
  readonly latency_total_ms: number | null;
  /** The successful model call, ms (RTFx's processing time). */
  readonly latency_request_ms: number | null;
  /** Time to first token, ms. */
  readonly latency_first_token_ms: number | null;
  /** Audio seconds. */
  readonly audio_seconds: number | null;
}

/** Every prediction of a run with its sample, ordered by sample key. */
export async function listRunOutcomeRows(db: Db, runId: string): Promise<RunOutcomeRow[]> {
  return db
    .selectFrom('predictions')
    .innerJoin('samples', 'samples.id', 'predictions.sample_id')
    .select([
      'samples.id as sample_id',
      'samples.sample_key',
      'predictions.status',
      'predictions.output_text',
      'samples.reference',
      'samples.human_answers',
      'samples.answer',
      'samples.choices',
      'samples.lang',
      'samples.tags',
      'samples.media',
      'predictions.latency_total_ms',
      'predictions.latency_request_ms',
      'predictions.latency_first_token_ms',
      'predictions.audio_seconds',
    ])
    .where('predictions.run_id', '=', runId)
    .orderBy('samples.sample_key')
    .execute();
}

/** Samples of one dataset sharing a task, a language and a tag list. */
export interface SampleGroupCount {
  /** Dataset id. */
  readonly datasetId: string;
  /** Task. */
  readonly task: SampleTask;
  /** Language. */
  readonly lang: string | null;
  /** Tag list, as stored. */
  readonly tags: string[];
  /** Samples in the group. */
  readonly n: number;
}

/** Sample counts of these datasets grouped by (dataset, task, language, tag list), in one query. */
export async function countSamplesByGroup(db: Db, datasetIds: readonly string[]): Promise<SampleGroupCount[]> {
  if (datasetIds.length === 0) return [];
  const rows = await db
    .selectFrom('samples')
    .select((eb) => ['dataset_id', 'task', 'lang', 'tags', eb.fn.countAll<number | string>().as('n')])
    .where('dataset_id', 'in', [...new Set(datasetIds)])
    .groupBy(['dataset_id', 'task', 'lang', 'tags'])
    .execute();
  // pg returns count() as a string, PGlite as a number.
  return rows.map((r) => ({ datasetId: r.dataset_id, task: r.task, lang: r.lang, tags: r.tags, n: Number(r.n) }));
}

/** A completed run of a task, with its dataset. */
export interface CompletedRunRow {
  /** Run id. */
  readonly id: string;
  /** Model id. */
  readonly model_id: string;
  /** When it finished. */
  readonly finished_at: Date | null;
  /** Dataset name. */
  readonly dataset_name: string;
  /** Dataset id. */
  readonly dataset_id: string;
  /** The dataset's current manifest digest. */
  readonly dataset_manifest_digest: string;
  /** Dataset digest recorded with the run. */
  readonly dataset_digest: string | null;
  /** Normalizer recorded with the run. */
  readonly normalizer: string | null;
  /** Run config (scorer options under `scorer`). */
  readonly config: Record<string, unknown>;
}

/** Which dataset {@link listCompletedRuns} keeps: by name or id, or by name only. */
export type CompletedRunsDataset = { readonly nameOrId: string } | { readonly name: string };

/**
 * Completed runs of a task that name a dataset, latest finished first,
 * optionally of one dataset.
 */
export async function listCompletedRuns(db: Db, opts: { readonly task: string; readonly dataset?: CompletedRunsDataset }): Promise<CompletedRunRow[]> {
  let q = db
    .selectFrom('runs')
    .innerJoin('datasets', 'datasets.id', 'runs.dataset_id')
    .select([
      'runs.id',
      'runs.model_id',
      'runs.finished_at',
      'datasets.name as dataset_name',
      'datasets.id as dataset_id',
      'datasets.manifest_digest as dataset_manifest_digest',
      'runs.dataset_digest',
      'runs.normalizer',
      'runs.config',
    ])
    .where('runs.task', '=', opts.task)
    .where('runs.status', '=', 'completed')
    .orderBy('runs.finished_at', 'desc');
  const ds = opts.dataset;
  if (ds && 'nameOrId' in ds) q = q.where((eb) => eb.or([eb('datasets.name', '=', ds.nameOrId), eb('datasets.id', '=', ds.nameOrId)]));
  else if (ds) q = q.where('datasets.name', '=', ds.name);
  return q.execute();
}
