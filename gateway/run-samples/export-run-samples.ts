import { createWriteStream } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { Readable, Transform, type Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { stringify } from 'csv-stringify';
import type { Kysely } from 'kysely';
import type { Database } from '../store/database.js';
import type { RunSampleFilter } from '../store/run-samples-repo.js';
import { runScoreMetrics } from '../store/run-samples-repo.js';
import { runSampleRecords, type RunSampleAccess, type RunSampleRecord } from './run-sample-records.js';

// `evalgate runs export`: one row per prediction of a run, streamed page by
// page from the store to the file, so a 100k-sample run never sits in memory.

/** Export formats. */
export const runExportFormats = ['jsonl', 'csv'] as const;

/** One of {@link runExportFormats}. */
export type RunExportFormat = (typeof runExportFormats)[number];

/** What {@link exportRunSamples} wrote. */
export interface RunExportResult {
  /** Rows written (the header line of a CSV not counted). */
  readonly rows: number;
  /** CSV columns, in order; undefined for JSONL. */
  readonly columns?: readonly string[];
}

/** Options of {@link exportRunSamples}. */
export interface RunExportOptions {
  /** Full run id. */
  readonly runId: string;
  /** Output format. */
  readonly format: RunExportFormat;
  /** What the rows may carry (gateway/run-samples/run-sample-records.ts). */
  readonly access: RunSampleAccess;
  /** All predictions, or only those that are not ok. */
  readonly filter: RunSampleFilter;
  /** Where to write. */
  readonly out: Writable;
  /** Whether to end `out` when done (false for stdout). */
  readonly end: boolean;
  /** Called after each row with the number written so far. */
  readonly onRow?: (rows: number) => void;
  /** Rows read per store query. */
  readonly pageSize?: number;
  /** Stops the export between pages. */
  readonly signal?: AbortSignal;
}

/** A CSV column: its header and how a record fills it. */
interface CsvColumn {
  readonly header: string;
  readonly value: (r: RunSampleRecord) => string | number | null | undefined;
}

/** Strings as they are, lists and objects as JSON text. */
function text(v: unknown): string | null {
  if (v === null || v === undefined) return null;
  return typeof v === 'string' ? v : JSON.stringify(v);
}

/** The CSV columns for a run whose rows may carry `access`, with one `score_<metric>` column per stored metric. */
export function csvColumnsFor(access: RunSampleAccess, metrics: readonly string[]): CsvColumn[] {
  const errorField = (k: string) => (r: RunSampleRecord) => text(r.error?.[k]);
  return [
    { header: 'sample_key', value: (r) => r.sampleKey },
    { header: 'status', value: (r) => r.status },
    { header: 'prediction', value: (r) => r.prediction },
    ...(access.scores
      ? [
          ...metrics.map((m) => ({ header: `score_${m}`, value: (r: RunSampleRecord) => r.scores?.[m] })),
          { header: 'details', value: (r: RunSampleRecord) => text(r.details) },
        ]
      : []),
    { header: 'error_code', value: errorField('code') },
    { header: 'error_message', value: errorField('message') },
    { header: 'error_status_code', value: errorField('statusCode') },
    { header: 'latency_total_ms', value: (r) => r.latencyMs.total },
    { header: 'latency_request_ms', value: (r) => r.latencyMs.request },
    { header: 'latency_first_token_ms', value: (r) => r.latencyMs.firstToken },
    { header: 'audio_seconds', value: (r) => r.audioSeconds },
    { header: 'attempts', value: (r) => r.attempts },
    ...(access.references
      ? [
          // A list of acceptable references is one JSON array in one cell.
          { header: 'reference', value: (r: RunSampleRecord) => text(r.reference) },
          { header: 'answer', value: (r: RunSampleRecord) => r.answer },
        ]
      : []),
  ];
}

/**
 * Streams a run's rows to `out` as JSONL (one {@link RunSampleRecord} per
 * line) or CSV (RFC 4180: CRLF line ends, a header line, fields holding a
 * comma, a quote, CR or LF quoted with quotes doubled; csv-stringify does the
 * quoting). Rows come in sample-key order.
 */
export async function exportRunSamples(db: Kysely<Database>, opts: RunExportOptions): Promise<RunExportResult> {
  let rows = 0;
  const counted = async function* (): AsyncGenerator<RunSampleRecord> {
    for await (const r of runSampleRecords(db, opts.runId, { filter: opts.filter, access: opts.access, pageSize: opts.pageSize, signal: opts.signal })) {
      yield r;
      rows++;
      opts.onRow?.(rows);
    }
  };
  if (opts.format === 'jsonl') {
    const lines = new Transform({
      writableObjectMode: true,
      transform(r: RunSampleRecord, _enc, done) {
        done(null, `${JSON.stringify(r)}\n`);
      },
    });
    await pipeline(Readable.from(counted()), lines, opts.out, { end: opts.end, signal: opts.signal });
    return { rows };
  }
  const columns = csvColumnsFor(opts.access, opts.access.scores ? await runScoreMetrics(db, opts.runId) : []);
  const toCells = new Transform({
    objectMode: true,
    transform(r: RunSampleRecord, _enc, done) {
      done(
        null,
        columns.map((c) => c.value(r) ?? null),
      );
    },
  });
  const csv = stringify({
    header: true,
    columns: columns.map((c) => c.header),
    record_delimiter: 'windows',
    // With CRLF record ends csv-stringify quotes only fields holding CRLF; RFC 4180 wants a lone CR or LF quoted too.
    quoted_match: /[\r\n]/,
  });
  await pipeline(Readable.from(counted()), toCells, csv, opts.out, { end: opts.end, signal: opts.signal });
  return { rows, columns: columns.map((c) => c.header) };
}

/**
 * Exports to a file: written beside it under a temporary name and renamed
 * into place when complete, so a failed or interrupted export never leaves a
 * truncated file that looks whole.
 */
export async function exportRunSamplesToFile(
  db: Kysely<Database>,
  file: string,
  opts: Omit<RunExportOptions, 'out' | 'end'>,
): Promise<RunExportResult & { readonly path: string }> {
  const target = path.resolve(file);
  const partial = `${target}.partial-${process.pid}`;
  try {
    const result = await exportRunSamples(db, { ...opts, out: createWriteStream(partial), end: true });
    await rename(partial, target);
    return { ...result, path: target };
  } catch (err) {
    await rm(partial, { force: true });
    throw err;
  }
}
