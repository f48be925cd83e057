import { EvalgateError, type ErrorCode, type ErrorParams } from '../errors.js';
import type { PredictionFormat, PredictionRow, PredictionRows, Where } from './prediction-rows.js';

/**
 * Prediction rows in a form a worker thread can post cheaply: every id and prediction in one string with
 * their lengths in typed arrays. Posting 100k row objects would be cloned object by object (and rebuilt on
 * the receiving thread, the thread the worker is meant to relieve); one string and three buffers are copied
 * whole.
 */
export interface PackedPredictionRows {
  readonly format: PredictionFormat;
  readonly key: string;
  /** id₀ prediction₀ id₁ prediction₁ … with no separators (lengths tell them apart). */
  readonly text: string;
  /** Per row: the id's length, then the prediction's (0 for a null prediction). */
  readonly lengths: Int32Array;
  /** 1 where the prediction is null. */
  readonly nulls: Uint8Array;
  /** Line numbers when every place is one (JSONL, CSV, TSV), else the places as words ("row 5"). */
  readonly where: Int32Array | readonly string[];
}

/** Packs rows for posting (see {@link PackedPredictionRows}). */
export function packPredictionRows(read: PredictionRows): PackedPredictionRows {
  const n = read.rows.length;
  const parts: string[] = new Array<string>(2 * n);
  const lengths = new Int32Array(2 * n);
  const nulls = new Uint8Array(n);
  const numeric = read.rows.every((r) => typeof r.where === 'number');
  const lines = numeric ? new Int32Array(n) : undefined;
  for (let k = 0; k < n; k++) {
    const r = read.rows[k]!;
    parts[2 * k] = r.id;
    parts[2 * k + 1] = r.prediction ?? '';
    lengths[2 * k] = r.id.length;
    lengths[2 * k + 1] = r.prediction?.length ?? 0;
    nulls[k] = r.prediction === null ? 1 : 0;
    if (lines) lines[k] = r.where as number;
  }
  return { format: read.format, key: read.key, text: parts.join(''), lengths, nulls, where: lines ?? read.rows.map((r) => r.where as string) };
}

/** The rows back from their packed form (ids and predictions are slices of the one string). */
export function unpackPredictionRows(packed: PackedPredictionRows): PredictionRows {
  const n = packed.nulls.length;
  const rows: PredictionRow[] = new Array<PredictionRow>(n);
  let at = 0;
  for (let k = 0; k < n; k++) {
    const idEnd = at + packed.lengths[2 * k]!;
    const end = idEnd + packed.lengths[2 * k + 1]!;
    const where: Where = packed.where[k]!;
    rows[k] = { id: packed.text.slice(at, idEnd), prediction: packed.nulls[k] === 1 ? null : packed.text.slice(idEnd, end), where };
    at = end;
  }
  return { format: packed.format, key: packed.key, rows };
}

/** An error as a worker posts it: enough to rebuild the same EvalgateError or system error on the other side. */
export type PostedError =
  | { readonly kind: 'evalgate'; readonly code: ErrorCode; readonly params: ErrorParams }
  | { readonly kind: 'system'; readonly message: string; readonly code: string; readonly syscall?: string; readonly path?: string; readonly errno?: number }
  | { readonly kind: 'other'; readonly message: string; readonly stack?: string };

/** Describes an error for posting (structured clone keeps neither the class nor EvalgateError's params). */
export function postError(err: unknown): PostedError {
  if (err instanceof EvalgateError) return { kind: 'evalgate', code: err.code, params: { ...err.params } };
  const e = err as NodeJS.ErrnoException | null;
  if (e && typeof e.code === 'string' && typeof e.syscall === 'string') {
    return {
      kind: 'system',
      message: e.message,
      code: e.code,
      syscall: e.syscall,
      ...(e.path === undefined ? {} : { path: e.path }),
      ...(e.errno === undefined ? {} : { errno: e.errno }),
    };
  }
  return { kind: 'other', message: e instanceof Error ? e.message : String(err), ...(e instanceof Error && e.stack ? { stack: e.stack } : {}) };
}

/** Rebuilds a posted error: the same EvalgateError code and params, or a system error with its code and path. */
export function rebuildError(posted: PostedError): Error {
  if (posted.kind === 'evalgate') return new EvalgateError(posted.code, posted.params);
  const err = new Error(posted.message) as NodeJS.ErrnoException;
  if (posted.kind === 'system') {
    err.code = posted.code;
    if (posted.syscall !== undefined) err.syscall = posted.syscall;
    if (posted.path !== undefined) err.path = posted.path;
    if (posted.errno !== undefined) err.errno = posted.errno;
  } else if (posted.stack) err.stack = posted.stack;
  return err;
}
