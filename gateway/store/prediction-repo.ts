import { sql, type Kysely } from 'kysely';
import type { Database, PredictionStatus } from './database.js';

// Predictions and their per-sample scores in the store. Every write is
// idempotent so that a run can be killed at any instant and resumed, and so
// that two workers handed the same job (at-least-once delivery) still leave
// exactly one prediction per (run, sample).

type Db = Kysely<Database>;

/** One per-sample score row. */
export interface ScoreRow {
  /** Metric name, e.g. `wer`. */
  readonly metric: string;
  /** Value. */
  readonly value: number;
  /** Per-sample details (alignment counts, extracted answer…). */
  readonly details?: Record<string, unknown> | null;
}

/** The error stored with a failed or skipped prediction. */
export interface PredictionError {
  /** Kind: timeout, connection, http, adapter, unsupported, cancelled. */
  readonly code?: string;
  /** What went wrong. */
  readonly message: string;
  /** HTTP status when the provider answered. */
  readonly statusCode?: number;
  /** Whether the last error was retryable (true: retries ran out). */
  readonly retryable?: boolean;
}

/** A prediction to write. */
export interface PredictionWrite {
  /** Run id. */
  readonly runId: string;
  /** `samples.id`. */
  readonly sampleId: string;
  /** Outcome. */
  readonly status: PredictionStatus;
  /** Answer text (only for `ok`). */
  readonly outputText?: string | null;
  /** Provider response for audit. */
  readonly rawResponse?: unknown;
  /** Error, for `failed`/`skipped`. */
  readonly error?: PredictionError | null;
  /** Model calls made for this sample in this attempt. */
  readonly attempts: number;
  /** Duration of the successful request, ms. */
  readonly latencyRequestMs?: number | null;
  /** Time to first streamed token, ms. */
  readonly latencyFirstTokenMs?: number | null;
  /** Wall time for the sample including retries and backoff, ms. */
  readonly latencyTotalMs?: number | null;
  /** Seconds of audio sent. */
  readonly audioSeconds?: number | null;
  /** Per-sample scores, written in the same statement. */
  readonly scores?: readonly ScoreRow[];
}

/** Whether the sample already has an `ok` prediction in the run. */
export async function hasOkPrediction(db: Db, runId: string, sampleId: string): Promise<boolean> {
  const r = await db
    .selectFrom('predictions')
    .select('id')
    .where('run_id', '=', runId)
    .where('sample_id', '=', sampleId)
    .where('status', '=', 'ok')
    .executeTakeFirst();
  return r !== undefined;
}

/**
 * Writes a prediction and its scores in ONE statement (so a kill can never
 * leave a prediction without its scores). An existing `ok` prediction is never
 * overwritten: the conflict update only fires when the stored status is not
 * `ok`. Returns whether this call wrote the row.
 */
export async function savePrediction(db: Db, p: PredictionWrite): Promise<boolean> {
  // One statement serves one write and a group commit alike.
  return (await savePredictions(db, [p])).size > 0;
}

/**
 * Writes many predictions and their scores in ONE statement (group commit).
 * Same rules as `savePrediction`: an `ok` row is never replaced. Within one
 * batch a (run, sample) pair may appear once only (PostgreSQL refuses to
 * update a row twice in one statement); callers dedupe. Returns the
 * `runId:sampleId` keys this call wrote.
 */
