import { z } from 'zod';
import { EXTRACTOR_NAMES } from '../mcq/mcq-extractors.js';
import { NORMALIZER_NAMES } from '../normalizers/normalizer-registry.js';
import { scoreTask } from '../score-task.js';
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
  options: z.object({
    normalizer: z.enum(NORMALIZER_NAMES).optional(),
    extractor: z.enum(EXTRACTOR_NAMES).optional(),
    excludeUnanswered: z.boolean().optional(),
  }),
  // Video-MME's evaluation prompt (BradyFU/Video-MME README, "Evaluation Pipeline", subtitle-free form).
  defaultPrompt:
    'Select the best answer to the following multiple-choice question based on the video. ' +
    'Respond with only the letter (A, B, C, or D) of the correct option.\n' +
    '{question}\n{options}\nThe best answer is:',
  scoreCommand: true,
  scoreSample: (item, options) => scoreOne('mcq', item, options),
  aggregate: (items, options = {}) => scoreTask(items, { ...options, task: 'mcq' }),
  metrics: [{ name: 'accuracy', description: 'correct ÷ samples (÷ answered with excludeUnanswered)', direction: 'higher', pairedTest: 'mcnemar' }],
  primaryMetric: () => 'accuracy',
  pairedItem: (s) => {
    const v = s.correct ? 1 : 0;
    return { numerator: v, denominator: 1, score: v, errors: s.extracted ? `extracted ${s.extracted}` : 'unanswered' };
  },
  defaultNormalizer: () => 'none',
  metricSource: () => MCQ_ACCURACY,
  metricSources: [MCQ_ACCURACY],
  headline: (m) => `accuracy ${formatMetric(m.accuracy)}`,
} as const satisfies TaskSpec<'mcq'>;
