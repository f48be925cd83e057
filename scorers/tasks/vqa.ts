import { z } from 'zod';
import type { ScoredSample, ScoreItem, ScoreTaskResult, TaskScoreOptions } from '../score-task.js';
import { vqaAccuracy } from '../vqa/vqa-accuracy.js';
import { ocrTask, scoreOcr, type OcrMetrics, type OcrScoredSample } from './ocr.js';
import { missingIds } from './sample-fields.js';
import { scoreOne } from './score-one.js';
import { formatMetric, type TaskSpec } from './task-spec.js';
import type { VersionedScorer } from './upstream-ref.js';

// The official VQA evaluation (VQAv2; VizWiz and TextVQA use the same code).
// a013f00 is the repository's last commit (Mar 2021); vqaEval.py is unchanged since.
const VQA_ACCURACY: VersionedScorer = {
  version: 'vqa-accuracy@a013f00',
  upstream: [
    {
      repo: 'GT-Vision-Lab/VQA',
      ref: 'a013f0043c1e2cdc995922dfe257f7149aa9af06',
      path: 'PythonEvaluationTools/vqaEvaluation/vqaEval.py',
      symbol: 'VQAEval',
    },
  ],
};

// ocr's metric source, read from the spec so the two never drift apart.
const OCR_METRICS: VersionedScorer = ocrTask.metricSource();

/** The scorer options vqa reads: ocr's (for samples scored against a `reference` list). */
const vqaOptions = ocrTask.options;

/** vqa scorer options, as its `options` schema reads them. */
export type VqaScoreOptions = z.infer<typeof vqaOptions>;

/**
 * vqa metrics: `vqa_accuracy` over the samples with human answers, ocr's
 * metrics over the samples with a `reference` list; each group's metrics are
 * present only when the group has samples.
 */
export type VqaMetrics = Partial<OcrMetrics> & {
  /** Official VQA accuracy, the mean over samples with human answers. */
  readonly vqa_accuracy?: number;
};

/** One vqa sample scored with VQA accuracy (it carries human answers). */
export interface VqaAccuracySample extends ScoredSample {
  /** The prediction as the official evaluation compared it (cleaned; normalized when the human answers differ). */
  readonly normalized_prediction: string;
  /** Official VQA accuracy of this question, in [0, 1]. */
  readonly vqa_accuracy: number;
}

/** One vqa sample: VQA accuracy with human answers, else ocr's values. */
export type VqaScoredSample = VqaAccuracySample | OcrScoredSample;

/** Whether an item is scored with VQA accuracy: it carries human answers (a `reference` beside them is not read). */
export function hasHumanAnswers(item: Pick<ScoreItem, 'humanAnswers'>): boolean {
  return item.humanAnswers !== undefined;
}

function isVqaAccuracySample(s: VqaScoredSample): s is VqaAccuracySample {
  return typeof (s as Partial<VqaAccuracySample>).vqa_accuracy === 'number';
}

/**
 * Scores vqa samples: VQA accuracy (scorers/vqa, the official evaluation) for
 * the ones with human answers, ocr (ANLS…) for the others, under ocr's
 * options. Each group's corpus metrics are the mean over that group only. VQA
 * accuracy applies no configurable normalizer: its normalization is part of
 * the definition. Throws a RangeError for an empty human-answer list.
 */
export function scoreVqa(items: readonly ScoreItem[], options: TaskScoreOptions = {}): ScoreTaskResult<VqaMetrics, VqaScoredSample> {
  const human: number[] = [];
  const refItems: ScoreItem[] = [];
  for (const it of items) if (!hasHumanAnswers(it)) refItems.push(it);
  const ocr = scoreOcr(refItems, options);
  const ocrById = new Map(ocr.samples.map((s) => [s.id, s]));
  const samples = items.map((it): VqaScoredSample => {
    if (!hasHumanAnswers(it)) return ocrById.get(it.id)!;
    const r = vqaAccuracy(it.humanAnswers!, it.prediction ?? '');
    human.push(r.accuracy);
    return { id: it.id, missing: it.prediction === null, prediction: it.prediction ?? '', normalized_prediction: r.prediction, vqa_accuracy: r.accuracy };
  });
  let sum = 0;
  for (const a of human) sum += a;
  const metrics: VqaMetrics = {
    ...(human.length > 0 ? { vqa_accuracy: sum / human.length } : {}),
    ...(refItems.length > 0 ? ocr.metrics : {}),
  };
  return { task: 'vqa', normalizer: ocr.normalizer, metrics, samples, missing: missingIds(items) };
}

