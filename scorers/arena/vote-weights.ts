import type { FiveLevelVote } from './arena-vote.js';

/**
 * How many wins each level of a five-level vote counts for, Arena-Hard-Auto's
 * convention (lmarena/arena-hard-auto; v0.1 `show_result.py`
 * `get_battles_from_row` at 0489bf384abd010906014dec7b903f7c438eabba repeats a
 * strong verdict `multiplier = 3` times and a plain one once, a tie is one
 * "tie" battle that `utils_math.py` `compute_mle_elo` turns into one win each
 * way after doubling every battle; v2 `show_result.py` `load_judgments(weight=3)`
 * at 196f6b826783b3da7310e361a805fa36f0be83f3 maps "A>>B" to [1]*3, "A>B" to
 * [1] and "A=B" to [0.5]). In win units:
 * A≫B = `strong` wins for A, A>B = `preference` wins for A, A=B = `tie`/2 wins
 * each way, and the mirror images for B.
 */
export interface VoteWeights {
  /** Wins credited to the preferred side of a strong preference (A>>B or B>>A). */
  readonly strong: number;
  /** Wins credited to the preferred side of a plain preference (A>B or B>A). */
  readonly preference: number;
  /** Total weight of a tie, split half a win to each side. */
  readonly tie: number;
}

/** Arena-Hard-Auto's weights: 3, 1 and a tie worth half a win each way. */
export const DEFAULT_VOTE_WEIGHTS: VoteWeights = Object.freeze({ strong: 3, preference: 1, tie: 1 });

/** Weighted wins of one vote for each side. */
export interface VoteWins {
  /** Wins credited to side A. */
  readonly winsA: number;
  /** Wins credited to side B. */
  readonly winsB: number;
}

/** Validates weights: finite and ≥ 0, and not all zero (a zero weight drops that level on purpose). */
export function checkVoteWeights(weights: VoteWeights): VoteWeights {
  for (const key of ['strong', 'preference', 'tie'] as const) {
    const w = weights[key];
    if (!(Number.isFinite(w) && w >= 0)) throw new RangeError(`vote weight ${key} must be a finite number ≥ 0, not ${w}`);
  }
  if (weights.strong + weights.preference + weights.tie === 0) throw new RangeError('vote weights are all 0: no vote would count');
  return Object.freeze({ strong: weights.strong, preference: weights.preference, tie: weights.tie });
}

/** The wins one vote adds to each side under `weights`. */
export function voteWins(vote: FiveLevelVote, weights: VoteWeights = DEFAULT_VOTE_WEIGHTS): VoteWins {
  switch (vote) {
    case 'A>>B':
      return { winsA: weights.strong, winsB: 0 };
    case 'A>B':
      return { winsA: weights.preference, winsB: 0 };
    case 'A=B':
      return { winsA: weights.tie / 2, winsB: weights.tie / 2 };
    case 'B>A':
      return { winsA: 0, winsB: weights.preference };
    case 'B>>A':
      return { winsA: 0, winsB: weights.strong };
  }
}
