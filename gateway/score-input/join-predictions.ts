import { forEachPlainPrediction } from './plain-jsonl.js';
import { badAt, placeOf, type PredictionRows, type Where } from './prediction-rows.js';
import { predictionLayout, readPredictionsAs, type ReadPredictionsOptions } from './read-predictions.js';
import type { ReferenceRow, References } from './read-references.js';

/**
 * Gives each reference item its prediction from `file`, joined by id: `item.prediction` is the row's
 * prediction, a null one (an empty cell) as the empty answer. An id of a row `--task` left out is
 * skipped; any other id not in the references is an error.
 *
 * Plain {id, prediction} JSONL is joined as it is read, with no row list and no second id map (on 100k
 * rows those cost ~0.1 s); other layouts are read whole, then joined. Either way the errors are the same
 * and come in the same order: every problem of reading the file (a bad line, a repeated id) before the
 * first unknown id. `onJoin` is called with each reference as it gets its prediction (before a later
 * line's error, if any, is found).
 */
export async function joinPredictionsById(
  refs: References,
  referencesFile: string,
  file: string,
  opts: ReadPredictionsOptions = {},
  onJoin?: (ref: ReferenceRow) => void,
): Promise<void> {
  const { format, key } = await predictionLayout(file, opts);
  if (format !== 'jsonl') {
    joinRows(refs, referencesFile, await readPredictionsAs(file, format, key), file, onJoin);
    return;
  }
  // Where each id was first seen, for the repeat message: a reference's own `predictionLine`, else here.
  const others = new Map<string, number>();
  let unknown: { id: string; line: number } | undefined;
  await forEachPlainPrediction(file, key, (id, prediction, line) => {
    const ref = refs.rows.get(id);
    const first = ref ? ref.predictionLine : others.get(id);
    // the message readPlainJsonl's RowCollector gives
    if (first) throw badAt(file, line, key, `duplicate id "${id}" (first at ${placeOf(first)})`);
    if (ref) {
      ref.predictionLine = line;
      ref.item.prediction = prediction ?? '';
      onJoin?.(ref);
      return;
    }
    others.set(id, line);
    if (unknown === undefined && !refs.skipped.has(id)) unknown = { id, line };
  });
  if (unknown) throw unknownId(file, unknown.line, key, unknown.id, referencesFile);
}

/** Joins rows already read (ids unique) to the references, as {@link joinPredictionsById} does. */
export function joinRows(refs: References, referencesFile: string, read: PredictionRows, file: string, onJoin?: (ref: ReferenceRow) => void): void {
  for (const row of read.rows) {
    const ref = refs.rows.get(row.id);
    if (!ref) {
      if (refs.skipped.has(row.id)) continue;
      throw unknownId(file, row.where, read.key, row.id, referencesFile);
    }
    ref.item.prediction = row.prediction ?? '';
    onJoin?.(ref);
  }
}

function unknownId(file: string, where: Where, key: string, id: string, referencesFile: string): Error {
  return badAt(file, where, key, `unknown id "${id}" (not in ${referencesFile})`);
}
