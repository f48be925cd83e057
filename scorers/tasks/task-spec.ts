// The contract of one evaluation task. Each task is one file in this folder
// exporting a TaskSpec, and index.ts lists them: manifest validation, CLI
// choices, run, score, compare and live binding all derive from that list.
import type { z } from 'zod';
import type { NormalizerName } from '../normalizers/normalizer-registry.js';
import type { MetricValues, ScoredSample, ScoreItem, ScoreTaskResult, TaskScoreOptions } from '../score-task.js';
import type { VersionedScorer } from './upstream-ref.js';

/** A media kind a manifest sample can carry. */
export type MediaKind = 'audio' | 'image' | 'video';

export type { TaskScoreOptions } from '../score-task.js';

/** The paired significance test compare runs on a metric. */
export type PairedTest = 'permutation' | 'mcnemar';

/** One metric a task reports. */
export interface MetricSpec {
  /** Key in the scorer's `metrics` (and per-sample entries where it has one). */
  readonly name: string;
  /** One line: what it measures. */
  readonly description: string;
  /** Whether a lower or a higher value is better. */
  readonly direction: 'lower' | 'higher';
  /** Paired test for two runs' per-sample values: McNemar for 0/1 outcomes, permutation otherwise. */
  readonly pairedTest: PairedTest;
}

/** A sample's contribution to the primary metric, for compare's pooled-ratio resampling. */
export interface PairedItem {
  /** Ratio numerator (errors for WER, 1/0 for accuracy, ANLS for OCR). */
  readonly numerator: number;
  /** Ratio denominator (reference words for WER, 1 otherwise). */
  readonly denominator: number;
  /** Per-sample value of the primary metric. */
  readonly score: number;
  /** Short error summary shown beside disagreements. */
  readonly errors: string;
}

/** What a manifest sample of this task must hold. */
export interface TaskSampleSpec {
  /**
   * What the prediction is scored against: `reference` text(s), `answer` letter plus `choices`, or
   * (duplex) a turn-taking `scenario` with its `events`, stored as the reference on import.
   */
  readonly target: 'reference' | 'choice' | 'scenario';
  /** Media the sample must carry (`image` is met by `image` or `images`); undefined when none is required. */
  readonly requiredMedia?: MediaKind;
  /** Media the task sends to the model when present. */
  readonly media: readonly MediaKind[];
  /** The manifest fields the scorer reads, as a schema. */
  readonly fields: z.ZodType;
}

/**
 * One evaluation task. `Sample` and `Metrics` are the task's own per-sample
 * and corpus result types (its file declares them); the registry and the
 * generic consumers (runner, compare, live) see the defaults.
 */
export interface TaskSpec<Name extends string = string, Sample extends ScoredSample = ScoredSample, Metrics extends MetricValues = MetricValues> {
  /** The manifest's `task` value. */
  readonly name: Name;
  /** One line for `--help` and docs/scoring.md. */
  readonly description: string;
  /** Sample requirements and the fields scoring reads. */
  readonly sample: TaskSampleSpec;
  /**
   * The scorer options it reads (normalizer, unit, extractor…): the source of
   * the task's options type. Its functions parse the options bag they are
   * given with it (unknown keys dropped).
   */
  readonly options: z.ZodType<TaskScoreOptions>;
  /** Default prompt template for generalist models; `{question}`, `{options}`, `{lang}` are filled per sample. */
  readonly defaultPrompt: string;
  /** Whether `evalgate score --task` accepts it by name. */
  readonly scoreCommand: boolean;
  /** Scores one sample (the runner's and the live gateway's per-sample numbers). */
  readonly scoreSample: (item: ScoreItem, options?: TaskScoreOptions) => Sample;
  /** Scores a list of samples: corpus metrics and per-sample entries (the `evalgate score --json` document). */
  readonly aggregate: (items: readonly ScoreItem[], options?: TaskScoreOptions) => ScoreTaskResult<Metrics, Sample>;
  /** The metrics `aggregate` reports, ranked ones first. */
  readonly metrics: readonly MetricSpec[];
  /**
   * Name of the primary metric (the one compare and the leaderboard rank by) under these options,
   * and, when given, for these scored samples (vqa's is VQA accuracy when its samples carry human
   * answers). Method syntax for the same reason as `pairedItem`.
   */
  primaryMetric(options?: TaskScoreOptions, samples?: readonly Sample[]): string;
  /**
   * A scored sample's contribution to the primary metric. Method syntax on
   * purpose: it reads the task's own sample type, and the generic view
   * (`TaskSpec`) only ever hands it samples from the same spec's `aggregate`.
   */
  pairedItem(sample: Sample): PairedItem;
  /**
   * The primary metric of a set of scored samples, for metrics that are
   * neither means nor ratios of sums (corpus BLEU): compare's bootstrap and
   * permutation test resample with it instead of pooling `pairedItem`
   * ratios. Method syntax for the same reason as `pairedItem`.
   */
  corpusScore?(samples: readonly Sample[], options?: TaskScoreOptions): number;
  /** The normalizer scoring applies when the options name none. */
  readonly defaultNormalizer: (options?: TaskScoreOptions) => NormalizerName;
  /** The metric implementation used under these options, with its upstream version. */
  readonly metricSource: (options?: TaskScoreOptions) => VersionedScorer;
  /**
   * The metric's settings under these options as a signature string (ast:
   * sacrebleu's signatures less the data-dependent `nrefs`), recorded with a
   * run's scorer versions; undefined: the version says it all.
   */
  readonly metricSignature?: (options?: TaskScoreOptions) => string;
  /** Every metric implementation the task can use (docs/scoring.md's versions table). */
  readonly metricSources: readonly VersionedScorer[];
  /** Rate (Hz) local specialist models get this task's audio decoded at; undefined: no such rule. */
  readonly specialistAudioRateHz?: number;
  /** Whether `evalgate score --alignment` prints aligned pairs for this task. */
  readonly alignment?: boolean;
  /** Whether a sample takes exactly one reference (a list must hold a single string). */
  readonly singleReference?: boolean;
  /** Scorer options `evalgate demo` runs this task with. */
  readonly demoScorer?: TaskScoreOptions;
  /** One line of a run's headline metrics under `options` (`evalgate demo`'s summary). */
  readonly headline: (metrics: Readonly<Record<string, number | undefined>>, options?: TaskScoreOptions) => string;
}

/** Three decimals, or "-" for a metric the run did not report. */
export function formatMetric(x: number | undefined): string {
  return x === undefined ? '-' : x.toFixed(3);
}