/**
 * The primary metric: `vqa_accuracy` when the scored samples carry human
 * answers, `anls` otherwise (the metric vqa ranked by before human answers
 * existed). `samples` are the task's own `aggregate` output; without them the
 * `humanAnswers` option decides (true: `vqa_accuracy`).
 */
export function vqaPrimaryMetric(options?: TaskScoreOptions, samples?: readonly VqaScoredSample[]): 'vqa_accuracy' | 'anls' {
  if (samples) return samples.some(isVqaAccuracySample) ? 'vqa_accuracy' : 'anls';
  return options?.humanAnswers === true ? 'vqa_accuracy' : 'anls';
}

/**
 * Visual question answering: VQAv2-style VQA accuracy for samples with human
 * answers (`answers` in the manifest), ocr's metrics (ANLS first) for samples
 * with a `reference` list (`evalgate score --task vqa` takes either).
 */
export const vqaTask = {
  name: 'vqa',
  description: 'a question about an image: VQA accuracy over human answers (official VQAv2 evaluation), else scored as ocr (ANLS, exact match…)',
  sample: {
    target: 'reference',
    media: ['image', 'video'],
    fields: z.union([
      z.object({
        /** The question. */
        question: z.string().optional(),
        /** One acceptable answer or a list of them (scored as ocr: ANLS…). */
        reference: z.union([z.string(), z.array(z.string()).min(1)]),
      }),
      z.object({
        /** The question. */
        question: z.string().optional(),
        /** The human answers, as VQAv2/VizWiz/TextVQA annotations list them (scored with VQA accuracy). */
        answers: z.array(z.string()).min(1),
      }),
    ]),
  },
  options: vqaOptions,
  defaultPrompt: '{question}\nAnswer the question using a single word or phrase.',
  scoreCommand: true,
  scoreSample: (item, options) => scoreOne('vqa', scoreVqa, item, options),
  aggregate: scoreVqa,
  metrics: [
    {
      name: 'vqa_accuracy',
      description: 'VQA accuracy: min(#humans giving the answer ÷ 3, 1) over the 10 choose 9 subsets, official normalization',
      direction: 'higher',
      pairedTest: 'permutation',
    },
    ...ocrTask.metrics,
  ],
  primaryMetric: vqaPrimaryMetric,
  // A sample's own primary value: its VQA accuracy when it has human answers, its ANLS otherwise.
  pairedItem: (s) => {
    if (isVqaAccuracySample(s)) {
      const v = s.vqa_accuracy;
      return { numerator: v, denominator: 1, score: v, errors: v === 1 ? '' : `vqa ${v.toFixed(2)}` };
    }
    return ocrTask.pairedItem(s);
  },
  defaultNormalizer: ocrTask.defaultNormalizer,
  // The run's record names both: which one scored a sample depends on the sample.
  metricSource: () => ({ version: `${VQA_ACCURACY.version}+${OCR_METRICS.version}`, upstream: [...VQA_ACCURACY.upstream, ...OCR_METRICS.upstream] }),
  metricSources: [VQA_ACCURACY, OCR_METRICS],
  headline: (m) =>
    [
      m.vqa_accuracy !== undefined ? `vqa_accuracy ${formatMetric(m.vqa_accuracy)}` : '',
      m.anls !== undefined ? `anls ${formatMetric(m.anls)} exact ${formatMetric(m.exact_match)}` : '',
    ]
      .filter(Boolean)
      .join(' ') || `anls ${formatMetric(undefined)}`,
} as const satisfies TaskSpec<'vqa', VqaScoredSample, VqaMetrics>;
