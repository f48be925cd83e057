import { describe, expect, it } from 'vitest';
import { latencyStats } from '../../gateway/runner/score-run.js';
import { percentile, percentiles } from '../../scorers/stats/percentile.js';

// Expected values are numpy's: np.percentile(x, [50, 90, 99]) (method "linear"),
// worked by hand as x_sorted[lo] + (x_sorted[hi] - x_sorted[lo]) * frac(pos), pos = (n - 1) * q.
describe('percentile (linear interpolation, numpy default)', () => {
  it('matches np.percentile on an even-length list, whatever the input order', () => {
    // sorted [1, 2, 3, 4]: pos 1.5 → 2.5; pos 2.7 → 3.7; pos 2.97 → 3.97
    const p = percentiles([4, 1, 3, 2])!;
    expect(p.p50).toBeCloseTo(2.5, 12);
    expect(p.p90).toBeCloseTo(3.7, 12);
    expect(p.p99).toBeCloseTo(3.97, 12);
  });

  it('differs from nearest rank where nearest rank jumps to an order statistic', () => {
    // sorted [15, 20, 35, 40, 50]: pos 2 → 35; pos 3.6 → 40 + 0.6·10 = 46; pos 3.96 → 49.6.
    // Nearest rank would say p90 = p99 = 50.
    expect(percentiles([50, 15, 40, 20, 35])).toEqual({ p50: 35, p90: expect.closeTo(46, 12), p99: expect.closeTo(49.6, 12) });
    // sorted [1, 10, 100, 1000]: pos 1.5 → 55; pos 2.7 → 100 + 0.7·900 = 730; pos 2.97 → 973.
    const p = percentiles([100, 1000, 10, 1])!;
    expect([p.p50, p.p90, p.p99].map((v) => Math.round(v * 1e9) / 1e9)).toEqual([55, 730, 973]);
  });

  it('sorts numerically, not as strings', () => {
    // As strings, [9, 10, 100] would sort as [10, 100, 9] and the median would be 100.
    expect(percentiles([100, 9, 10])!.p50).toBe(10);
  });

  it('handles one value, no values and the ends', () => {
    expect(percentiles([7])).toEqual({ p50: 7, p90: 7, p99: 7 });
    expect(percentiles([])).toBeNull();
    expect(percentile([], 0.5)).toBeNaN();
    expect(percentile([3, 8], 0)).toBe(3);
    expect(percentile([3, 8], 1)).toBe(8);
  });

  it('refuses a quantile outside [0, 1] instead of reading past the ends', () => {
    for (const q of [-0.01, 1.5, 50, Number.NaN]) expect(() => percentile([3, 8], q), String(q)).toThrow(RangeError);
  });

  it('is the definition the batch runner latency stats use too', () => {
    const s = latencyStats([100, 1000, 10, 1])!;
    expect([s.p50, s.p90, s.p99]).toEqual([55, 730, 973]);
  });
});
