// Five-level vote weights, Arena-Hard-Auto's convention (3 / 1 / ½ each way),
// configurable and returned with the ratings.
import { describe, expect, it } from 'vitest';
import { FIVE_LEVEL_VOTES, isFiveLevelVote, type ArenaVote, type FiveLevelVote } from '../../scorers/arena/arena-vote.js';
import { computeArenaRatings } from '../../scorers/arena/compute-arena-ratings.js';
import { checkVoteWeights, DEFAULT_VOTE_WEIGHTS, voteWins } from '../../scorers/arena/vote-weights.js';

const vote = (modelA: string, modelB: string, v: FiveLevelVote): ArenaVote => ({ modelA, modelB, vote: v, source: 'human' });

describe('voteWins', () => {
  it('counts A>>B as 3 wins, A>B as 1, A=B as half a win each way, and mirrors them for B', () => {
    expect(FIVE_LEVEL_VOTES.map((v) => voteWins(v))).toEqual([
      { winsA: 3, winsB: 0 },
      { winsA: 1, winsB: 0 },
      { winsA: 0.5, winsB: 0.5 },
      { winsA: 0, winsB: 1 },
      { winsA: 0, winsB: 3 },
    ]);
  });

  it('takes other weights', () => {
    const w = { strong: 2, preference: 1, tie: 0 };
    expect(voteWins('B>>A', w)).toEqual({ winsA: 0, winsB: 2 });
    expect(voteWins('A=B', w)).toEqual({ winsA: 0, winsB: 0 });
  });

  it('refuses negative, non-finite or all-zero weights', () => {
    expect(() => checkVoteWeights({ strong: -1, preference: 1, tie: 1 })).toThrow(/strong/);
    expect(() => checkVoteWeights({ strong: 3, preference: Number.NaN, tie: 1 })).toThrow(/preference/);
    expect(() => checkVoteWeights({ strong: 0, preference: 0, tie: 0 })).toThrow(/all 0/);
  });

  it('knows the five levels and nothing else', () => {
    expect(FIVE_LEVEL_VOTES.every(isFiveLevelVote)).toBe(true);
    expect(isFiveLevelVote('A<B')).toBe(false);
    expect(isFiveLevelVote(1)).toBe(false);
    const bad = { modelA: 'x', modelB: 'y', vote: 'A<B', source: 'human' } as unknown as ArenaVote;
    expect(() => computeArenaRatings([bad], { source: 'human', rounds: 0 })).toThrow(/A<B/);
    expect(() => computeArenaRatings([vote('x', 'x', 'A>B')], { source: 'human', rounds: 0 })).toThrow(/against itself/);
  });
});

describe('weights in the ratings', () => {
  const base = [vote('x', 'y', 'B>A'), vote('y', 'z', 'A=B'), vote('z', 'x', 'A>B'), vote('x', 'z', 'A>B')];

  it('one A>>B moves the ratings exactly as three A>B do', () => {
    const strong = computeArenaRatings([...base, vote('x', 'y', 'A>>B')], { source: 'human', rounds: 0 });
    const three = computeArenaRatings([...base, ...Array.from({ length: 3 }, () => vote('x', 'y', 'A>B'))], {
      source: 'human',
      rounds: 0,
    });
    for (const m of strong.models) expect(m.rating!).toBeCloseTo(three.models.find((t) => t.model === m.model)!.rating!, 9);
    // and differs from a single A>B
    const one = computeArenaRatings([...base, vote('x', 'y', 'A>B')], { source: 'human', rounds: 0 });
    expect(Math.abs(one.models[0]!.rating! - strong.models[0]!.rating!)).toBeGreaterThan(1);
  });

  it('two ties equal one win each way, and the result records the weights used', () => {
    const ties = computeArenaRatings([...base, vote('x', 'y', 'A=B'), vote('y', 'x', 'A=B')], { source: 'human', rounds: 0 });
    const split = computeArenaRatings([...base, vote('x', 'y', 'A>B'), vote('x', 'y', 'B>A')], { source: 'human', rounds: 0 });
    for (const m of ties.models) expect(m.rating!).toBeCloseTo(split.models.find((t) => t.model === m.model)!.rating!, 9);
    expect(ties.weights).toEqual(DEFAULT_VOTE_WEIGHTS);
    const custom = computeArenaRatings(base, { source: 'human', rounds: 0, weights: { strong: 2, preference: 1, tie: 1 } });
    expect(custom.weights).toEqual({ strong: 2, preference: 1, tie: 1 });
  });
});
