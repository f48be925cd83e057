import type { ArenaVote } from './arena-vote.js';

/**
 * FastChat's per-voter outlier test (lm-sys/FastChat
 * `fastchat/serve/monitor/elo_analysis.py` `get_model_pair_stats` and
 * `outlier_detect` at 0e6d3e4beaab66f4d3f93db72541a4abab8af28d): each vote of
 * a voter is compared with the record of its model pair. With the pair sorted
 * by name, a vote scores 1 when the first model won, 0 when it lost and ½ for
 * a tie (a five-level vote counts only by its winner); the record is the pair's
 * wins (1) and losses (0) over all votes, ties left out as upstream does. Two
 * one-sided p-values per vote, p↑ = share of the record ≤ the vote and
 * p↓ = share ≥ the vote, multiply into e-values M↑ = Π 1/(2p↑) and
 * M↓ = Π 1/(2p↓) over the voter's votes in order; the voter is flagged as soon
 * as either exceeds 1/alpha. Only voters with at least `minVotes` votes are
 * tested, and at most `maxVotes` of their votes are read.
 *
 * One deviation: when a pair's record has no wins or losses (only ties),
 * upstream's mean of an empty array is NaN, which makes the products NaN and
 * silently stops the test for that voter; here such a vote is uninformative
 * (p = 1, factor ½) and the test goes on.
 */

/** Options, FastChat's defaults. */
export interface VoterOutlierOptions {
  /** Significance: flag when an e-value exceeds 1/alpha (default 0.05). */
  readonly alpha?: number;
  /** Test only voters with at least this many votes (default 5). */
  readonly minVotes?: number;
  /** Read at most this many votes per voter (default 100). */
  readonly maxVotes?: number;
}

/** One tested vote. */
export interface OutlierVoteCheck {
  /** Index of the vote in the input. */
  readonly voteIndex: number;
  /** Share of the pair's record at or below this vote. */
  readonly pUpper: number;
  /** Share of the pair's record at or above this vote. */
  readonly pLower: number;
}

/** One voter's verdict. */
export interface VoterOutlier {
  /** The voter. */
  readonly voterKey: string;
  /** True when the voter's votes are unlikely under their pairs' records. */
  readonly flagged: boolean;
  /** Votes read before a verdict (all read votes when not flagged). */
  readonly votesChecked: number;
  /** Final M↑. */
  readonly mUpper: number;
  /** Final M↓. */
  readonly mLower: number;
  /** Per-vote p-values, in the order read. */
  readonly checks: readonly OutlierVoteCheck[];
}

/** Result over all voters. */
export interface VoterOutlierResult {
  /** Voters tested (those with at least `minVotes` votes), in first-vote order. */
  readonly voters: readonly VoterOutlier[];
  /** Votes cast by flagged voters. */
  readonly flaggedVotes: number;
}

/** Value of a vote for the pair's name-sorted first model: 1 won, 0 lost, ½ tie. */
function scoreForFirst(v: ArenaVote): number {
  const first = v.modelA < v.modelB ? 'A' : 'B';
  if (v.vote === 'A=B') return 0.5;
  const winner = v.vote === 'A>>B' || v.vote === 'A>B' ? 'A' : 'B';
  return winner === first ? 1 : 0;
}

/** Runs the test over votes in time order (the order given). Votes without a voterKey are not tested. */
export function voterOutliers(votes: readonly ArenaVote[], opts: VoterOutlierOptions = {}): VoterOutlierResult {
  const alpha = opts.alpha ?? 0.05;
  const minVotes = opts.minVotes ?? 5;
  const maxVotes = opts.maxVotes ?? 100;
  const pairKey = (v: ArenaVote): string => JSON.stringify(v.modelA < v.modelB ? [v.modelA, v.modelB] : [v.modelB, v.modelA]);
  const record = new Map<string, { win: number; loss: number }>();
  const byVoter = new Map<string, number[]>();
  votes.forEach((v, i) => {
    const key = pairKey(v);
    const r = record.get(key) ?? { win: 0, loss: 0 };
    const s = scoreForFirst(v);
    if (s === 1) r.win++;
    else if (s === 0) r.loss++;
    record.set(key, r);
    if (v.voterKey !== undefined) byVoter.set(v.voterKey, [...(byVoter.get(v.voterKey) ?? []), i]);
  });
  const voters: VoterOutlier[] = [];
  let flaggedVotes = 0;
  for (const [voterKey, indices] of byVoter) {
    if (indices.length < minVotes) continue;
    let mUpper = 1;
    let mLower = 1;
    let flagged = false;
    const checks: OutlierVoteCheck[] = [];
    for (const i of indices) {
      if (checks.length >= maxVotes) break;
      const v = votes[i]!;
      const s = scoreForFirst(v);
      const { win, loss } = record.get(pairKey(v))!;
      const total = win + loss;
      // The record holds `win` ones and `loss` zeros.
      const pUpper = total === 0 ? 1 : ((s >= 1 ? win : 0) + loss) / total;
      const pLower = total === 0 ? 1 : (win + (s <= 0 ? loss : 0)) / total;
      checks.push({ voteIndex: i, pUpper, pLower });
      mUpper *= 1 / (2 * pUpper);
      mLower *= 1 / (2 * pLower);
      if (mUpper > 1 / alpha || mLower > 1 / alpha) {
        flagged = true;
        break;
      }
    }
    if (flagged) flaggedVotes += indices.length;
    voters.push({ voterKey, flagged, votesChecked: checks.length, mUpper, mLower, checks });
  }
  return { voters, flaggedVotes };
}
