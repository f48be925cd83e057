import { EvalgateError } from '../errors.js';

/** The prediction-file layouts `evalgate score` reads. */
export const PREDICTION_FORMATS = ['jsonl', 'lmms-eval', 'vlmevalkit'] as const;
export type PredictionFormat = (typeof PREDICTION_FORMATS)[number];

/** Whether a string names a prediction layout. */
export function isPredictionFormat(value: string): value is PredictionFormat {
  return (PREDICTION_FORMATS as readonly string[]).includes(value);
}

/**
 * Where a row came from, for messages: a line number (JSONL, CSV, TSV: the line a record starts on;
 * a number so that 100k-line files make no place strings), or "row 5" (xlsx; the header is row 1),
 * "record 3" (a JSON array), "logs[2]" (lmms-eval 0.1/0.2).
 */
export type Where = number | string;

/** A place as words: "line 12", "row 5". */
export function placeOf(where: Where): string {
  return typeof where === 'number' ? `line ${where}` : where;
}

/** One prediction read from a file. */
export interface PredictionRow {
  /** The join key's value as a string (a number such as lmms-eval's doc_id 3 becomes "3"). */
  readonly id: string;
  /** The model's answer; null when the file holds none (JSON null, an empty cell). */
  readonly prediction: string | null;
  /** Where it came from, for messages: "line 12" (JSONL) or "row 5" (table; the header is row 1). */
  readonly where: Where;
}

/** What a reader returns. */
export interface PredictionRows {
  /** The layout read (detected or forced). */
  readonly format: PredictionFormat;
  /** The field or column the ids came from (`id`, `doc_id`, `doc.question_id`, `index`…). */
  readonly key: string;
  /** One row per prediction, in file order; ids are unique. */
  readonly rows: readonly PredictionRow[];
}

/** The key each layout uses unless the caller names another. */
export const DEFAULT_KEYS: Readonly<Record<PredictionFormat, string>> = { jsonl: 'id', 'lmms-eval': 'doc_id', vlmevalkit: 'index' };

/**
 * A problem at a place in a file: EVALGATE_ERR_MANIFEST_INVALID, as score.ts reports its own input.
 * Text lines render as `file:12: field: …` (as score.ts writes them today), sheet rows as `file:row 5: …`.
 */
export function badAt(file: string, where: Where, field: string, detail: string): EvalgateError {
  const line = typeof where === 'string' && /^line \d+$/.test(where) ? Number(where.slice(5)) : where;
  return new EvalgateError('EVALGATE_ERR_MANIFEST_INVALID', { file, line, field, detail });
}

/**
 * A file that cannot be read: a missing one stays the system error (ENOENT; the CLI words it as
 * EVALGATE_ERR_FILE_NOT_FOUND with the path), anything else is a problem with the file.
 */
export function unreadable(file: string, err: unknown, what = 'cannot read'): Error {
  if ((err as NodeJS.ErrnoException | null)?.code === 'ENOENT') return err as Error;
  return badAt(file, 0, 'file', `${what}: ${(err as Error).message}`);
}

/** A short, bounded list of names for messages ("a, b, c … (40 in all)"). */
export function nameList(names: readonly string[], max = 20): string {
  if (names.length === 0) return '(none)';
  const shown = names.slice(0, max).map((n) => JSON.stringify(n));
  return names.length > max ? `${shown.join(', ')} … (${names.length} in all)` : shown.join(', ');
}

/** A key value as an id: a non-empty string, or a finite number written as JS writes it (3 → "3"). */
export function idFromValue(value: unknown): string | undefined {
  if (typeof value === 'string' && value.length > 0) return value;
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  return undefined;
}

/** Collects rows, refusing a second row with the same id (the message names both places). */
export class RowCollector {
  readonly rows: PredictionRow[] = [];
  readonly #seen = new Map<string, Where>();
  readonly #file: string;
  readonly #key: string;
  readonly #hint: string;

  constructor(file: string, key: string, duplicateHint = '') {
    this.#file = file;
    this.#key = key;
    this.#hint = duplicateHint;
  }

  add(row: PredictionRow): void {
    const first = this.#seen.get(row.id);
    if (first !== undefined) {
      throw badAt(this.#file, row.where, this.#key, `duplicate id "${row.id}" (first at ${placeOf(first)})${this.#hint}`);
    }
    this.#seen.set(row.id, row.where);
    this.rows.push(row);
  }
}
