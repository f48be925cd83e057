// FastChat's CI rank: 1 + the number of other models whose lower bound is
// strictly above this model's upper bound.
import { describe, expect, it } from 'vitest';
import { intervalRanks } from '../../scorers/arena/interval-ranks.js';

describe('intervalRanks', () => {
  it('shares a rank among overlapping intervals and skips ranks after a tie group', () => {
    // A [1200, 1250] is above everyone; B [1100, 1180] and C [1150, 1190] overlap;
    // D [1000, 1120] overlaps B but not C (C.low 1150 > D.high 1120) nor A.
    const ranks = intervalRanks([
      { low: 1200, high: 1250 },
      { low: 1100, high: 1180 },
      { low: 1150, high: 1190 },
      { low: 1000, high: 1120 },
    ]);
    expect(ranks).toEqual([1, 2, 2, 3]);
  });

  it('counts only strictly higher lower bounds (touching intervals share a rank)', () => {
    expect(
      intervalRanks([
        { low: 1100, high: 1200 },
        { low: 1000, high: 1100 },
      ]),
    ).toEqual([1, 1]);
    expect(
      intervalRanks([
        { low: 1100.001, high: 1200 },
        { low: 1000, high: 1100 },
      ]),
    ).toEqual([1, 2]);
  });

  it('ranks an empty list and a single model', () => {
    expect(intervalRanks([])).toEqual([]);
    expect(intervalRanks([{ low: 5, high: 6 }])).toEqual([1]);
  });
});
