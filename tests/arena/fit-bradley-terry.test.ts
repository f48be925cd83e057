// Bradley-Terry MLE: two three-model cases solved by hand, and agreement with
// upstream's own logistic-regression fits (FastChat's sklearn and scipy
// versions, Arena-Hard-Auto's five-level version) pinned in
// bradley-terry-oracle.json by bradley-terry-oracle.py.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { ArenaVote, FiveLevelVote } from '../../scorers/arena/arena-vote.js';
import { computeArenaRatings } from '../../scorers/arena/compute-arena-ratings.js';
import { bradleyTerryObstruction, fitBradleyTerry } from '../../scorers/arena/fit-bradley-terry.js';

type Ratings = Record<string, number>;
interface OracleCase {
  readonly name: string;
  readonly votes: readonly [string, string, FiveLevelVote][];
  readonly fastchatSklearn?: { readonly upstream: Ratings; readonly tight: Ratings };
  readonly fastchatScipy?: { readonly upstream: Ratings; readonly tight: Ratings };
  readonly arenaHard?: { readonly upstream: Ratings; readonly tight: Ratings; readonly expandedBattles: number };
}
interface Oracle {
  readonly source: Record<string, string>;
  readonly cases: readonly OracleCase[];
}
const oracle = JSON.parse(readFileSync(new URL('./bradley-terry-oracle.json', import.meta.url), 'utf8')) as Oracle;

const votesOf = (rows: readonly (readonly [string, string, FiveLevelVote])[]): ArenaVote[] =>
  rows.map(([modelA, modelB, vote]) => ({ modelA, modelB, vote, source: 'judge' }));
const repeat = (n: number, row: readonly [string, string, FiveLevelVote]): (readonly [string, string, FiveLevelVote])[] => Array.from({ length: n }, () => row);
const ratingsOf = (votes: readonly ArenaVote[], anchor?: { model: string; rating: number }): Ratings =>
  Object.fromEntries(computeArenaRatings(votes, { source: 'judge', rounds: 0, ...(anchor ? { anchor } : {}) }).models.map((m) => [m.model, m.rating!]));

describe('hand-solvable three-model cases', () => {
  it('a triangle whose win shares fit BT exactly: the MLE is those strengths, mean-zero', () => {
    // With π = 10^θ = (4, 2, 1) for (a, b, c): P(a>b) = 4/6 = 2/3, P(b>c) = 2/3, P(a>c) = 4/5.
    // Counts a–b 2:1, b–c 2:1, a–c 4:1 make each model's score equation
    //   wins_i = Σ_j n_ij · π_i / (π_i + π_j)
    // hold exactly: a: 2 + 4 = 3·(2/3) + 5·(4/5); b: 1 + 2 = 3·(1/3) + 3·(2/3); c: 1 + 1 = 3·(1/3) + 5·(1/5).
    // The log-likelihood is strictly concave on Σθ = 0 (connected graph), so this is the MLE:
    // θ = log10(4, 2, 1) − mean = (log10 2, 0, −log10 2), ratings 1000 + 400·θ.
    const votes = votesOf([
      ...repeat(2, ['a', 'b', 'A>B']),
      ...repeat(1, ['a', 'b', 'B>A']),
      ...repeat(2, ['b', 'c', 'A>B']),
      ...repeat(1, ['c', 'b', 'A>B']),
      ...repeat(4, ['c', 'a', 'B>A']),
      ...repeat(1, ['a', 'c', 'B>A']),
    ]);
    const r = ratingsOf(votes);
    expect(r.a).toBeCloseTo(1000 + 400 * Math.log10(2), 9);
    expect(r.b).toBeCloseTo(1000, 9);
    expect(r.c).toBeCloseTo(1000 - 400 * Math.log10(2), 9);
  });

  it('a chain a–b–c with ties and strong votes: each link is its own log-odds', () => {
    // Without a cycle the likelihood factors into one binomial per link, so
    // θa − θb = log10(wins_a / wins_b) on each link. Weights 3 / 1 / ½ each way:
    //   a–b: 3× A>B, 1× B>A, 2× A=B → a 3 + 1 = 4, b 1 + 1 = 2 → θa − θb = log10 2;
    //   b–c: 3× B>>C (9 wins), 1× C>B → θb − θc = log10 9.
    // Mean zero: 3θb + log10 2 − log10 9 = 0 → θb = log10(4.5)/3.
    const votes = votesOf([
      ...repeat(3, ['a', 'b', 'A>B']),
      ...repeat(1, ['a', 'b', 'B>A']),
      ...repeat(2, ['b', 'a', 'A=B']),
      ...repeat(3, ['c', 'b', 'B>>A']),
      ...repeat(1, ['c', 'b', 'A>B']),
    ]);
    const thetaB = Math.log10(4.5) / 3;
    const r = ratingsOf(votes);
    expect(r.b).toBeCloseTo(1000 + 400 * thetaB, 9);
    expect(r.a).toBeCloseTo(1000 + 400 * (thetaB + Math.log10(2)), 9);
    expect(r.c).toBeCloseTo(1000 + 400 * (thetaB - Math.log10(9)), 9);
  });

  it('an anchor shifts every rating by the same amount (FastChat scale_and_offset)', () => {
    const votes = votesOf([...repeat(2, ['a', 'b', 'A>B']), ['a', 'b', 'B>A'], ['b', 'c', 'A=B'], ['c', 'a', 'A>B']]);
    const free = ratingsOf(votes);
    const anchored = ratingsOf(votes, { model: 'b', rating: 1114 });
    expect(anchored.b).toBe(1114);
    for (const m of ['a', 'c']) expect(anchored[m]! - anchored.b!).toBeCloseTo(free[m]! - free.b!, 9);
  });
});

