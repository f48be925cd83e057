import { z } from 'zod';
import { DEFAULT_EXTRACTOR, EXTRACTOR_NAMES, extractChoice, type ExtractorName } from '../mcq/mcq-extractors.js';
import { getNormalizer, NORMALIZER_NAMES, type NormalizerName } from '../normalizers/normalizer-registry.js';
import type { ScoredSample, ScoreItem, ScoreTaskResult, TaskScoreOptions } from '../score-task.js';
import { missingIds } from './sample-fields.js';
import { scoreOne } from './score-one.js';
import { formatMetric, type TaskSpec } from './task-spec.js';
import type { VersionedScorer } from './upstream-ref.js';

// Accuracy with unanswered outputs counted (or excluded) as Video-MME's evaluation script does.
const MCQ_ACCURACY: VersionedScorer = {
  version: 'mcq-accuracy@4e7566d',
  upstream: [
    { repo: 'BradyFU/Video-MME', ref: '4e7566d36f63121fc72f040654d6f38f83f30125', path: 'evaluation/eval_your_results.py', symbol: 'eval_your_results' },
  ],
};

/** The scorer options mcq reads. */
const mcqOptions = z.object({
  /** Normalizer applied to the prediction first (default `none`). */
  normalizer: z.enum(NORMALIZER_NAMES).optional(),
  /** Answer extractor (default {@link DEFAULT_EXTRACTOR}). */
  extractor: z.enum(EXTRACTOR_NAMES).optional(),
  /** Accuracy over answered samples only (Video-MME's option); default counts unanswered as wrong. */
  excludeUnanswered: z.boolean().optional(),
});

/** mcq scorer options, as its `options` schema reads them. */
export type McqScoreOptions = z.infer<typeof mcqOptions>;

/** mcq metrics (a type, not an interface, so it reads as a metric record). */
export type McqMetrics = {
  /** correct ÷ n (or correct ÷ answered with `excludeUnanswered`). */
  readonly accuracy: number;
  /** Samples from which a letter was extracted. */
  readonly answered: number;
  /** Samples from which no letter could be extracted (missing predictions included). */
  readonly unanswered: number;
  /** Number of samples. */
  readonly n: number;
};

/** One mcq sample's values. */
export interface McqScoredSample extends ScoredSample {
  /** Normalized prediction. */
  readonly normalized_prediction: string;
  /** The correct letter. */
  readonly answer: string;
  /** Extracted letter, null when unanswered. */
  readonly extracted: string | null;
  /** Whether the extracted letter is the answer (false when unanswered). */
  readonly correct: boolean;
}

/** The mcq result: the generic result plus the extractor used. */
export interface McqScoreResult extends ScoreTaskResult<McqMetrics, McqScoredSample> {
  /** Answer extractor used. */
  readonly extractor: ExtractorName;
}

/** The normalizer mcq applies when the options name none (the spec's `defaultNormalizer`, so recorded versions match). */
const defaultNormalizer = (): NormalizerName => 'none';

/** Scores mcq samples: a letter extracted by the named rule, unanswered outputs counted apart. */
export function scoreMcq(items: readonly ScoreItem[], options: TaskScoreOptions = {}): McqScoreResult {
  const opts = mcqOptions.parse(options);
  const normalizerName = opts.normalizer ?? defaultNormalizer();
  const extractor = opts.extractor ?? DEFAULT_EXTRACTOR;
  const norm = getNormalizer(normalizerName).normalize;
  let answered = 0;
  let correct = 0;
  const samples = items.map((it): McqScoredSample => {
    const pred = norm(it.prediction ?? '');
    const extracted = extractChoice(extractor, pred, it.choices?.length);
    const answer = (it.answer ?? '').trim().toUpperCase();
    const ok = extracted !== null && extracted === answer;
    if (extracted !== null) answered++;
    if (ok) correct++;
    return {
      id: it.id,
      missing: it.prediction === null,
      prediction: it.prediction ?? '',
      normalized_prediction: pred,
      answer,
      extracted,
      correct: ok,
    };
  });
  const n = items.length;
  const denom = opts.excludeUnanswered ? answered : n;
  const metrics: McqMetrics = { accuracy: denom === 0 ? 0 : correct / denom, answered, unanswered: n - answered, n };
  return { task: 'mcq', normalizer: normalizerName, extractor, metrics, samples, missing: missingIds(items) };
}

/** Multiple choice (long-video QA): a letter extracted by a named rule, unanswered outputs counted apart. */
export const mcqTask = {
  name: 'mcq',
  description: 'multiple choice: extracted letter vs answer, accuracy with unanswered outputs counted',
  sample: {
    target: 'choice',
    media: ['video', 'image', 'audio'],
    fields: z.object({
      /** The question. */
      question: z.string().optional(),
      /** Option texts in letter order. */
      choices: z.array(z.string()).min(2),
      /** The correct letter. */
      answer: z.string().regex(/^[A-Z]$/),
    }),
  },
  options: mcqOptions,
  // Video-MME's evaluation prompt (BradyFU/Video-MME README, "Evaluation Pipeline", subtitle-free form).
  defaultPrompt:
    'Select the best answer to the following multiple-choice question based on the video. ' +
    'Respond with only the letter (A, B, C, or D) of the correct option.\n' +
    '{question}\n{options}\nThe best answer is:',
  scoreCommand: true,
  scoreSample: (item, options) => scoreOne('mcq', scoreMcq, item, options),
  aggregate: scoreMcq,
  metrics: [{ name: 'accuracy', description: 'correct ÷ samples (÷ answered with excludeUnanswered)', direction: 'higher', pairedTest: 'mcnemar' }],
  primaryMetric: () => 'accuracy',
  pairedItem: (s) => {
    const v = s.correct ? 1 : 0;
    return { numerator: v, denominator: 1, score: v, errors: s.extracted ? `extracted ${s.extracted}` : 'unanswered' };
  },
  defaultNormalizer,
  metricSource: () => MCQ_ACCURACY,
  metricSources: [MCQ_ACCURACY],
  headline: (m) => `accuracy ${formatMetric(m.accuracy)}`,
} as const satisfies TaskSpec<'mcq', McqScoredSample, McqMetrics>;
