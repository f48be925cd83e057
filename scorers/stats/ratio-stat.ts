/**
 * Per-sample contribution to a pooled ratio metric. Accuracy is
 * correct/1 per sample; corpus WER is errors/reference-words; both pool as
 * sum(numerator) / sum(denominator), exactly like the scorers do.
 */
export interface RatioItem {
  /** Errors (WER/CER) or 1/0 correct (accuracy). */
  readonly numerator: number;
  /** Reference tokens (WER/CER) or 1 (accuracy). */
  readonly denominator: number;
}

/** Pooled ratio over a set of items (by index, so resamples need no copies). */
export function pooledRatio(items: readonly RatioItem[], indices?: ArrayLike<number>): number {
  let num = 0;
  let den = 0;
  if (indices) {
    for (let i = 0; i < indices.length; i++) {
      const it = items[indices[i]!]!;
      num += it.numerator;
      den += it.denominator;
    }
  } else {
    for (const it of items) {
      num += it.numerator;
      den += it.denominator;
    }
  }
  // jiwer's convention for an empty reference: the rate is the error count.
  return den === 0 ? num : num / den;
}

/**
 * A corpus statistic over items (all of them, or those at `indices`, with
 * repeats): {@link pooledRatio} for ratio metrics, or a task's own corpus
 * score (BLEU from summed sufficient statistics) where pooling does not apply.
 */
export type CorpusStatistic<T> = (items: readonly T[], indices?: ArrayLike<number>) => number;
