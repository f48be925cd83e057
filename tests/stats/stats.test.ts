import { describe, expect, it } from 'vitest';
import { mcnemar, mcnemarFromCounts } from '../../scorers/stats/mcnemar.js';
import { bootstrapInterval, pairedBootstrap } from '../../scorers/stats/paired-bootstrap.js';
import { percentile } from '../../scorers/stats/percentile.js';
import { pairedPermutationTest } from '../../scorers/stats/paired-permutation.js';
import { pooledRatio } from '../../scorers/stats/ratio-stat.js';

const acc = (xs: number[]) => xs.map((x) => ({ numerator: x, denominator: 1 }));

describe('McNemar (exact)', () => {
  it('matches the hand-computed binomial tail for b=10, c=2', () => {
    // P(X <= 2), X ~ Bin(12, 1/2) = (1 + 12 + 66) / 4096; two-sided doubles it.
    const r = mcnemarFromCounts(10, 2);
    expect(r.pValue).toBeCloseTo((2 * 79) / 4096, 12);
    expect(r.chiSquare).toBeCloseTo(49 / 12, 12);
  });

  it('counts discordant pairs from outcomes and caps p at 1', () => {
    const a = [true, true, true, true, true, false, false, true];
    const b = [false, false, false, false, false, false, true, true];
    const r = mcnemar(a, b);
    expect([r.b, r.c]).toEqual([5, 1]);
    expect(r.pValue).toBeCloseTo((2 * 7) / 64, 12);
    expect(mcnemarFromCounts(3, 3).pValue).toBe(1);
    expect(mcnemarFromCounts(0, 0).pValue).toBe(1);
    expect(mcnemarFromCounts(0, 5).pValue).toBeCloseTo(2 / 32, 12);
  });
});

describe('paired permutation test', () => {
  it('gives the exact answer on a tiny case', () => {
    // Three samples, A right on all, B wrong on all: of the 8 swap patterns only
    // "none" and "all" reach |difference| = 1, so p = 2/8.
    const r = pairedPermutationTest(acc([1, 1, 1]), acc([0, 0, 0]));
    expect(r).toEqual({ difference: -1, pValue: 0.25, method: 'exact', permutations: 8 });
  });

  it('uses pooled ratios, not per-sample means', () => {
    // WER items: errors / reference words. Identical systems → p = 1.
    const a = [
      { numerator: 1, denominator: 10 },
      { numerator: 0, denominator: 2 },
    ];
    expect(pairedPermutationTest(a, a).pValue).toBe(1);
    expect(pooledRatio(a)).toBeCloseTo(1 / 12, 12);
  });

  it('is reproducible with a seed in Monte Carlo mode and never returns 0', () => {
    const a = acc(Array.from({ length: 40 }, () => 1));
    const b = acc(Array.from({ length: 40 }, () => 0));
    const r1 = pairedPermutationTest(a, b, { permutations: 2000, seed: 7 });
    const r2 = pairedPermutationTest(a, b, { permutations: 2000, seed: 7 });
    expect(r1.method).toBe('monte-carlo');
    expect(r1).toEqual(r2);
    expect(r1.pValue).toBeGreaterThan(0);
    expect(r1.pValue).toBeLessThan(0.01);
  });
});

describe('bootstrap', () => {
  it('interpolates percentiles like numpy', () => {
    expect(percentile([1, 2, 3, 4], 0.5)).toBe(2.5);
    expect(percentile([10, 20, 30], 0.025)).toBeCloseTo(10.5, 12);
  });

  it('collapses on constant data and is reproducible from its seed', () => {
    expect(bootstrapInterval(acc([1, 1, 1, 1]))).toEqual({ estimate: 1, low: 1, high: 1 });
    const data = acc(Array.from({ length: 50 }, (_, i) => (i % 3 === 0 ? 1 : 0)));
    expect(bootstrapInterval(data, { seed: 42 })).toEqual(bootstrapInterval(data, { seed: 42 }));
    expect(bootstrapInterval(data, { seed: 42 })).not.toEqual(bootstrapInterval(data, { seed: 43 }));
  });

  it('matches the normal-theory width for a Bernoulli(1/2) sample of 400', () => {
    const data = acc(Array.from({ length: 400 }, (_, i) => i % 2));
    const ci = bootstrapInterval(data, { seed: 3, iterations: 4000 });
    expect(ci.estimate).toBe(0.5);
    const half = 1.96 * Math.sqrt(0.25 / 400);
    expect(ci.low).toBeGreaterThan(0.5 - half - 0.01);
    expect(ci.low).toBeLessThan(0.5 - half + 0.01);
    expect(ci.high).toBeGreaterThan(0.5 + half - 0.01);
    expect(ci.high).toBeLessThan(0.5 + half + 0.01);
  });

  it('pairs resamples so a constant per-sample gap has a zero-width difference interval', () => {
    // B makes exactly one more error than A on every sample with 10 words:
    // every paired resample gives B − A = 0.1 exactly.
    const a = Array.from({ length: 30 }, (_, i) => ({ numerator: i % 4, denominator: 10 }));
    const b = a.map((x) => ({ numerator: x.numerator + 1, denominator: 10 }));
    const r = pairedBootstrap(a, b, { seed: 5 });
    expect(r.difference.estimate).toBeCloseTo(0.1, 12);
    expect(r.difference.low).toBeCloseTo(0.1, 12);
    expect(r.difference.high).toBeCloseTo(0.1, 12);
    expect(r.pValue).toBe(0);
    expect(r.a.low).toBeLessThan(r.a.high);
  });
});
