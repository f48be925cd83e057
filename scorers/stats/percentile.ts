/**
 * The one percentile definition of evalgate, for batch runs, comparisons,
 * bootstrap intervals and live sessions alike: linear interpolation between
 * order statistics, numpy's default (`np.percentile(x, q)`, method `linear`)
 * and PostgreSQL's `percentile_cont`, so a p50 means the same number whether
 * the gateway, a report or SQL over `utterances` computed it.
 */

/** p50/p90/p99 (linear interpolation, see `percentile`). */
export interface Percentiles {
  /** Median. */
  readonly p50: number;
  /** 90th percentile. */
  readonly p90: number;
  /** 99th percentile. */
  readonly p99: number;
}

/**
 * The `q`-quantile (0 ≤ q ≤ 1) of values sorted ascending: the value at
 * position (n − 1)·q, interpolated between its two neighbours. NaN when empty.
 */
export function percentile(sorted: ArrayLike<number>, q: number): number {
  if (!(q >= 0 && q <= 1)) throw new RangeError(`percentile takes a quantile in [0, 1], not ${q}`);
  const n = sorted.length;
  if (n === 0) return Number.NaN;
  const pos = (n - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  // 0 ≤ lo ≤ hi ≤ n − 1 for q in [0, 1].
  const a = sorted[lo]!;
  return a + (sorted[hi]! - a) * (pos - lo);
}

/** Sorts a copy ascending (numerically, unlike Array#sort's default). */
export function sortedCopy(values: readonly number[]): number[] {
  return [...values].sort((a, b) => a - b);
}

/** p50, p90 and p99 of unsorted values; null when there are none. */
export function percentiles(values: readonly number[]): Percentiles | null {
  if (values.length === 0) return null;
  const s = sortedCopy(values);
  return { p50: percentile(s, 0.5), p90: percentile(s, 0.9), p99: percentile(s, 0.99) };
}
