import type { Kysely } from 'kysely';
import { defaultMinSliceSize, mayReadReferences, mayReadSampleScores, operatorAccess, type SealedAccess } from '../compare/sealed-view.js';
import { predictionIsScore } from '../../scorers/tasks/index.js';
import { EvalgateError } from '../errors.js';
import type { Database, PredictionStatus } from '../store/database.js';
import { findRunWithDataset } from '../store/run-listing-repo.js';
import { resolveRunId } from '../store/run-repo.js';
import { listRunSampleResults, type RunSampleCursor, type RunSampleFilter, type RunSampleResultRow } from '../store/run-samples-repo.js';

// A run's per-sample results as `evalgate runs show --samples` and
// `evalgate runs export` print them, with what the sealed policy
// (gateway/compare/sealed-view.ts) lets them carry.

/** The run a per-sample view is about. */
export interface RunSampleHeader {
  /** Full run id (a prefix given by the user resolved). */
  readonly runId: string;
  /** Model id. */
  readonly modelId: string;
  /** Task. */
  readonly task: string;
  /** Dataset name; null when the run names none. */
  readonly dataset: string | null;
  /** Whether the dataset is sealed. */
  readonly sealed: boolean;
}

/** What a per-sample view may carry, and what it left out, in words. */
export interface RunSampleAccess {
  /** References and answer letters. */
  readonly references: boolean;
  /** Per-sample scores and their details (extracted answer…). */
  readonly scores: boolean;
  /** Prediction text and error details: false only where the prediction is itself a score (a judged run) and scores are withheld. */
  readonly predictions?: boolean;
  /** What is left out and why; empty when nothing is. */
  readonly withheld: readonly string[];
}

/**
 * What the CLI may print of a run's samples. The CLI reads the local database
 * directly, as the operator (docs/security.md), so on an open dataset it shows
 * everything. On a sealed dataset it shows what a non-admin key would see —
 * predictions, errors and latencies, but no reference, answer letter or
 * per-sample score (each could give a reference away) — unless the user passes
 * `--include-sealed`, which reads them from the local database as the operator.
 */
export function cliSampleAccess(sealed: boolean, includeSealed: boolean, task = ''): RunSampleAccess {
  const access: SealedAccess = sealed && !includeSealed ? { isAdmin: false, minSliceSize: defaultMinSliceSize } : operatorAccess;
  const references = mayReadReferences(access);
  const scores = mayReadSampleScores(access, sealed);
  const withheld = [
    ...(references ? [] : ['references and answer letters (sealed dataset; --include-sealed reads them from the local database)']),
    ...(scores ? [] : ['per-sample scores and score details (sealed dataset; --include-sealed reads them from the local database)']),
    ...(scores || !predictionIsScore(task) ? [] : ['the judge scores and replies of this judged run (per-sample scores of a sealed dataset)']),
  ];
  return { references, scores, predictions: scores || !predictionIsScore(task), withheld };
}

/** Resolves a run id or 8+ character prefix and returns the run as the per-sample views name it. */
export async function loadRunSampleHeader(db: Kysely<Database>, idOrPrefix: string): Promise<RunSampleHeader> {
  const runId = await resolveRunId(db, idOrPrefix);
  const run = await findRunWithDataset(db, runId);
  if (!run) throw new EvalgateError('EVALGATE_ERR_NOT_FOUND', { what: 'Run', id: idOrPrefix });
  return { runId: run.id, modelId: run.model_id, task: run.task, dataset: run.dataset, sealed: run.sealed === true };
}

/** One sample of a run as `runs show --samples --json` and `runs export --format jsonl` print it. */
export interface RunSampleRecord {
  /** Manifest id. */
  readonly sampleKey: string;
  /** `ok`, `failed` (the model call failed after retries) or `skipped` (never sent: bad input, unsupported modality…). */
  readonly status: PredictionStatus;
  /** The model's answer; null when it gave none. */
  readonly prediction: string | null;
  /** Per-sample scores by metric (as `evalgate score` names them); absent when withheld. */
  readonly scores?: Readonly<Record<string, number>>;
  /** Per-sample score details (extracted answer, missing…); absent when withheld. */
  readonly details?: Readonly<Record<string, unknown>> | null;
  /** What went wrong: `code` is the stage that failed (input, timeout, connection, http, adapter, unsupported, cancelled); null when ok. */
  readonly error: Readonly<Record<string, unknown>> | null;
  /** Latencies in ms: `total` wall time with retries, `request` the successful call, `firstToken` time to first streamed token. */
  readonly latencyMs: { readonly total: number | null; readonly request: number | null; readonly firstToken: number | null };
  /** Seconds of audio sent. */
  readonly audioSeconds: number | null;
  /** Model calls made. */
  readonly attempts: number;
  /** Reference(s); absent when withheld. */
  readonly reference?: string | string[] | null;
  /** Correct option letter; absent when withheld. */
  readonly answer?: string | null;
}

/** A stored row as a record `access` may see (the store did not read what it may not). */
export function recordOf(row: RunSampleResultRow, access: RunSampleAccess): RunSampleRecord {
  return {
    sampleKey: row.sampleKey,
    status: row.status,
    prediction: access.predictions === false ? null : row.outputText,
    ...(access.scores ? { scores: row.scores ?? {}, details: row.details ?? null } : {}),
    // A judge's failed reply can quote the reference: only the failing stage is left.
    error: access.predictions === false && row.error ? { code: row.error.code ?? null } : row.error,
    latencyMs: { total: row.latencyTotalMs, request: row.latencyRequestMs, firstToken: row.latencyFirstTokenMs },
    audioSeconds: row.audioSeconds,
    attempts: row.attempts,
    ...(access.references ? { reference: row.reference ?? null, answer: row.answer ?? null } : {}),
  };
}

/** One page of records (the text and JSON views of `runs show --samples`). */
export async function runSampleRecordsPage(
  db: Kysely<Database>,
  runId: string,
  opts: { readonly filter: RunSampleFilter; readonly access: RunSampleAccess; readonly limit: number; readonly offset: number },
): Promise<RunSampleRecord[]> {
  const rows = await listRunSampleResults(db, runId, {
    filter: opts.filter,
    columns: { references: opts.access.references, scores: opts.access.scores },
    limit: opts.limit,
    offset: opts.offset,
  });
  return rows.map((r) => recordOf(r, opts.access));
}

/**
 * Every record of a run in sample-key order, read `pageSize` at a time with a
 * keyset cursor: memory stays one page however many samples the run has.
 */
export async function* runSampleRecords(
  db: Kysely<Database>,
  runId: string,
  opts: { readonly filter: RunSampleFilter; readonly access: RunSampleAccess; readonly pageSize?: number; readonly signal?: AbortSignal },
): AsyncGenerator<RunSampleRecord> {
  const pageSize = opts.pageSize ?? 1000;
  let after: RunSampleCursor | undefined;
  for (;;) {
    opts.signal?.throwIfAborted();
    const rows = await listRunSampleResults(db, runId, {
      filter: opts.filter,
      columns: { references: opts.access.references, scores: opts.access.scores },
      limit: pageSize,
      after,
    });
    for (const r of rows) yield recordOf(r, opts.access);
    const last = rows.at(-1);
    if (!last || rows.length < pageSize) return;
    after = { sampleKey: last.sampleKey, predictionId: last.predictionId };
  }
}
