import type { Kysely } from 'kysely';
import type { Database, PredictionStatus, RunStatus, SampleMedia, SampleTask } from './database.js';
import { staleColumn } from './heartbeat-repo.js';

// Runs as the REST API lists them (`GET /v1/runs`, `GET /v1/runs/:id/samples`).
// These rows carry summaries and references: the routes pass them through
// gateway/compare/sealed-view.ts before anything leaves the server.

type Db = Kysely<Database>;

/** One run of {@link listRunsPage}. */
export interface RunListRow {
  /** Run id. */
  readonly id: string;
  /** Model id. */
  readonly model_id: string;
  /** Dataset id. */
  readonly dataset_id: string | null;
  /** Task. */
  readonly task: string;
  /** Status. */
  readonly status: RunStatus;
  /** Configuration hash (identifies the run). */
  readonly config_hash: string;
  /** Dataset digest recorded with the run. */
  readonly dataset_digest: string | null;
  /** evalgate version that ran it. */
  readonly evalgate_version: string;
  /** Summary metrics. */
  readonly summary: Record<string, unknown> | null;
  /** Created. */
  readonly created_at: Date;
  /** Started. */
  readonly started_at: Date | null;
  /** Finished. */
  readonly finished_at: Date | null;
  /** Last heartbeat. */
  readonly heartbeat_at: Date | null;
  /** Running, but its executor stopped stamping it (see `evalgate runs reap`); the database's clock decides. */
  readonly stale: boolean;
}

/** Runs, newest first, at most `limit`, optionally of one model and one task. */
export async function listRunsPage(db: Db, opts: { readonly limit: number; readonly model?: string; readonly task?: string }): Promise<RunListRow[]> {
  let q = db
    .selectFrom('runs')
    .select([
      'id',
      'model_id',
      'dataset_id',
      'task',
      'status',
      'config_hash',
      'dataset_digest',
      'evalgate_version',
      'summary',
      'created_at',
      'started_at',
      'finished_at',
      'heartbeat_at',
      staleColumn(),
    ])
    .orderBy('created_at', 'desc')
    .limit(opts.limit);
  if (opts.model) q = q.where('model_id', '=', opts.model);
  if (opts.task) q = q.where('task', '=', opts.task);
  return q.execute();
}

/** A run with its dataset's name and sealing. */
export interface RunWithDataset {
  /** Run id. */
  readonly id: string;
  /** Task. */
  readonly task: string;
  /** Model id. */
  readonly model_id: string;
  /** Dataset name; null when the run names none. */
  readonly dataset: string | null;
  /** Whether the dataset is sealed; null when the run names none. */
  readonly sealed: boolean | null;
}

/** A run by id, with its dataset's name and sealing. */
export async function findRunWithDataset(db: Db, runId: string): Promise<RunWithDataset | undefined> {
  return db
    .selectFrom('runs')
    .leftJoin('datasets', 'datasets.id', 'runs.dataset_id')
    .select(['runs.id', 'runs.task', 'runs.model_id', 'datasets.name as dataset', 'datasets.sealed'])
    .where('runs.id', '=', runId)
    .executeTakeFirst();
}

/** One prediction of a run with its sample's inputs (and reference: the route decides who sees it). Never scores. */
export interface RunSampleRow {
  /** Manifest id. */
  readonly sample_key: string;
  /** Task. */
  readonly task: SampleTask;
  /** Question. */
  readonly question: string | null;
  /** Options. */
  readonly choices: string[] | null;
  /** Correct option letter. */
  readonly answer: string | null;
  /** Reference(s). */
  readonly reference: string | string[] | null;
  /** vqa: the human answers (a reference: the route shows them only where it shows `reference`). */
  readonly human_answers: string[] | null;
  /** Language. */
  readonly lang: string | null;
  /** Capability tags. */
  readonly tags: string[];
  /** Media entries. */
  readonly media: SampleMedia[];
  /** Prediction status. */
  readonly status: PredictionStatus;
  /** Model output. */
  readonly output_text: string | null;
  /** Error, when failed. */
  readonly error: { code?: string; message: string; statusCode?: number; retryable?: boolean } | null;
  /** Attempts made. */
  readonly attempts: number;
  /** End-to-end latency, ms. */
  readonly latency_total_ms: number | null;
  /** Time to first token, ms. */
  readonly latency_first_token_ms: number | null;
  /** Audio seconds. */
  readonly audio_seconds: number | null;
}

/** A page of a run's predictions ordered by sample key, optionally of one status. */
export async function listRunSamples(
  db: Db,
  runId: string,
  opts: { readonly limit: number; readonly offset: number; readonly status?: PredictionStatus },
): Promise<RunSampleRow[]> {
  let q = db
    .selectFrom('predictions')
    .innerJoin('samples', 'samples.id', 'predictions.sample_id')
    .select([
      'samples.sample_key',
      'samples.task',
      'samples.question',
      'samples.choices',
      'samples.answer',
      'samples.reference',
      'samples.human_answers',
      'samples.lang',
      'samples.tags',
      'samples.media',
      'predictions.status',
      'predictions.output_text',
      'predictions.error',
      'predictions.attempts',
      'predictions.latency_total_ms',
      'predictions.latency_first_token_ms',
      'predictions.audio_seconds',
    ])
    .where('predictions.run_id', '=', runId)
    .orderBy('samples.sample_key')
    .limit(opts.limit)
    .offset(opts.offset);
  if (opts.status) q = q.where('predictions.status', '=', opts.status);
  return q.execute();
}
