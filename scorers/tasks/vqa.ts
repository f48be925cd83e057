import { z } from 'zod';
import { ocrTask, type OcrMetrics, type OcrScoredSample } from './ocr.js';
import type { TaskSpec } from './task-spec.js';

/**
 * Visual question answering, scored as ocr: short answers against a list of
 * acceptable ones is what ANLS measures (DocVQA-style benchmarks do the same).
 * `evalgate score` takes such predictions as `--task ocr`.
 */
export const vqaTask = {
  ...ocrTask,
  name: 'vqa',
  description: 'a question about an image, short answer scored as ocr (ANLS, exact match…)',
  sample: {
    target: 'reference',
    media: ['image', 'video'],
    fields: z.object({
      /** The question. */
      question: z.string().optional(),
      /** One acceptable answer or a list of them. */
      reference: z.union([z.string(), z.array(z.string()).min(1)]),
    }),
  },
  defaultPrompt: '{question}\nAnswer the question using a single word or phrase.',
  scoreCommand: false,
} as const satisfies TaskSpec<'vqa', OcrScoredSample, OcrMetrics>;
