import { valueAtKey } from './json-key.js';
import { forEachJsonlLine } from './jsonl-lines.js';
import { badAt, DEFAULT_KEYS, idFromValue, nameList, RowCollector, type PredictionRows } from './prediction-rows.js';

/**
 * Reads evalgate's own layout: one JSON object per line, `{"id": …, "prediction": …}`.
 * The id is a non-empty string or a finite number; the prediction a string or null.
 * `key` names another field (or dotted path) to take the id from.
 */
export async function readPlainJsonl(file: string, key: string = DEFAULT_KEYS.jsonl): Promise<PredictionRows> {
  const out = new RowCollector(file, key);
  await forEachPlainPrediction(file, key, (id, prediction, line) => out.add({ id, prediction, where: line }));
  return { format: 'jsonl', key, rows: out.rows };
}

/**
 * The rows of evalgate's own layout, in file order, each checked as {@link readPlainJsonl} checks it, but
 * handed over one by one and not collected: ids are not checked for repeats here (the caller does that).
 * `evalgate score` joins them to the references as they are read, with no row list and no second id map.
 */
export async function forEachPlainPrediction(file: string, key: string, each: (id: string, prediction: string | null, line: number) => void): Promise<void> {
  await forEachJsonlLine(file, {}, ({ line, value }) => {
    const id = idFromValue(valueAtKey(value, key));
    if (id === undefined) {
      throw badAt(file, line, key, `missing, or not a non-empty string or finite number (keys on this line: ${nameList(Object.keys(value))})`);
    }
    if (!Object.hasOwn(value, 'prediction')) {
      throw badAt(file, line, 'prediction', `missing (keys on this line: ${nameList(Object.keys(value))})`);
    }
    const p = value.prediction;
    if (typeof p !== 'string' && p !== null) throw badAt(file, line, 'prediction', `must be a string or null, not ${describe(p)}`);
    each(id, p, line);
  });
}

/** A JSON value's kind, for messages. */
export function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return `a list of ${value.length}`;
  return typeof value === 'object' ? 'an object' : `${typeof value} ${JSON.stringify(value)}`;
}
