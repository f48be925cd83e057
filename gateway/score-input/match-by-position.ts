import { badAt, type PredictionRows } from './prediction-rows.js';

/**
 * Joins predictions keyed by position to manifest ids: a row whose key is the integer n (lmms-eval's
 * doc_id is the doc's position in the task's evaluation split) takes the id of the manifest's n-th
 * row, counting from 0. Right only when the manifest lists the same split's docs in the same order.
 * A key that is not a non-negative integer, or is past the manifest's end, is an error naming the row.
 */
export function matchByPosition(predictions: PredictionRows, manifestIds: readonly string[], file: string): PredictionRows {
  const rows = predictions.rows.map((row) => {
    const n = /^(0|[1-9]\d*)$/.test(row.id) ? Number(row.id) : Number.NaN;
    if (!Number.isSafeInteger(n)) throw badAt(file, row.where, predictions.key, `"${row.id}" is not a position (a whole number from 0)`);
    const id = manifestIds[n];
    if (id === undefined) {
      throw badAt(file, row.where, predictions.key, `position ${n} is past the references' ${manifestIds.length} rows (positions count from 0)`);
    }
    return { ...row, id };
  });
  return { ...predictions, rows };
}
