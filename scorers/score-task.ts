// The single entry point for scoring a list of samples: used by
// `evalgate score`, the batch runner and the live gateway. Pure: no I/O.
// The types here are the contract every task shares; each task's own
// metrics, sample fields and options live in its file under tasks/, so a new
// task adds one file and no edit here.
import type { NormalizerName } from './normalizers/normalizer-registry.js';
import { getTask } from './tasks/index.js';
import type { ProcessOutput } from './wer/word-error-rate.js';

/** One sample to score: manifest fields plus the model's prediction. */
export interface ScoreItem {
  /** Sample id (unique within the list). */
  readonly id: string;
  /** asr: reference transcript; ocr: one acceptable answer or a list of them. */
  readonly reference?: string | readonly string[];
  /** mcq: the correct letter. */
  readonly answer?: string;
  /** mcq: the option texts (their count decides the letters A, B, …). */
  readonly choices?: readonly string[];
  /** vqa: the human answers (VQAv2/VizWiz/TextVQA `answers`, ≥ 1); present, the sample is scored with VQA accuracy instead of against `reference`. */
  readonly humanAnswers?: readonly string[];
  /** ocr: source dataset name; "HME100k" switches OCRBench to its handwritten-math rule. */
  readonly datasetName?: string;
  /** The model output; null when no prediction exists (scored as empty output, listed in `missing`). */
  readonly prediction: string | null;
}

/**
 * Scorer options as callers hold them (CLI flags, a run's stored config, a
 * live binding). Each task parses them with its own `options` schema, which
 * keeps the keys it reads and drops the rest.
 */
export type TaskScoreOptions = Readonly<Record<string, unknown>>;

/** Options of {@link scoreTask}: the task's name plus its scorer options (see each task's `options` schema). */
export type ScoreTaskOptions = TaskScoreOptions & {
  /** Which task's metrics to compute (a registered task name). */
  readonly task: string;
};

/** Corpus metrics by name. */
export type MetricValues = Readonly<Record<string, number>>;

/** Per-sample result: the fields every task writes, plus the task's own (its file names them). */
export interface ScoredSample {
  /** Sample id. */
  readonly id: string;
  /** True when the prediction was missing and scored as empty output. */
  readonly missing: boolean;
  /** Raw prediction ("" when missing). */
  readonly prediction: string;
  /** Task-specific values (asr counts, ocr ANLS, mcq extracted letter…); numbers and booleans become stored score rows. */
  readonly [field: string]: unknown;
}

/** Result of {@link scoreTask}; the `evalgate score --json` document. A task's result type adds its settings (asr `unit`, mcq `extractor`). */
export interface ScoreTaskResult<Metrics extends MetricValues = MetricValues, Sample extends ScoredSample = ScoredSample> {
  /** Task name. */
  readonly task: string;
  /** Normalizer used. */
  readonly normalizer: NormalizerName;
  /** Corpus metrics. */
  readonly metrics: Metrics;
  /** Per-sample values, in input order (empty when asr is asked for `keepSamples: false`). */
  readonly samples: readonly Sample[];
  /** Ids with no prediction (scored as empty output). */
  readonly missing: readonly string[];
  /** Tasks with `alignment`, under `keepAlignments`: the jiwer-style process output for visualisation (not serialised). */
  readonly alignment?: ProcessOutput;
}

/**
 * Scores samples for one task through the task registry (the task's
 * `aggregate`). Throws a RangeError for an unknown task name.
 */
export function scoreTask(items: readonly ScoreItem[], options: ScoreTaskOptions): ScoreTaskResult {
  const { task, ...rest } = options;
  const spec = getTask(task);
  if (!spec) throw new RangeError(`unknown task "${task}"`);
  return spec.aggregate(items, rest);
}