export async function savePredictions(db: Db, writes: readonly PredictionWrite[]): Promise<Set<string>> {
  if (writes.length === 0) return new Set();
  const input = JSON.stringify(
    writes.map((p) => ({
      run_id: p.runId,
      sample_id: p.sampleId,
      status: p.status,
      output_text: p.outputText ?? null,
      raw_response: p.rawResponse ?? null,
      error: p.error ?? null,
      attempts: p.attempts,
      latency_request_ms: p.latencyRequestMs ?? null,
      latency_first_token_ms: p.latencyFirstTokenMs ?? null,
      latency_total_ms: p.latencyTotalMs ?? null,
      audio_seconds: p.audioSeconds ?? null,
      scores: (p.scores ?? []).map((s) => ({ metric: s.metric, value: s.value, details: s.details ?? null })),
    })),
  );
  const result = await sql<{ run_id: string; sample_id: string }>`
    with input as (
      select * from jsonb_to_recordset(${input}::jsonb) as x(
        run_id text, sample_id text, status text, output_text text, raw_response jsonb, error jsonb, attempts integer,
        latency_request_ms double precision, latency_first_token_ms double precision, latency_total_ms double precision,
        audio_seconds double precision, scores jsonb)
    ), p as (
      insert into predictions (run_id, sample_id, status, output_text, raw_response, error, attempts,
                               latency_request_ms, latency_first_token_ms, latency_total_ms, audio_seconds)
      select run_id, sample_id, status, output_text,
             case when jsonb_typeof(raw_response) = 'null' then null else raw_response end,
             case when jsonb_typeof(error) = 'null' then null else error end,
             attempts, latency_request_ms, latency_first_token_ms, latency_total_ms, audio_seconds
      from input
      on conflict (run_id, sample_id) do update set
        status = excluded.status,
        output_text = excluded.output_text,
        raw_response = excluded.raw_response,
        error = excluded.error,
        attempts = predictions.attempts + excluded.attempts,
        latency_request_ms = excluded.latency_request_ms,
        latency_first_token_ms = excluded.latency_first_token_ms,
        latency_total_ms = excluded.latency_total_ms,
        audio_seconds = excluded.audio_seconds,
        updated_at = now()
      where predictions.status <> 'ok'
      returning id, run_id, sample_id
    ), s as (
      insert into scores (prediction_id, metric, value, details)
      select p.id, sc.metric, sc.value, case when jsonb_typeof(sc.details) = 'null' then null else sc.details end
      from p
      join input i on i.run_id = p.run_id and i.sample_id = p.sample_id
      cross join jsonb_to_recordset(i.scores) as sc(metric text, value double precision, details jsonb)
      on conflict (prediction_id, metric) do update set value = excluded.value, details = excluded.details
      returning 1
    )
    select run_id, sample_id from p`.execute(db);
  return new Set(result.rows.map((r) => `${r.run_id}:${r.sample_id}`));
}

/** Counts of predictions by status, plus how many samples have none yet. */
export interface RunCounts {
  /** Answered. */
  ok: number;
  /** Still failing after retries (excluded from metrics). */
  failed: number;
  /** Not sent (e.g. the model lacks the modality). */
  skipped: number;
  /** Samples in the run's scope with no prediction at all yet. */
  pending: number;
  /** Samples in the run's scope. */
  total: number;
}

/** Prediction counts of a run; `scopeTotal` is the number of samples the run covers. */
export async function runCounts(db: Db, runId: string, scopeTotal?: number): Promise<RunCounts> {
  const rows = await db
    .selectFrom('predictions')
    .select(['status', (eb) => eb.fn.countAll<number>().as('n')])
    .where('run_id', '=', runId)
    .groupBy('status')
    .execute();
  const counts: RunCounts = { ok: 0, failed: 0, skipped: 0, pending: 0, total: 0 };
  for (const r of rows) counts[r.status] = Number(r.n);
  const done = counts.ok + counts.failed + counts.skipped;
  counts.total = Math.max(scopeTotal ?? done, done);
  counts.pending = counts.total - done;
  return counts;
}

/** A prediction joined with what scoring needs from its sample. */
export interface ScoredPredictionRow {
  /** `predictions.id`. */
  readonly predictionId: string;
  /** Manifest id. */
  readonly sampleKey: string;
  /** Status. */
  readonly status: PredictionStatus;
  /** Answer text. */
  readonly outputText: string | null;
  /** Expected text. */
  readonly reference: string | string[] | null;
  /** Correct letter. */
  readonly answer: string | null;
  /** Options. */
  readonly choices: string[] | null;
  /** vqa: the human answers. */
  readonly humanAnswers: string[] | null;
  /** Request duration, ms. */
  readonly latencyRequestMs: number | null;
  /** First token, ms. */
  readonly latencyFirstTokenMs: number | null;
  /** Sample wall time, ms. */
  readonly latencyTotalMs: number | null;
  /** Audio sent, s. */
  readonly audioSeconds: number | null;
}

/** Every prediction of a run with its sample's reference, ordered by manifest id. */
export async function predictionsForScoring(db: Db, runId: string): Promise<ScoredPredictionRow[]> {
  const rows = await db
    .selectFrom('predictions as p')
    .innerJoin('samples as s', 's.id', 'p.sample_id')
    .select([
      'p.id as predictionId',
      's.sample_key as sampleKey',
      'p.status',
      'p.output_text as outputText',
      's.reference',
      's.answer',
      's.choices',
      's.human_answers as humanAnswers',
      'p.latency_request_ms as latencyRequestMs',
      'p.latency_first_token_ms as latencyFirstTokenMs',
      'p.latency_total_ms as latencyTotalMs',
      'p.audio_seconds as audioSeconds',
    ])
    .where('p.run_id', '=', runId)
    .orderBy('s.sample_key')
    .execute();
  return rows as ScoredPredictionRow[];
}
