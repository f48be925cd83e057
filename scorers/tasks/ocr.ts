import { z } from 'zod';
import { NORMALIZER_NAMES } from '../normalizers/normalizer-registry.js';
import { scoreTask } from '../score-task.js';
import type { TaskSpec } from './task-spec.js';

/** Text reading: ANLS (official and lmms-eval), OCRBench, exact match, PaddleOCR norm_edit_dis, each a mean over samples. */
export const ocrTask = {
  name: 'ocr',
  description: 'text in an image: ANLS (primary), lmms ANLS, OCRBench, exact match, PaddleOCR norm_edit_dis',
  sample: {
    target: 'reference',
    requiredMedia: 'image',
    media: ['image'],
    fields: z.object({
      /** The image (or `images`), relative to the manifest. */
      image: z.string().min(1).optional(),
      /** Several images. */
      images: z.array(z.string().min(1)).min(1).optional(),
      /** One acceptable answer or a list of them. */
      reference: z.union([z.string(), z.array(z.string()).min(1)]),
      /** Source dataset; `HME100k` switches OCRBench to its handwritten-math rule (`evalgate score` input). */
      dataset_name: z.string().optional(),
    }),
  },
  options: z.object({ normalizer: z.enum(NORMALIZER_NAMES).optional() }),
  defaultPrompt: 'Read all the text in this image. Answer with the text only.',
  scoreCommand: true,
  scoreSample: (item, options = {}) => scoreTask([item], { ...options, task: 'ocr' }).samples[0]!,
  aggregate: (items, options = {}) => scoreTask(items, { ...options, task: 'ocr' }),
  metrics: [
    { name: 'anls', description: 'ANLS, official definition (threshold 0.5)', direction: 'higher', pairedTest: 'permutation' },
    { name: 'anls_lmms', description: 'ANLS as lmms-eval / VLMEvalKit compute it', direction: 'higher', pairedTest: 'permutation' },
    { name: 'ocrbench', description: 'OCRBench containment accuracy', direction: 'higher', pairedTest: 'mcnemar' },
    { name: 'exact_match', description: 'exact-match accuracy', direction: 'higher', pairedTest: 'mcnemar' },
    { name: 'norm_edit_dis', description: 'PaddleOCR character accuracy 1 − Σ NED / n', direction: 'higher', pairedTest: 'permutation' },
  ],
  primaryMetric: () => 'anls',
  pairedItem: (s) => {
    const v = s.anls ?? 0;
    return { numerator: v, denominator: 1, score: v, errors: s.exact_match ? 'exact' : '' };
  },
} as const satisfies TaskSpec<'ocr'>;
