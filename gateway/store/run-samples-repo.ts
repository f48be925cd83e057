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
 * `after` (keyset: each page costs the same however deep), or after `offset`
 * rows when no cursor is given (for the text view's --offset).
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
  let q = db
    .selectFrom('predictions')
    .innerJoin('samples', 'samples.id', 'predictions.sample_id')
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
    .orderBy('predictions.id')
    .limit(opts.limit);
  if (opts.filter === 'not-ok') q = q.where('predictions.status', '!=', 'ok');
  if (opts.after) q = q.where(sql<boolean>`(samples.sample_key, predictions.id) > (${opts.after.sampleKey}, ${opts.after.predictionId})`);
  else if (opts.offset) q = q.offset(opts.offset);
  const base = await q.execute();
  const refs = opts.columns.references ? await referencesOf(db, base) : undefined;
  const scores = opts.columns.scores ? await scoresOf(db, base) : undefined;
  return base.map((r) => ({
    ...r,
    error: (r.error as Record<string, unknown> | null) ?? null,
    ...(scores ? { scores: scores.get(r.predictionId)?.values ?? {}, details: scores.get(r.predictionId)?.details ?? null } : {}),
    ...(refs ? { reference: refs.get(r.predictionId)?.reference ?? null, answer: refs.get(r.predictionId)?.answer ?? null } : {}),
  }));
}

/** References of a page's samples, by prediction id (read apart, so the page query never holds them). */
async function referencesOf(
  db: Db,
  page: readonly { predictionId: string }[],
): Promise<Map<string, { reference: string | string[] | null; answer: string | null }>> {
  if (page.length === 0) return new Map();
  const rows = await db
    .selectFrom('predictions')
    .innerJoin('samples', 'samples.id', 'predictions.sample_id')
    .select(['predictions.id as predictionId', 'samples.reference', 'samples.answer'])
    .where(
      'predictions.id',
      'in',
      page.map((p) => p.predictionId),
    )
    .execute();
  return new Map(rows.map((r) => [r.predictionId, { reference: r.reference ?? null, answer: r.answer }]));
}

/** Scores of a page's predictions: values by metric, and the details the metrics share. */
async function scoresOf(
  db: Db,
  page: readonly { predictionId: string }[],
): Promise<Map<string, { values: Record<string, number>; details: Record<string, unknown> | null }>> {
  const out = new Map<string, { values: Record<string, number>; details: Record<string, unknown> | null }>();
  if (page.length === 0) return out;
  const rows = await db
    .selectFrom('scores')
    .select(['prediction_id', 'metric', 'value', 'details'])
    .where(
      'prediction_id',
      'in',
      page.map((p) => p.predictionId),
    )
    .orderBy('prediction_id')
    .orderBy('metric')
    .execute();
  for (const r of rows) {
    const e = out.get(r.prediction_id) ?? { values: {}, details: null };
    out.set(r.prediction_id, e);
    // pg returns double precision as a number, but be safe with numeric strings.
    e.values[r.metric] = Number(r.value);
    // The runner stores the same details with every metric row of a sample (gateway/runner/score-run.ts).
    if (e.details === null && r.details) e.details = r.details;
  }
  return out;
}
