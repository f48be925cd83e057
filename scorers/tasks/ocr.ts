import { z } from 'zod';
import { getNormalizer, NORMALIZER_NAMES, type NormalizerName } from '../normalizers/normalizer-registry.js';
import { anls, anlsLmms, exactMatch, normalizedEditDistance, normEditDis, ocrbench } from '../ocr-metrics/ocr-metrics.js';
import type { ScoredSample, ScoreItem, ScoreTaskResult, TaskScoreOptions } from '../score-task.js';
import { missingIds, referenceList } from './sample-fields.js';
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

/** The scorer options ocr reads. */
const ocrOptions = z.object({
  /** Normalizer applied to references and prediction first (default `none`). */
  normalizer: z.enum(NORMALIZER_NAMES).optional(),
});

/** ocr scorer options, as its `options` schema reads them. */
export type OcrScoreOptions = z.infer<typeof ocrOptions>;

/** ocr metrics, each the mean over samples (a type, not an interface, so it reads as a metric record). */
export type OcrMetrics = {
  /** Official ANLS. */
  readonly anls: number;
  /** lmms-eval / VLMEvalKit ANLS. */
  readonly anls_lmms: number;
  /** OCRBench containment accuracy. */
  readonly ocrbench: number;
  /** Exact-match accuracy. */
  readonly exact_match: number;
  /** PaddleOCR `norm_edit_dis` (1 − Σ NED / (n + 1e-5)). */
  readonly norm_edit_dis: number;
};

/** One ocr sample's values. */
export interface OcrScoredSample extends ScoredSample {
  /** Raw reference(s). */
  readonly reference?: string | readonly string[];
  /** Normalized prediction. */
  readonly normalized_prediction: string;
  /** Official ANLS. */
  readonly anls: number;
  /** lmms ANLS. */
  readonly anls_lmms: number;
  /** OCRBench 0/1. */
  readonly ocrbench: number;
  /** Exact match 0/1. */
  readonly exact_match: number;
  /** Normalized edit distance (PaddleOCR, ignore_space). */
  readonly ned: number;
}

function mean(xs: readonly number[]): number {
  if (xs.length === 0) return 0;
  let s = 0;
  for (const x of xs) s += x;
  return s / xs.length;
}

/** The normalizer ocr applies when the options name none (the spec's `defaultNormalizer`, so recorded versions match). */
const defaultNormalizer = (): NormalizerName => 'none';

/** Scores ocr samples: each metric per sample, averaged over the corpus (norm_edit_dis as PaddleOCR pools it). */
export function scoreOcr(items: readonly ScoreItem[], options: TaskScoreOptions = {}): ScoreTaskResult<OcrMetrics, OcrScoredSample> {
  const normalizerName = ocrOptions.parse(options).normalizer ?? defaultNormalizer();
  const norm = getNormalizer(normalizerName).normalize;
  const samples = items.map((it): OcrScoredSample => {
    const refs = referenceList(it.reference).map(norm);
    const pred = norm(it.prediction ?? '');
    return {
      id: it.id,
      missing: it.prediction === null,
      reference: it.reference,
      prediction: it.prediction ?? '',
      normalized_prediction: pred,
      anls: anls(refs, pred),
      anls_lmms: anlsLmms(refs, pred),
      ocrbench: ocrbench(refs, pred, it.datasetName),
      exact_match: exactMatch(refs, pred),
      ned: normalizedEditDistance(refs, pred),
    };
  });
  const metrics: OcrMetrics = {
    anls: mean(samples.map((s) => s.anls)),
    anls_lmms: mean(samples.map((s) => s.anls_lmms)),
    ocrbench: mean(samples.map((s) => s.ocrbench)),
    exact_match: mean(samples.map((s) => s.exact_match)),
    norm_edit_dis: normEditDis(samples.map((s) => s.ned)),
  };
  return { task: 'ocr', normalizer: normalizerName, metrics, samples, missing: missingIds(items) };
}

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
  options: ocrOptions,
  defaultPrompt: 'Read all the text in this image. Answer with the text only.',
  scoreCommand: true,
  scoreSample: (item, options) => scoreOne('ocr', scoreOcr, item, options),
  aggregate: scoreOcr,
  metrics: [
    { name: 'anls', description: 'ANLS, official definition (threshold 0.5)', direction: 'higher', pairedTest: 'permutation' },
    { name: 'anls_lmms', description: 'ANLS as lmms-eval / VLMEvalKit compute it', direction: 'higher', pairedTest: 'permutation' },
    { name: 'ocrbench', description: 'OCRBench containment accuracy', direction: 'higher', pairedTest: 'mcnemar' },
    { name: 'exact_match', description: 'exact-match accuracy', direction: 'higher', pairedTest: 'mcnemar' },
    { name: 'norm_edit_dis', description: 'PaddleOCR character accuracy 1 − Σ NED / n', direction: 'higher', pairedTest: 'permutation' },
  ],
  primaryMetric: () => 'anls',
  pairedItem: (s) => {
    const v = s.anls;
    return { numerator: v, denominator: 1, score: v, errors: s.exact_match ? 'exact' : '' };
  },
  defaultNormalizer,
  metricSource: () => OCR_METRICS,
  metricSources: [OCR_METRICS],
  headline: (m) => `anls ${formatMetric(m.anls)} exact ${formatMetric(m.exact_match)}`,
} as const satisfies TaskSpec<'ocr', OcrScoredSample, OcrMetrics>;
