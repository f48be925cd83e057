// Streaming corpus WER/CER: tokenise, intern and align one pair at a time, so a
// 100k-utterance corpus never materialises token arrays. Same numbers as
// processTokens with jiwer's default transforms; used by the benchmark and by
// callers that score pairs as they arrive (the live gateway).
import type { AlignmentCounts } from './levenshtein-align.js';
import { addEditCounts } from './levenshtein-align.js';
import { TokenIds, TokenInterner } from './token-interner.js';
import type { ErrorMeasures } from './word-error-rate.js';
import { computeMeasures } from './word-error-rate.js';

/** Accumulates pooled counts over pairs added one by one. */
export class WerAccumulator {
  readonly #interner = new TokenInterner();
  readonly #ref = new TokenIds();
  readonly #hyp = new TokenIds();
  readonly #total: AlignmentCounts = { hits: 0, substitutions: 0, deletions: 0, insertions: 0 };
  #numRef = 0;
  #numHyp = 0;
  #pairs = 0;

  /** Adds one reference/hypothesis pair (jiwer default word split) and returns its counts. */
  addWords(reference: string, hypothesis: string): AlignmentCounts {
    const ref = this.#ref;
    const hyp = this.#hyp;
    // words of the common head and tail are hits; only the rest is aligned
    const common = this.#interner.jiwerPairIds(reference, hypothesis, ref, hyp);
    const counts: AlignmentCounts = { hits: 0, substitutions: 0, deletions: 0, insertions: 0 };
    addEditCounts(ref.ids, ref.length, hyp.ids, hyp.length, counts);
    counts.hits = ref.length + common - counts.substitutions - counts.deletions;
    this.#total.hits += counts.hits;
    this.#total.substitutions += counts.substitutions;
    this.#total.deletions += counts.deletions;
    this.#total.insertions += counts.insertions;
    this.#numRef += ref.length + common;
    this.#numHyp += hyp.length + common;
    this.#pairs++;
    return counts;
  }

  /** Number of pairs added. */
  get pairs(): number {
    return this.#pairs;
  }

  /** Pooled counts and jiwer measures so far. */
  result(): AlignmentCounts & ErrorMeasures {
    return { ...this.#total, ...computeMeasures(this.#total, this.#numRef, this.#numHyp) };
  }
}
