import { percentile } from './percentile.js';
import { pooledRatio, type CorpusStatistic, type RatioItem } from './ratio-stat.js';
import { seededRandom } from './seeded-random.js';

/** A point estimate with a percentile interval. */
export interface Interval {
  /** The statistic on the full data. */
  readonly estimate: number;
  /** Lower bound of the interval. */
  readonly low: number;
  /** Upper bound of the interval. */
  readonly high: number;
}

/** Result of a paired bootstrap over two systems scored on the same samples. */
export interface PairedBootstrapResult {
  /** Interval of system A's pooled metric. */
  readonly a: Interval;
  /** Interval of system B's pooled metric. */
  readonly b: Interval;
  /** Interval of B − A. */
  readonly difference: Interval;
  /** Share of resamples in which B − A has the opposite sign of the estimate (two-sided, doubled). */
  readonly pValue: number;
  /** Resamples drawn. */
  readonly iterations: number;
  /** Seed used. */
  readonly seed: number;
}

/** Bootstrap settings. */
export interface BootstrapOptions {
  /** Resamples (default 1000). */
  readonly iterations?: number;
  /** PRNG seed (default 1). */
  readonly seed?: number;
  /** 1 − confidence level (default 0.05 for 95 %). */
  readonly alpha?: number;
}

function interval(estimate: number, values: Float64Array, alpha: number): Interval {
  const sorted = Float64Array.from(values).sort();
  return { estimate, low: percentile(sorted, alpha / 2), high: percentile(sorted, 1 - alpha / 2) };
}

/** Bootstrap interval of one system's pooled metric (or of `stat`, a task's own corpus statistic). */
export function bootstrapInterval(items: readonly RatioItem[], opts?: BootstrapOptions): Interval;
export function bootstrapInterval<T>(items: readonly T[], opts: BootstrapOptions, stat: CorpusStatistic<T>): Interval;
export function bootstrapInterval<T>(
  items: readonly T[],
  opts: BootstrapOptions = {},
  stat: CorpusStatistic<T> = pooledRatio as CorpusStatistic<unknown>,
): Interval {
  const iterations = opts.iterations ?? 1000;
  const rand = seededRandom(opts.seed ?? 1);
  const n = items.length;
  const idx = new Uint32Array(n);
  const stats = new Float64Array(iterations);
  for (let r = 0; r < iterations; r++) {
    for (let i = 0; i < n; i++) idx[i] = Math.floor(rand() * n);
    stats[r] = stat(items, idx);
  }
  return interval(stat(items), stats, opts.alpha ?? 0.05);
}

/**
 * Paired bootstrap: each resample draws sample indices once and applies them
 * to both systems, so per-sample difficulty cancels out of the difference.
 *
 * `statA`/`statB` replace the pooled ratio with each system's own corpus
 * statistic (default: {@link pooledRatio} for both).
 */
export function pairedBootstrap(a: readonly RatioItem[], b: readonly RatioItem[], opts?: BootstrapOptions): PairedBootstrapResult;
export function pairedBootstrap<T>(
  a: readonly T[],
  b: readonly T[],
  opts: BootstrapOptions,
  statA: CorpusStatistic<T>,
  statB?: CorpusStatistic<T>,
): PairedBootstrapResult;
export function pairedBootstrap<T>(
  a: readonly T[],
  b: readonly T[],
  opts: BootstrapOptions = {},
  statA: CorpusStatistic<T> = pooledRatio as CorpusStatistic<unknown>,
  statB: CorpusStatistic<T> = statA,
): PairedBootstrapResult {
  if (a.length !== b.length) throw new RangeError(`paired bootstrap needs the same samples: ${a.length} vs ${b.length}`);
  const iterations = opts.iterations ?? 1000;
  const seed = opts.seed ?? 1;
  const alpha = opts.alpha ?? 0.05;
  const rand = seededRandom(seed);
  const n = a.length;
  const idx = new Uint32Array(n);
  const sa = new Float64Array(iterations);
  const sb = new Float64Array(iterations);
  const sd = new Float64Array(iterations);
  for (let r = 0; r < iterations; r++) {
    for (let i = 0; i < n; i++) idx[i] = Math.floor(rand() * n);
    const ra = statA(a, idx);
    const rb = statB(b, idx);
    sa[r] = ra;
    sb[r] = rb;
    sd[r] = rb - ra;
  }
  const estA = statA(a);
  const estB = statB(b);
  const diff = estB - estA;
  let opposite = 0;
  for (const d of sd) if (diff >= 0 ? d <= 0 : d >= 0) opposite++;
  return {
    a: interval(estA, sa, alpha),
    b: interval(estB, sb, alpha),
    difference: interval(diff, sd, alpha),
    pValue: n === 0 ? 1 : Math.min(1, (2 * opposite) / iterations),
    iterations,
    seed,
  };
}