describe('existence of the MLE (Zermelo/Ford)', () => {
  it('finds no MLE when a model never lost, and says which', () => {
    const pairs = [
      { a: 0, b: 1, winsA: 3, winsB: 0 },
      { a: 1, b: 2, winsA: 1, winsB: 1 },
    ];
    expect(bradleyTerryObstruction(3, pairs)).toMatch(/never/);
    expect(fitBradleyTerry(3, pairs).status).toBe('no-mle');
    const r = computeArenaRatings(votesOf([...repeat(3, ['x', 'y', 'A>B']), ['y', 'z', 'A>B'], ['z', 'y', 'A>B']]), { source: 'judge', rounds: 10 });
    expect(r.fit.status).toBe('no-mle');
    expect(r.models.every((m) => m.rating === null && m.rank === null && m.unrankedReason === 'no-mle')).toBe(true);
  });

  it('a tie links two models both ways, so it is enough for an MLE', () => {
    const fit = fitBradleyTerry(2, [{ a: 0, b: 1, winsA: 3.5, winsB: 0.5 }]);
    expect(fit.status).toBe('ok');
    if (fit.status === 'ok') expect(fit.theta[0]! - fit.theta[1]!).toBeCloseTo(Math.log10(7), 12);
  });
});

describe("agreement with upstream's logistic-regression fits (bradley-terry-oracle.json)", () => {
  it('comes from the recorded upstream commits', () => {
    expect(oracle.source.fastchatSklearn).toContain('lm-sys/FastChat@e208d5677c6837d590b81cb03847c0b9de100765^');
    expect(oracle.source.fastchatScipy).toContain('lm-sys/FastChat@0e6d3e4beaab66f4d3f93db72541a4abab8af28d');
    expect(oracle.source.arenaHard).toContain('lmarena/arena-hard-auto@0489bf384abd010906014dec7b903f7c438eabba');
    expect(oracle.cases.filter((c) => c.fastchatSklearn)).toHaveLength(2);
    expect(oracle.cases.filter((c) => c.arenaHard)).toHaveLength(2);
  });

  for (const c of oracle.cases) {
    const anchorModel = 'mixtral-8x7b-instruct-v0.1';
    const hasAnchor = c.votes.some(([a, b]) => a === anchorModel || b === anchorModel);
    for (const [fit, label] of [
      [c.fastchatSklearn, 'FastChat sklearn LogisticRegression'],
      [c.fastchatScipy, 'FastChat scipy L-BFGS-B'],
      [c.arenaHard, 'Arena-Hard-Auto compute_mle_elo (5 levels, multiplier 3)'],
    ] as const) {
      if (!fit) continue;
      it(`${c.name}: ${label}, to 1e-6 rating points (tight solver)`, () => {
        const ours = ratingsOf(votesOf(c.votes), hasAnchor ? { model: anchorModel, rating: 1114 } : undefined);
        expect(Object.keys(ours).sort()).toEqual(Object.keys(fit.tight).sort());
        for (const [model, rating] of Object.entries(fit.tight)) {
          expect(Math.abs(ours[model]! - rating)).toBeLessThan(1e-6);
          // upstream's own settings stop on L-BFGS-B's default ftol, ≤ 1.2e-3 rating points short on these sets
          expect(Math.abs(ours[model]! - fit.upstream[model]!)).toBeLessThan(2e-3);
        }
        // gauge-free: every rating difference agrees too
        const names = Object.keys(fit.tight);
        for (const i of names) for (const j of names) expect(Math.abs(ours[i]! - ours[j]! - (fit.tight[i]! - fit.tight[j]!))).toBeLessThan(1e-6);
        if (!hasAnchor) {
          // the gauge: upstream's solvers start at 0 and stay on Σθ = 0, as ours does
          const values = Object.values(fit.tight);
          expect(values.reduce((s, x) => s + x, 0) / values.length).toBeCloseTo(1000, 9);
        }
      });
    }
  }
});
