import { extname } from 'node:path';
import { valueAtKey } from './json-key.js';
import { forEachJsonlLine, readJsonDocument } from './jsonl-lines.js';
import { describe } from './plain-jsonl.js';
import { badAt, DEFAULT_KEYS, idFromValue, nameList, RowCollector, type PredictionRows, type Where } from './prediction-rows.js';

/**
 * Reads lmms-eval's `--log_samples` file, `<output_path>/<model>/<date>_samples_<task>.jsonl`
 * (EvolvingLMMs-Lab/lmms-eval, lmms_eval/loggers/evaluation_tracker.py `save_results_samples`;
 * checked at 75571cfe0fa36ca5ec2e6aa2bb268f9d38295af3 and the v0.3, v0.4, v0.7 tags).
 *
 * Each line is one doc of the task: `doc_id` (the doc's position in the task's evaluation split,
 * `enumerate(task.eval_docs)`), `filtered_resps`, sometimes `resps`, `target`, `input`, `doc_hash`,
 * the metrics… The response shapes changed across versions, all read here:
 * - v0.3: `filtered_resps` ["answer"] (one entry per request), `resps` [["answer"]] (per request,
 *   per repeat), and `doc` kept;
 * - v0.4–v0.6: the same, but `doc` and `arguments` dropped, and `resps` dropped when it equals
 *   `filtered_resps`;
 * - v0.7 and later: one-element wrappers flattened, so `filtered_resps` is "answer";
 * - v0.1/v0.2 wrote `<output_path>/<task>.json`, one document whose `logs` array holds the samples
 *   (doc kept); a `.json` file of that shape is read the same way, `where` being "logs[i]".
 *
 * The prediction is the filtered response: a string, or single-element lists around one string
 * (unwrapped). Without `filtered_resps`, it is the first response of the first request (`resps[0][0]`,
 * or `resps[0]` for a flattened list). Several responses (a multiple-choice loglikelihood task logs
 * one [logprob, is_greedy] pair per choice) are refused: evalgate scores generated text.
 * lmms-eval writes every response through str(), so None arrives as the string "None" and is kept.
 */
export async function readLmmsEvalSamples(file: string, key: string = DEFAULT_KEYS['lmms-eval']): Promise<PredictionRows> {
  const out = new RowCollector(file, key, "; lmms-eval logs a doc once per filter pipeline when a task defines several: keep one pipeline's lines");
  const add = (value: Record<string, unknown>, where: Where): void => {
    const id = idFromValue(valueAtKey(value, key));
    if (id === undefined) {
      const docNote =
        key.startsWith('doc.') && !Object.hasOwn(value, 'doc')
          ? "; lmms-eval 0.4 and later drop `doc` from --log_samples lines, so join on doc_id (the position in the task's docs)"
          : '';
      throw badAt(file, where, key, `missing, or not a non-empty string or finite number (keys on this line: ${nameList(Object.keys(value))})${docNote}`);
    }
    out.add({ id, prediction: predictionOf(file, where, value), where });
  };
  if (extname(file).toLowerCase() === '.json') {
    // lmms-eval 0.1/0.2 wrote one `<task>.json` document: {"args", "model_configs", "logs": [samples], "time"}.
    const doc = await readJsonDocument(file);
    const logs = doc !== null && typeof doc === 'object' && !Array.isArray(doc) ? (doc as Record<string, unknown>).logs : undefined;
    if (Array.isArray(logs)) {
      logs.forEach((value: unknown, i) => {
        const where = `logs[${i}]`;
        if (value === null || typeof value !== 'object' || Array.isArray(value))
          throw badAt(file, where, 'logs', `expected a sample object, not ${describe(value)}`);
        add(value as Record<string, unknown>, where);
      });
      return { format: 'lmms-eval', key, rows: out.rows };
    }
  }
  await forEachJsonlLine(file, { pythonFloats: true }, ({ line, value }) => add(value, line));
  return { format: 'lmms-eval', key, rows: out.rows };
}

function predictionOf(file: string, line: Where, value: Record<string, unknown>): string | null {
  if (Object.hasOwn(value, 'filtered_resps')) return single(file, line, 'filtered_resps', value.filtered_resps);
  if (!Object.hasOwn(value, 'resps')) {
    throw badAt(file, line, 'filtered_resps', `missing, and no resps either (keys on this line: ${nameList(Object.keys(value))})`);
  }
  const resps = value.resps;
  if (!Array.isArray(resps)) return single(file, line, 'resps', resps);
  if (resps.length === 0) return null;
  // resps[0] is the first request's responses ([[r1, r2]] before v0.7), or the first response (a flattened [r1, r2]).
  const first: unknown = Array.isArray(resps[0]) ? (resps[0] as unknown[])[0] : resps[0];
  return single(file, line, 'resps', first ?? null);
}

/** One string out of single-element lists; null stays null; an empty list is no answer. */
function single(file: string, line: Where, field: string, value: unknown): string | null {
  let at = value;
  while (Array.isArray(at)) {
    if (at.length === 0) return null;
    if (at.length > 1) {
      throw badAt(
        file,
        line,
        field,
        `holds ${at.length} responses (${JSON.stringify(at).slice(0, 80)}); evalgate scores one generated answer per doc, and a multiple-choice loglikelihood task logs one per choice`,
      );
    }
    at = at[0];
  }
  if (typeof at === 'string' || at === null) return at;
  throw badAt(file, line, field, `must hold a string answer, not ${describe(at)}`);
}
