import { detectPredictionFormat } from './detect-prediction-format.js';
import { readPlainJsonl } from './plain-jsonl.js';
import { DEFAULT_KEYS, isPredictionFormat, PREDICTION_FORMATS, type PredictionFormat, type PredictionRows } from './prediction-rows.js';
import { EvalgateError } from '../errors.js';

export { detectPredictionFormat } from './detect-prediction-format.js';
export { matchByPosition } from './match-by-position.js';
export { DEFAULT_KEYS, isPredictionFormat, PREDICTION_FORMATS, type PredictionFormat, type PredictionRow, type PredictionRows } from './prediction-rows.js';

/** How to read a prediction file. */
export interface ReadPredictionsOptions {
  /** Force a layout (`--format`); detected from the file when absent. */
  readonly format?: PredictionFormat;
  /**
   * The field (JSONL; a dotted path such as `doc.question_id` reaches into objects) or column (tables)
   * holding each prediction's id. Defaults: `id` (jsonl), `doc_id` (lmms-eval), `index` (vlmevalkit).
   */
  readonly key?: string;
}

/**
 * Reads a prediction file written by evalgate ({id, prediction} JSONL), lmms-eval (--log_samples JSONL)
 * or VLMEvalKit (xlsx/tsv/csv result table). Ids are unique; each row says where it came from.
 */
export async function readPredictions(file: string, opts: ReadPredictionsOptions = {}): Promise<PredictionRows> {
  const { format, key } = await predictionLayout(file, opts);
  return readPredictionsAs(file, format, key);
}

/** The layout and id key a prediction file is read with: the options' (checked), else detected and defaulted. */
export async function predictionLayout(file: string, opts: ReadPredictionsOptions = {}): Promise<{ format: PredictionFormat; key: string }> {
  if (opts.format !== undefined && !isPredictionFormat(opts.format)) {
    throw new EvalgateError('EVALGATE_ERR_BAD_INPUT', { detail: `--format must be ${PREDICTION_FORMATS.join(', ')}, not "${String(opts.format)}"` });
  }
  if (opts.key !== undefined && opts.key.trim() === '') throw new EvalgateError('EVALGATE_ERR_BAD_INPUT', { detail: '--key must name a field or column' });
  const format = opts.format ?? (await detectPredictionFormat(file));
  return { format, key: opts.key ?? DEFAULT_KEYS[format] };
}

/** Reads a prediction file in a known layout (see {@link predictionLayout}). */
export async function readPredictionsAs(file: string, format: PredictionFormat, key: string): Promise<PredictionRows> {
  switch (format) {
    case 'jsonl':
      return readPlainJsonl(file, key);
    // The other harnesses' readers are loaded when needed: plain JSONL (evalgate's own) starts faster.
    case 'lmms-eval':
      return (await import('./lmms-eval-samples.js')).readLmmsEvalSamples(file, key);
    case 'vlmevalkit': {
      const { readVlmevalkitTable, tableKindOf } = await import('./vlmevalkit-table.js');
      return readVlmevalkitTable(file, key, tableKindOf(file));
    }
  }
}
