import { sql, type Kysely } from 'kysely';
import type { Database, PredictionStatus } from './database.js';

// A run's per-sample results, for `evalgate runs show --samples` and
// `evalgate runs export`: predictions joined with their sample key, their
// scores and, only when the caller asks, the sample's reference. What a caller
// may see is decided in gateway/run-samples/ (through
// gateway/compare/sealed-view.ts); columns it may not see are not even read.

type Db = Kysely<Database>;

/** Which predictions: every one, or those that are not `ok` (failed and skipped). */
export type RunSampleFilter = 'all' | 'not-ok';

/** What to read besides the prediction itself. */
export interface RunSampleColumns {
  /** Read the sample's reference and answer letter. */
  readonly references: boolean;
  /** Read the per-sample scores and their details. */
  readonly scores: boolean;
}

/** One prediction of a run, as stored. */
export interface RunSampleResultRow {
  /** `predictions.id` (the keyset's tie-breaker). */
  readonly predictionId: string;
  /** Manifest id. */
  readonly sampleKey: string;
  /** Prediction status. */
  readonly status: PredictionStatus;
  /** Model output. */
  readonly outputText: string | null;
  /** Error stored with a failed or skipped prediction (code, message, statusCode, retryable, and any other field the runner stored). */
  readonly error: Record<string, unknown> | null;
  /** Model calls made. */
  readonly attempts: number;
  /** Duration of the successful request, ms. */
  readonly latencyRequestMs: number | null;
  /** Time to first token, ms. */
  readonly latencyFirstTokenMs: number | null;
  /** Wall time for the sample including retries, ms. */
  readonly latencyTotalMs: number | null;
  /** Seconds of audio sent. */
  readonly audioSeconds: number | null;
  /** Per-sample scores by metric; undefined when scores were not read, empty when none are stored. */
  readonly scores?: Readonly<Record<string, number>>;
  /** Per-sample score details (extracted answer, missing…); undefined when scores were not read. */
  readonly details?: Readonly<Record<string, unknown>> | null;
  /** Reference(s); undefined when references were not read. */
  readonly reference?: string | string[] | null;
  /** Correct option letter; undefined when references were not read. */
  readonly answer?: string | null;
}

/** Where a page starts: after this sample key (and prediction id, for ties). */
export interface RunSampleCursor {
  /** Last sample key of the previous page. */
  readonly sampleKey: string;
  /** Last prediction id of the previous page. */
  readonly predictionId: string;
}

/** How many predictions of a run match `filter`. */
export async function countRunSampleResults(db: Db, runId: string, filter: RunSampleFilter): Promise<number> {
  let q = db
    .selectFrom('predictions')
    .select((eb) => eb.fn.countAll<number | string>().as('n'))
    .where('run_id', '=', runId);
  if (filter === 'not-ok') q = q.where('status', '!=', 'ok');
  const row = await q.executeTakeFirst();
  // pg returns count() as a string, PGlite as a number.
  return Number(row?.n ?? 0);
}

/** The metric names stored for a run's predictions, sorted. */
export async function runScoreMetrics(db: Db, runId: string): Promise<string[]> {
  const rows = await db
    .selectFrom('scores')
    .innerJoin('predictions', 'predictions.id', 'scores.prediction_id')
    .select('scores.metric')
    .distinct()
    .where('predictions.run_id', '=', runId)
    .orderBy('scores.metric')
    .execute();
  return rows.map((r) => r.metric);
}

/**
 * One page of a run's predictions in sample-key order: `limit` rows after
 * `after` (keyset: each page costs about the same however deep), or after
 * `offset` rows when no cursor is given (for the text view's --offset).
 */
export async function listRunSampleResults(
  db: Db,
  runId: string,
  opts: {
    readonly filter: RunSampleFilter;
    readonly columns: RunSampleColumns;
    readonly limit: number;
    readonly offset?: number;
    readonly after?: RunSampleCursor;
  },
): Promise<RunSampleResultRow[]> {
  const run = await db.selectFrom('runs').select('dataset_id').where('id', '=', runId).executeTakeFirst();
  let q = db
    .selectFrom('samples')
    .innerJoin('predictions', 'predictions.sample_id', 'samples.id')
    .select([
      'predictions.id as predictionId',
      'samples.sample_key as sampleKey',
      'predictions.status',
      'predictions.output_text as outputText',
      'predictions.error',
      'predictions.attempts',
      'predictions.latency_request_ms as latencyRequestMs',
      'predictions.latency_first_token_ms as latencyFirstTokenMs',
      'predictions.latency_total_ms as latencyTotalMs',
      'predictions.audio_seconds as audioSeconds',
    ])
    .where('predictions.run_id', '=', runId)
    .orderBy('samples.sample_key')
    .limit(opts.limit);
  const datasetId = run?.dataset_id;
  if (datasetId) {
    // Walked along the dataset's (dataset_id, sample_key) index, a page reads about `limit` rows (28 ms for
    // 1000 of a 100k-sample run on PostgreSQL); keyed on the run alone, every page sorted all of the run's
    // predictions (0.7 s a page). A run has one dataset, whose keys are unique, and one prediction per
    // sample, so the key alone orders the rows.
    q = q.where('samples.dataset_id', '=', datasetId);
    if (opts.after) q = q.where('samples.sample_key', '>', opts.after.sampleKey);
  } else {
    q = q.orderBy('predictions.id');
    if (opts.after) q = q.where(sql<boolean>`(samples.sample_key, predictions.id) > (${opts.after.sampleKey}, ${opts.after.predictionId})`);
  }
  if (opts.filter === 'not-ok') q = q.where('predictions.status', '!=', 'ok');
  if (!opts.after && opts.offset) q = q.offset(opts.offset);
  const rows = await q
    .$if(opts.columns.references, (qb) => qb.select(['samples.reference', 'samples.answer']))
    // Per row through the (prediction_id, metric) index: 70 ms for a page of 1000 where a second query
    // with the page's ids in an IN list took 120 ms.
    .$if(opts.columns.scores, (qb) =>
      qb.select([
        sql<Record<
          string,
          number
        > | null>`(select json_object_agg(sc.metric, sc.value order by sc.metric) from scores sc where sc.prediction_id = predictions.id)`.as('scoreValues'),
        // The runner stores the same details with every metric row of a sample (gateway/runner/score-run.ts).
        sql<Record<
          string,
          unknown
        > | null>`(select sc.details from scores sc where sc.prediction_id = predictions.id and sc.details is not null order by sc.metric limit 1)`.as(
          'scoreDetails',
        ),
      ]),
    )
    .execute();
  return rows.map(({ reference, answer, scoreValues, scoreDetails, ...r }) => ({
    ...r,
    error: (r.error as Record<string, unknown> | null) ?? null,
    ...(opts.columns.scores ? { scores: numbers(scoreValues), details: scoreDetails ?? null } : {}),
    ...(opts.columns.references ? { reference: reference ?? null, answer: answer ?? null } : {}),
  }));
}

/** Metric values as numbers (JSON numbers already; a driver handing back text is parsed). */
function numbers(values: Record<string, number> | string | null | undefined): Record<string, number> {
  const v = typeof values === 'string' ? (JSON.parse(values) as Record<string, number>) : (values ?? {});
  return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, Number(x)]));
}
