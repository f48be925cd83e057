import { z } from 'zod';
import { pairVerdicts, type PairVerdict } from '../judge/judge-pair.js';
import type { ScoredSample, ScoreItem, ScoreTaskResult, TaskScoreOptions } from '../score-task.js';
import { formatMetric, type TaskSpec } from './task-spec.js';
import type { VersionedScorer } from './upstream-ref.js';

// A pairwise judge run (`evalgate judge --runs A,B --pairwise`) stores, for
// each sample both runs answered, the judge's two verdicts in model terms
// (model A against model B), first from the order that showed A's answer
// first, then from the swapped order, as `A>B|A=B`. Each verdict is also an
// arena vote (source `judge`); this task only reads them back so compare,
// `runs show` and the leaderboard treat the run like any other. A comparison
// whose verdict could not be read is a failed sample and never reaches here.
const PAIR_WIN_RATE: VersionedScorer = { version: 'judge-pair-win-rate@1', upstream: [] };

/** judge-pair reads no scorer options. */
const judgePairOptions = z.object({});

/** judge-pair metrics. */
export type JudgePairMetrics = {
  /** Model A's mean per-sample score: a win 1, a tie ½, a loss 0, over both presentation orders. */
  readonly win_rate: number;
  /** Verdicts preferring A (A≫B or A>B), ties and verdicts preferring B, over both orders. */
  readonly wins: number;
  readonly ties: number;
  readonly losses: number;
  /** Samples. */
  readonly n: number;
};

/** One sample judged in both orders. */
export interface JudgePairSample extends ScoredSample {
  /** The two verdicts in model terms (A-first order, then B-first order). */
  readonly verdicts: readonly PairVerdict[];
  /** Mean of the verdicts' scores for A (1 / ½ / 0). */
  readonly win_score: number;
}

/** A's score for one verdict in model terms. */
export function pairVerdictScore(v: PairVerdict): number {
  return v === 'A=B' ? 0.5 : v.startsWith('A>') ? 1 : 0;
}

/** The stored text of a sample's model-term verdicts (`A>B|A=B`). */
export function formatPairVerdicts(verdicts: readonly PairVerdict[]): string {
  return verdicts.join('|');
}

/** Reads `A>B|A=B` back; a text that is not one to two of the five levels is a store error. */
export function readPairVerdicts(text: string): PairVerdict[] {
  const parts = text.trim().split('|');
  const out = parts.map((p) => ((pairVerdicts as readonly string[]).includes(p) ? (p as PairVerdict) : undefined));
  if (parts.length < 1 || parts.length > 2 || out.some((v) => v === undefined)) throw new RangeError(`not a pair of verdicts: ${JSON.stringify(text)}`);
  return out as PairVerdict[];
}

/**
 * Scores pairwise verdicts. A prediction that holds no verdicts is a store
 * error, never a tie: unreadable verdicts are failed samples, so this throws.
 */
export function scoreJudgePair(items: readonly ScoreItem[], _options: TaskScoreOptions = {}): ScoreTaskResult<JudgePairMetrics, JudgePairSample> {
  let wins = 0;
  let ties = 0;
  let losses = 0;
  const samples = items.map((it): JudgePairSample => {
    let verdicts: PairVerdict[];
    try {
      verdicts = readPairVerdicts(it.prediction ?? '');
    } catch (err) {
      throw new RangeError(`judge-pair: sample ${it.id} ${(err as Error).message}`);
    }
    for (const v of verdicts) {
      if (v === 'A=B') ties++;
      else if (v.startsWith('A>')) wins++;
      else losses++;
    }
    const win_score = verdicts.reduce((s, v) => s + pairVerdictScore(v), 0) / verdicts.length;
    return { id: it.id, missing: false, prediction: formatPairVerdicts(verdicts), verdicts, win_score };
  });
  const n = samples.length;
  const win_rate = n === 0 ? 0 : samples.reduce((s, x) => s + x.win_score, 0) / n;
  return { task: 'judge-pair', normalizer: 'none', metrics: { win_rate, wins, ties, losses, n }, samples, missing: [] };
}

/** Pairwise LLM-judge verdicts between two runs' answers (written by `evalgate judge --pairwise`, not by a manifest). */
export const judgePairTask = {
  name: 'judge-pair',
  description: "a judge model's 5-level verdicts between two runs' answers, both presentation orders (evalgate judge --pairwise; not a manifest task)",
  sample: {
    target: 'reference',
    media: [],
    fields: z.object({}),
  },
  options: judgePairOptions,
  defaultPrompt: '{question}',
  scoreCommand: false,
  scoreSample: (item, options) => {
    const [s] = scoreJudgePair([item], options).samples;
    if (s === undefined) throw new Error(`the judge-pair scorer returned no sample for item ${item.id}`);
    return s;
  },
  aggregate: scoreJudgePair,
  metrics: [
    { name: 'win_rate', description: "model A's judged win rate against model B (tie ½), both orders", direction: 'higher', pairedTest: 'permutation' },
  ],
  primaryMetric: () => 'win_rate',
  pairedItem: (s) => ({ numerator: s.win_score, denominator: 1, score: s.win_score, errors: s.verdicts.join(' ') }),
  defaultNormalizer: () => 'none',
  metricSource: () => PAIR_WIN_RATE,
  metricSources: [PAIR_WIN_RATE],
  headline: (m) => `win rate ${formatMetric(m.win_rate)}`,
} as const satisfies TaskSpec<'judge-pair', JudgePairSample, JudgePairMetrics>;
