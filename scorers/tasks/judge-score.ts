import { z } from 'zod';
import type { ScoredSample, ScoreItem, ScoreTaskResult, TaskScoreOptions } from '../score-task.js';
import { formatMetric, type TaskSpec } from './task-spec.js';
import type { VersionedScorer } from './upstream-ref.js';

// A judged run (gateway/judge/) stores, for each answer of the run it judged,
// the judge's score as its prediction text: the rubric's parse rule and scale
// were applied when the judge answered, and the rule, prompt, judge model,
// temperature and sample count are recorded in the run's `config.judge`. This
// task only reads those numbers back, so compare, the leaderboard and
// `runs show` treat a judged run like any other. The upstream of each rubric
// is named in scorers/judge/judge-presets.ts.
const JUDGE_MEAN: VersionedScorer = { version: 'judge-score-mean@1', upstream: [] };

/** judge-score reads no scorer options. */
const judgeScoreOptions = z.object({});

/** judge-score metrics. */
export type JudgeScoreMetrics = {
  /** Mean per-sample judge score, on the rubric's reported scale. */
  readonly judge_score: number;
  /** Number of judged samples. */
  readonly n: number;
};

/** One judged sample. */
export interface JudgeScoreSample extends ScoredSample {
  /** The judge's score for the answer (the mean of the rubric's samples, times its multiplier). */
  readonly judge_score: number;
}

/**
 * Reads judge scores. A prediction that is not a finite number is a store
 * error, never a judge verdict: unreadable judge replies are stored as failed
 * samples and never reach scoring, so this throws rather than score one 0.
 */
export function scoreJudgeScore(items: readonly ScoreItem[], _options: TaskScoreOptions = {}): ScoreTaskResult<JudgeScoreMetrics, JudgeScoreSample> {
  const samples = items.map((it): JudgeScoreSample => {
    const text = (it.prediction ?? '').trim();
    const x = text === '' ? Number.NaN : Number(text);
    if (!Number.isFinite(x)) throw new RangeError(`judge-score: sample ${it.id} holds no judge score (${JSON.stringify(it.prediction)})`);
    return { id: it.id, missing: false, prediction: text, judge_score: x };
  });
  const n = samples.length;
  const sum = samples.reduce((a, s) => a + s.judge_score, 0);
  return { task: 'judge-score', normalizer: 'none', metrics: { judge_score: n === 0 ? 0 : sum / n, n }, samples, missing: [] };
}

/** Pointwise LLM-judge scores of another run's answers (written by `evalgate judge`, not by a manifest). */
export const judgeScoreTask = {
  name: 'judge-score',
  description: "a judge model's pointwise scores of another run's answers (evalgate judge; not a manifest task)",
  sample: {
    target: 'reference',
    media: [],
    fields: z.object({}),
  },
  options: judgeScoreOptions,
  defaultPrompt: '{question}',
  scoreCommand: false,
  scoreSample: (item, options) => {
    const [s] = scoreJudgeScore([item], options).samples;
    if (s === undefined) throw new Error(`the judge-score scorer returned no sample for item ${item.id}`);
    return s;
  },
  aggregate: scoreJudgeScore,
  metrics: [{ name: 'judge_score', description: "mean judge score on the rubric's scale", direction: 'higher', pairedTest: 'permutation' }],
  primaryMetric: () => 'judge_score',
  pairedItem: (s) => ({ numerator: s.judge_score, denominator: 1, score: s.judge_score, errors: `judge ${s.judge_score}` }),
  defaultNormalizer: () => 'none',
  metricSource: () => JUDGE_MEAN,
  metricSources: [JUDGE_MEAN],
  headline: (m) => `judge score ${formatMetric(m.judge_score)}`,
} as const satisfies TaskSpec<'judge-score', JudgeScoreSample, JudgeScoreMetrics>;
