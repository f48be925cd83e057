// FastChat's per-voter outlier test (elo_analysis.py get_model_pair_stats +
// outlier_detect), on records small enough to compute by hand.
import { describe, expect, it } from 'vitest';
import type { ArenaVote, FiveLevelVote } from '../../scorers/arena/arena-vote.js';
import { voterOutliers } from '../../scorers/arena/voter-outliers.js';

const v = (voterKey: string, modelA: string, modelB: string, vote: FiveLevelVote): ArenaVote => ({
  modelA,
  modelB,
  vote,
  source: 'human',
  voterKey,
});
const times = (n: number, f: (k: number) => ArenaVote): ArenaVote[] => Array.from({ length: n }, (_, k) => f(k));

describe('voterOutliers', () => {
  // Pair (p, q), p first by name. The crowd: 20 votes that p won (in either seat).
  const crowd = times(20, (k) => (k % 2 ? v(`c${k}`, 'p', 'q', 'A>B') : v(`c${k}`, 'q', 'p', 'B>>A')));

  it('flags a voter against the record on the vote where M↑ first exceeds 1/alpha', () => {
    // The troll says q won, 5 times: record = 20 wins + 5 losses for p.
    // Each troll vote scores 0: p↑ = share ≤ 0 = 5/25 = 0.2 → factor 1/(2·0.2) = 2.5;
    // M↑ = 2.5^k: 2.5, 6.25, 15.625, 39.06 > 20 at the 4th vote. p↓ = 1 → factor ½.
    const troll = times(5, (k) => (k % 2 ? v('troll', 'p', 'q', 'B>A') : v('troll', 'q', 'p', 'A>>B')));
    const r = voterOutliers([...crowd, ...troll]);
    expect(r.voters.map((x) => x.voterKey)).toEqual(['troll']); // the crowd has 1 vote each, below 5
    const t = r.voters[0]!;
    expect(t.flagged).toBe(true);
    expect(t.votesChecked).toBe(4);
    expect(t.mUpper).toBeCloseTo(2.5 ** 4, 12);
    expect(t.mLower).toBeCloseTo(0.5 ** 4, 12);
    expect(t.checks[0]).toEqual({ voteIndex: 20, pUpper: 0.2, pLower: 1 });
    expect(r.flaggedVotes).toBe(5);
  });

  it('does not flag a voter who agrees with the record, nor one below minVotes', () => {
    // Agreeing: score 1, p↑ = 1 → ½; p↓ = 25/25 (own votes are in the record too) → ½.
    const fan = times(6, () => v('fan', 'p', 'q', 'A>B'));
    const shy = times(4, () => v('shy', 'q', 'p', 'A>>B'));
    const r = voterOutliers([...crowd, ...fan, ...shy]);
    expect(r.voters.map((x) => [x.voterKey, x.flagged, x.votesChecked])).toEqual([['fan', false, 6]]);
    expect(r.voters[0]!.mUpper).toBeCloseTo(0.5 ** 6, 12);
    expect(r.flaggedVotes).toBe(0);
  });

  it('scores a tie ½: p↑ = losses share, p↓ = wins share, and honours alpha and maxVotes', () => {
    // Record 20 wins, 0 losses (ties stay out of it): a tie has p↑ = 0/20 = 0, so M↑ = ∞ at once.
    const tier = times(5, () => v('tier', 'p', 'q', 'A=B'));
    const r = voterOutliers([...crowd, ...tier]);
    expect(r.voters[0]!.checks[0]).toEqual({ voteIndex: 20, pUpper: 0, pLower: 1 });
    expect(r.voters[0]!.flagged).toBe(true);
    expect(r.voters[0]!.votesChecked).toBe(1);
    // The troll again, but alpha 0.01 needs M > 100: 2.5^5 = 97.7 is not enough in 5 votes.
    const troll = times(5, () => v('troll', 'q', 'p', 'A>B'));
    expect(voterOutliers([...crowd, ...troll], { alpha: 0.01 }).voters[0]!.flagged).toBe(false);
    expect(voterOutliers([...crowd, ...troll], { maxVotes: 3 }).voters[0]).toMatchObject({ flagged: false, votesChecked: 3 });
    expect(voterOutliers([...crowd, ...troll], { minVotes: 6 }).voters).toEqual([]);
  });

  it('treats a pair with only ties as no evidence (p = 1) instead of upstream NaN', () => {
    const ties = times(6, (k) => v(`t${k % 2}`, 'x', 'y', 'A=B'));
    const r = voterOutliers(ties, { minVotes: 3 });
    expect(r.voters.map((x) => x.flagged)).toEqual([false, false]);
    expect(r.voters[0]!.checks.every((c) => c.pUpper === 1 && c.pLower === 1)).toBe(true);
  });
});
