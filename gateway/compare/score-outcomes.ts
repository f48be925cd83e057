import type { NormalizerName } from '../../scorers/normalizers/normalizer-registry.js';
import { isNormalizerName } from '../../scorers/normalizers/normalizer-registry.js';
import type { ExtractorName } from '../../scorers/mcq/mcq-extractors.js';
import { scoreTask, type ScoreTaskKind } from '../../scorers/score-task.js';
import type { RatioItem } from '../../scorers/stats/ratio-stat.js';
import type { TokenUnit } from '../../scorers/wer/tokenize.js';
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
}

function scoringTask(task: string): ScoreTaskKind {
  // VQA answers are short strings against a list of acceptable answers,
  // which is what the OCR metrics (ANLS) score.
  return task === 'asr' || task === 'mcq' ? task : 'ocr';
}

/**
 * Scores a run's predictions with the library `evalgate score` uses, under
 * the normalizer and options recorded with the run, and turns each sample
 * into a pooled-ratio item so resampling reproduces the corpus metric.
 */
export function scoreOutcomes(task: string, outcomes: readonly SampleOutcome[], run: Pick<RunHeader, 'normalizer' | 'scoring'>): ScoredRun {
  const kind = scoringTask(task);
  const normalizer = run.normalizer && isNormalizerName(run.normalizer) ? (run.normalizer as NormalizerName) : undefined;
  const unit = typeof run.scoring.unit === 'string' ? (run.scoring.unit as TokenUnit) : undefined;
  const extractor = typeof run.scoring.extractor === 'string' ? (run.scoring.extractor as ExtractorName) : undefined;
  const result = scoreTask(
    outcomes.map((o) => ({
      id: o.sampleKey,
      reference: o.reference ?? undefined,
      answer: o.answer ?? undefined,
      choices: o.choices ?? undefined,
      prediction: o.prediction ?? '',
    })),
    { task: kind, normalizer, unit, extractor },
  );
  const byKey = new Map<string, ScoredSample>();
  result.samples.forEach((s, i) => {
    const prediction = outcomes[i]!.prediction;
    if (kind === 'asr') {
      const errs = (s.substitutions ?? 0) + (s.deletions ?? 0) + (s.insertions ?? 0);
      const words = (s.hits ?? 0) + (s.substitutions ?? 0) + (s.deletions ?? 0);
      byKey.set(s.id, {
        item: { numerator: errs, denominator: words },
        score: words === 0 ? errs : errs / words,
        prediction,
        errors: `S=${s.substitutions ?? 0} D=${s.deletions ?? 0} I=${s.insertions ?? 0}`,
      });
    } else if (kind === 'mcq') {
      const v = s.correct ? 1 : 0;
      byKey.set(s.id, { item: { numerator: v, denominator: 1 }, score: v, prediction, errors: s.extracted ? `extracted ${s.extracted}` : 'unanswered' });
    } else {
      const v = s.anls ?? 0;
      byKey.set(s.id, { item: { numerator: v, denominator: 1 }, score: v, prediction, errors: s.exact_match ? 'exact' : '' });
    }
  });
  const metric = kind === 'asr' ? (unit && unit !== 'word' ? 'cer' : 'wer') : kind === 'mcq' ? 'accuracy' : 'anls';
  return { metric, lowerIsBetter: kind === 'asr', accuracyTest: kind === 'mcq', byKey };
}
