import { z } from 'zod';
import { NORMALIZER_NAMES } from '../normalizers/normalizer-registry.js';
import { scoreTask } from '../score-task.js';
import { scoreOne } from './score-one.js';
import { formatMetric, type TaskSpec } from './task-spec.js';
import type { VersionedScorer } from './upstream-ref.js';

// anls follows the ST-VQA paper's definition (no code upstream); the others name the code they reproduce.
// Dated by the last review of scorers/ocr-metrics against these sources.
const OCR_METRICS: VersionedScorer = {
  version: 'ocr-metrics@2026-11-28',
  upstream: [
    { repo: 'EvolvingLMMs-Lab/lmms-eval', ref: '75571cfe0fa36ca5ec2e6aa2bb268f9d38295af3', path: 'lmms_eval/api/metrics.py', symbol: 'anls' },
    { repo: 'Yuliang-Liu/MultimodalOCR', ref: 'f5cbec66817b643f732f11cdc7b3a550963b70dc', path: 'OCRBench/example.py' },
    { repo: 'PaddlePaddle/PaddleOCR', ref: 'df64d404e72ac67e524da872d88e2ef6df0a12ab', path: 'ppocr/metrics/rec_metric.py', symbol: 'RecMetric' },
  ],
};

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
  scoreSample: (item, options) => scoreOne('ocr', item, options),
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
  defaultNormalizer: () => 'none',
  metricSource: () => OCR_METRICS,
  metricSources: [OCR_METRICS],
  headline: (m) => `anls ${formatMetric(m.anls)} exact ${formatMetric(m.exact_match)}`,
} as const satisfies TaskSpec<'ocr'>;
