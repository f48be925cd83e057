// Arena ratings: seeded bootstrap intervals, FastChat's interval rank,
// unranked models below the vote minimum, and sources kept apart.
import { describe, expect, it } from 'vitest';
import type { ArenaVote, FiveLevelVote, VoteSource } from '../../scorers/arena/arena-vote.js';
import { computeArenaRatings, type ArenaModelRating, type ArenaRatings } from '../../scorers/arena/compute-arena-ratings.js';
import { seededRandom } from '../../scorers/stats/seeded-random.js';

/** Seeded votes: model i has strength `strengths[i]` (log10 odds); 15 % ties, a third of the wins strong. */
function generate(seed: number, strengths: Record<string, number>, n: number, source: VoteSource = 'human'): ArenaVote[] {
  const rand = seededRandom(seed);
  const models = Object.keys(strengths);
  const votes: ArenaVote[] = [];
  for (let k = 0; k < n; k++) {
    const i = Math.floor(rand() * models.length);
    let j = Math.floor(rand() * (models.length - 1));
    if (j >= i) j++;
    const a = models[i]!;
    const b = models[j]!;
    const pA = 1 / (1 + 10 ** (strengths[b]! - strengths[a]!));
    let vote: FiveLevelVote;
    if (rand() < 0.15) vote = 'A=B';
    else if (rand() < pA) vote = rand() < 0.33 ? 'A>>B' : 'A>B';
    else vote = rand() < 0.33 ? 'B>>A' : 'B>A';
    votes.push({ modelA: a, modelB: b, vote, source, voterKey: `v${k % 40}` });
  }
  return votes;
}

const byModel = (r: ArenaRatings) => Object.fromEntries(r.models.map((m) => [m.model, m]));

describe('bootstrap intervals', () => {
  const votes = generate(7, { a: 0.5, b: 0.3, c: 0.25, d: -0.4 }, 800);

  it('are the same for the same seed and differ for another seed', () => {
    const one = computeArenaRatings(votes, { source: 'human', rounds: 200, seed: 42 });
    const again = computeArenaRatings(votes, { source: 'human', rounds: 200, seed: 42 });
    const other = computeArenaRatings(votes, { source: 'human', rounds: 200, seed: 43 });
    expect(again).toEqual(one);
    expect(other.models.map((m) => m.rating)).toEqual(one.models.map((m) => m.rating)); // the point fit does not resample
    expect(other.models.map((m) => [m.low, m.high])).not.toEqual(one.models.map((m) => [m.low, m.high]));
    expect(one.bootstrap).toEqual({ rounds: 200, seed: 42, alpha: 0.05, roundsWithoutMle: 0 });
  });

  it('bracket the point estimate and narrow with a wider alpha', () => {
    const r95 = computeArenaRatings(votes, { source: 'human', rounds: 300, seed: 3 });
    const r50 = computeArenaRatings(votes, { source: 'human', rounds: 300, seed: 3, alpha: 0.5 });
    for (const m of r95.models) {
      expect(m.low!).toBeLessThan(m.rating!);
      expect(m.high!).toBeGreaterThan(m.rating!);
      const n = byModel(r50)[m.model]!;
      expect(n.high! - n.low!).toBeLessThan(m.high! - m.low!);
    }
  });

  it('default to 1000 rounds and pin the anchor model in every round, as FastChat does', () => {
    const r = computeArenaRatings(votes.slice(0, 200), { source: 'human', anchor: { model: 'b', rating: 1114 } });
    expect(r.bootstrap.rounds).toBe(1000);
    expect(r.method.gauge).toEqual({ anchorModel: 'b', anchorRating: 1114 });
    const b = byModel(r).b!;
    expect([b.rating, b.low, b.high]).toEqual([1114, 1114, 1114]);
  });

  it('are left undefined (null, with the count) when some resample has no MLE', () => {
    // x beat y only once and lost nothing else to it: many resamples drop y's one win over z
    const few = [
      ...generate(1, { x: 0.1, y: 0, z: -0.1 }, 30).filter((v) => v.modelA !== 'y' && v.modelB !== 'y'),
      { modelA: 'x', modelB: 'y', vote: 'A>B', source: 'human' } as const,
      { modelA: 'y', modelB: 'z', vote: 'A>B', source: 'human' } as const,
      { modelA: 'z', modelB: 'y', vote: 'A>B', source: 'human' } as const,
    ];
    const r = computeArenaRatings(few, { source: 'human', rounds: 100, seed: 5 });
    expect(r.fit.status).toBe('ok');
    expect(r.bootstrap.roundsWithoutMle).toBeGreaterThan(0);
    for (const m of r.models) {
      expect(m.rating).not.toBeNull();
      expect([m.low, m.high, m.rank, m.unrankedReason]).toEqual([null, null, null, 'no-interval']);
    }
  });
});

