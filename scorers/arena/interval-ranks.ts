/**
 * FastChat's rank from confidence intervals (lm-sys/FastChat
 * `fastchat/serve/monitor/elo_analysis.py` `report_elo_analysis_results`, "compute ranking
 * based on CI", at 0e6d3e4beaab66f4d3f93db72541a4abab8af28d): a model's rank is 1 + the
 * number of other models whose lower bound (q025) is strictly above its upper bound (q975).
 * Models whose intervals overlap share a rank; ranks need not be consecutive.
 */

/** One model's interval. */
export interface RankInterval {
  /** Lower bound. */
  readonly low: number;
  /** Upper bound. */
  readonly high: number;
}

/** Ranks of the intervals, in input order. */
export function intervalRanks(intervals: readonly RankInterval[]): number[] {
  return intervals.map((x, i) => {
    let rank = 1;
    intervals.forEach((y, j) => {
      if (j !== i && y.low > x.high) rank++;
    });
    return rank;
  });
}
