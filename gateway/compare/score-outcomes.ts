import { isNormalizerName } from '../../scorers/normalizers/normalizer-registry.js';
import { getTask, type TaskSpec } from '../../scorers/tasks/index.js';
import type { ScoredSample as TaskScoredSample } from '../../scorers/score-task.js';
import { EvalgateError } from '../errors.js';
import type { CorpusStatistic, RatioItem } from '../../scorers/stats/ratio-stat.js';
import type { RunHeader, SampleOutcome } from './load-run-outcomes.js';

/** One sample's contribution to a run's primary metric. */
export interface ScoredSample {
  /** Pooled-ratio contribution (errors/words for WER, correct/1 for accuracy, ANLS/1 for OCR). */
  readonly item: RatioItem;
  /** Per-sample value of the primary metric. */
  readonly score: number;
  /** Model output. */
  readonly prediction: string | null;
  /** Short error summary (S/D/I counts, or extracted vs expected letter). */
  readonly errors: string;
}

/** A run's samples scored for comparison. */
export interface ScoredRun {
  /** Primary metric name. */
  readonly metric: string;
  /** Whether lower is better. */
  readonly lowerIsBetter: boolean;
  /** McNemar applies (binary outcomes). */
  readonly accuracyTest: boolean;
  /** Per sample key. */
  readonly byKey: ReadonlyMap<string, ScoredSample>;
  /**
   * The primary metric of any (re)sample of this run's samples, for tasks whose
   * metric is not a pooled ratio (the spec's `corpusScore`, under the run's
   * options); undefined: resampling pools the `item` ratios.
   */
  readonly corpusStatistic?: CorpusStatistic<ScoredSample>;
}

/**
 * The task scorer's own sample behind each entry, which a task's `corpusScore`
 * reads. Module-wide, not per run: the permutation test swaps entries between
 * two runs' sides. Weak, so entries leave with their runs.
 */
const taskSample = new WeakMap<ScoredSample, TaskScoredSample>();

/**
 * Scores a run's predictions with the library `evalgate score` uses, under
 * the normalizer and options recorded with the run, and turns each sample
 * into a pooled-ratio item so resampling reproduces the corpus metric.
 */
export function scoreOutcomes(task: string, outcomes: readonly SampleOutcome[], run: Pick<RunHeader, 'normalizer' | 'scoring'>): ScoredRun {
  const spec = getTask(task);
  if (!spec) throw new Error(`no scorer for task ${task}`);
  return scoreOutcomesWith(spec, outcomes, run);
}

/**
 * The scorer options a run is re-scored under: its recorded normalizer and
 * every option it recorded (BLEU tokenizer, cls labels and synonyms, mcq
 * excludeUnanswered…), so compare scores each sample as the run's own report
 * did; each task's schema keeps the keys it reads. The leaderboard groups
 * runs by the same options (board-criteria.ts).
 */
export function scoringOptionsOf(run: Pick<RunHeader, 'normalizer' | 'scoring'>): Record<string, unknown> {
  // The task's options schema checks these values.
  const normalizer = run.normalizer && isNormalizerName(run.normalizer) ? run.normalizer : undefined;
  const unit = typeof run.scoring.unit === 'string' ? run.scoring.unit : undefined;
  const extractor = typeof run.scoring.extractor === 'string' ? run.scoring.extractor : undefined;
  return { ...run.scoring, normalizer, unit, extractor };
}

/** {@link scoreOutcomes} with the task's spec in hand (any TaskSpec, registered or not). */
export function scoreOutcomesWith(spec: TaskSpec, outcomes: readonly SampleOutcome[], run: Pick<RunHeader, 'normalizer' | 'scoring'>): ScoredRun {
  const task = spec.name;
  const options = scoringOptionsOf(run);
  const result = spec.aggregate(
    outcomes.map((o) => ({
      id: o.sampleKey,
      reference: o.reference ?? undefined,
      ...(o.humanAnswers ? { humanAnswers: o.humanAnswers } : {}),
      answer: o.answer ?? undefined,
      choices: o.choices ?? undefined,
      prediction: o.prediction ?? '',
    })),
    options,
  );
  const predictionOf = new Map(outcomes.map((o) => [o.sampleKey, o.prediction]));
  const byKey = new Map<string, ScoredSample>();
  for (const s of result.samples) {
    const prediction = predictionOf.get(s.id);
    // The scorer echoes each item's id; any other id is a scorer bug, not a sample without a prediction.
    if (prediction === undefined)
      throw new EvalgateError('EVALGATE_ERR_INTERNAL', { detail: `the ${task} scorer returned sample ${s.id}, which it was not given` });
    const { numerator, denominator, score, errors } = spec.pairedItem(s);
    const entry = { item: { numerator, denominator }, score, prediction, errors };
    byKey.set(s.id, entry);
    taskSample.set(entry, s);
  }
  const metric = spec.primaryMetric(options, result.samples);
  const meta = spec.metrics.find((m) => m.name === metric)!;
  const scoreOf = spec.corpusScore?.bind(spec);
  const corpusStatistic: CorpusStatistic<ScoredSample> | undefined = scoreOf
    ? (xs, indices) => scoreOf(indices ? Array.from(indices, (i) => taskSample.get(xs[i]!)!) : xs.map((x) => taskSample.get(x)!), options)
    : undefined;
  return {
    metric,
    lowerIsBetter: meta.direction === 'lower',
    accuracyTest: meta.pairedTest === 'mcnemar',
    byKey,
    ...(corpusStatistic ? { corpusStatistic } : {}),
  };
}