describe('rank', () => {
  it('is 1 + the number of ranked models whose lower bound is above this upper bound', () => {
    const votes = generate(11, { top: 1.2, mid1: 0.2, mid2: 0.18, low: -1 }, 1500);
    const r = computeArenaRatings(votes, { source: 'human', rounds: 200, seed: 9 });
    const m = byModel(r);
    expect(m.top!.rank).toBe(1);
    expect(m.mid1!.rank).toBe(2);
    expect(m.mid2!.rank).toBe(2); // overlapping intervals share a rank
    expect(m.low!.rank).toBe(4);
    for (const x of r.models) expect(x.rank).toBe(1 + r.models.filter((y) => y !== x && y.low! > x.high!).length);
  });

  it('lists models below minVotes, unrated and unranked, and leaves their votes out of the fit', () => {
    const common = generate(12, { a: 0.5, b: 0, c: -0.5 }, 600);
    const rareVotes: ArenaVote[] = [
      { modelA: 'rare', modelB: 'a', vote: 'A>B', source: 'human' },
      { modelA: 'rare', modelB: 'c', vote: 'A>B', source: 'human' },
      { modelA: 'b', modelB: 'rare', vote: 'A>B', source: 'human' },
      { modelA: 'c', modelB: 'rare', vote: 'A>>B', source: 'human' },
    ];
    const r = computeArenaRatings([...common, ...rareVotes], { source: 'human', rounds: 100, seed: 2, minVotes: 10 });
    expect(byModel(r).rare).toEqual({
      model: 'rare',
      rating: null,
      low: null,
      high: null,
      votes: 4,
      rank: null,
      unrankedReason: 'min-votes',
    });
    expect(r.votes.excluded).toEqual({ 'min-votes': 4 });
    expect(r.models.map((m) => m.model)).toEqual(['a', 'b', 'c', 'rare']);
    expect(r.models.slice(0, 3).map((m) => m.rank)).toEqual([1, 2, 3]);
    const without = computeArenaRatings(common, { source: 'human', rounds: 100, seed: 2, minVotes: 10 });
    // the same fit and intervals as without those votes; `votes` still counts them
    const strip = ({ votes: _votes, ...rest }: ArenaModelRating) => rest;
    expect(r.models.slice(0, 3).map(strip)).toEqual(without.models.map(strip));
    expect(byModel(r).a!.votes).toBe(byModel(without).a!.votes + 1);
    // with the default minimum (1) the same model is fitted and rated
    const all = computeArenaRatings([...common, ...rareVotes], { source: 'human', rounds: 0 });
    expect(byModel(all).rare!.rating).not.toBeNull();
  });
});

describe('sources', () => {
  const human = generate(21, { a: 0.4, b: 0, c: -0.3 }, 300, 'human');
  const judge = generate(22, { a: -0.4, b: 0.2, c: 0.3 }, 300, 'judge');
  const all = [...human, ...judge];

  it('rates only the asked source and counts the others as not rated', () => {
    const h = computeArenaRatings(all, { source: 'human', rounds: 0 });
    const hOnly = computeArenaRatings(human, { source: 'human', rounds: 0 });
    expect(h.models).toEqual(hOnly.models);
    expect([h.combined, h.sources, h.votes.used, h.votes.otherSource]).toEqual([false, ['human'], 300, 300]);
    const j = computeArenaRatings(all, { source: 'judge', rounds: 0 });
    expect(byModel(j).c!.rating!).toBeGreaterThan(byModel(j).a!.rating!);
    expect(byModel(h).a!.rating!).toBeGreaterThan(byModel(h).c!.rating!);
  });

  it('pools both only when asked, and says so', () => {
    const c = computeArenaRatings(all, { source: 'combined', rounds: 0 });
    expect([c.combined, c.sources, c.votes.used, c.votes.otherSource]).toEqual([true, ['human', 'judge'], 600, 0]);
    expect(() => computeArenaRatings(all, {} as never)).toThrow(/source/);
  });
});

describe('voter outlier exclusions', () => {
  it('leaves flagged voters out and counts their votes by reason', () => {
    const honest = generate(31, { a: 0.6, b: 0, c: -0.6 }, 400).map((v) => ({ ...v, voterKey: 'crowd' }));
    const contrarian: ArenaVote[] = Array.from({ length: 12 }, (_, k) => ({
      modelA: k % 2 ? 'a' : 'c',
      modelB: k % 2 ? 'c' : 'a',
      vote: k % 2 ? 'B>>A' : 'A>>B',
      source: 'human',
      voterKey: 'troll',
    }));
    const r = computeArenaRatings([...honest, ...contrarian], { source: 'human', rounds: 0, outlierTest: true });
    expect(r.votes.excluded).toEqual({ 'voter-outlier': 12 });
    expect(r.votes.used).toBe(400);
    const kept = computeArenaRatings(honest, { source: 'human', rounds: 0 });
    expect(r.models).toEqual(kept.models);
    expect(computeArenaRatings([...honest, ...contrarian], { source: 'human', rounds: 0 }).votes.excluded).toEqual({});
  });
});
