/** McNemar's test on paired right/wrong outcomes. */
export interface McNemarResult {
  /** Samples A got right and B got wrong. */
  readonly b: number;
  /** Samples A got wrong and B got right. */
  readonly c: number;
  /** Exact two-sided p-value (binomial on b + c discordant pairs, p = 0.5). */
  readonly pValue: number;
  /** Continuity-corrected chi-square statistic, (|b − c| − 1)² / (b + c). */
  readonly chiSquare: number;
}

function logChoose(n: number, k: number): number {
  let s = 0;
  for (let i = 1; i <= k; i++) s += Math.log(n - k + i) - Math.log(i);
  return s;
}

/**
 * Exact McNemar test, as statsmodels' `mcnemar(table, exact=True)`:
 * p = min(1, 2 · P(X ≤ min(b, c))) for X ~ Binomial(b + c, ½). Exact is used
 * at every size because evaluation sets are often small and discordant
 * pairs fewer still, where the chi-square approximation misleads.
 */
export function mcnemar(aCorrect: readonly boolean[], bCorrect: readonly boolean[]): McNemarResult {
  if (aCorrect.length !== bCorrect.length) throw new RangeError('McNemar needs paired outcomes of equal length');
  let b = 0;
  let c = 0;
  aCorrect.forEach((ac, i) => {
    const bc = bCorrect[i]!;
    if (ac && !bc) b++;
    else if (!ac && bc) c++;
  });
  return mcnemarFromCounts(b, c);
}

/** McNemar from the discordant counts of the 2×2 table. */
export function mcnemarFromCounts(b: number, c: number): McNemarResult {
  const n = b + c;
  if (n === 0) return { b, c, pValue: 1, chiSquare: 0 };
  const k = Math.min(b, c);
  let tail = 0;
  for (let i = 0; i <= k; i++) tail += Math.exp(logChoose(n, i) - n * Math.LN2);
  const chiSquare = (Math.abs(b - c) - 1) ** 2 / n;
  return { b, c, pValue: Math.min(1, 2 * tail), chiSquare: Math.max(0, chiSquare) };
}
