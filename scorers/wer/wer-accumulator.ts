// Streaming corpus WER/CER: tokenise, intern and align one pair at a time, so a
// 100k-utterance corpus never materialises token arrays. Same numbers as
// processTokens with jiwer's default transforms; used by the benchmark and by
// callers that score pairs as they arrive (the live gateway).
import type { AlignmentCounts } from './levenshtein-align.js';
import { alignTokens } from './levenshtein-align.js';
import type { ErrorMeasures } from './word-error-rate.js';
import { computeMeasures } from './word-error-rate.js';
import { forEachJiwerWord } from './tokenize.js';

/** Accumulates pooled counts over pairs added one by one. */
export class WerAccumulator {
  readonly #ids = new Map<string, number>();
  #ref: Int32Array = new Int32Array(64);
  #hyp: Int32Array = new Int32Array(64);
  #refLen = 0;
  #hypLen = 0;
  readonly #total: AlignmentCounts = { hits: 0, substitutions: 0, deletions: 0, insertions: 0 };
  #numRef = 0;
  #numHyp = 0;
  #pairs = 0;

  #pushRef = (w: string): void => {
    if (this.#refLen === this.#ref.length) this.#ref = grow(this.#ref);
    this.#ref[this.#refLen++] = this.#intern(w);
  };

  #pushHyp = (w: string): void => {
    if (this.#hypLen === this.#hyp.length) this.#hyp = grow(this.#hyp);
    this.#hyp[this.#hypLen++] = this.#intern(w);
  };

  #intern(w: string): number {
    let id = this.#ids.get(w);
    if (id === undefined) {
      id = this.#ids.size;
      this.#ids.set(w, id);
    }
    return id;
  }

  /** Adds one reference/hypothesis pair (jiwer default word split) and returns its counts. */
  addWords(reference: string, hypothesis: string): AlignmentCounts {
    this.#refLen = 0;
    this.#hypLen = 0;
    forEachJiwerWord(reference, this.#pushRef);
    forEachJiwerWord(hypothesis, this.#pushHyp);
    const { counts } = alignTokens(this.#ref.subarray(0, this.#refLen), this.#hyp.subarray(0, this.#hypLen));
    this.#total.hits += counts.hits;
    this.#total.substitutions += counts.substitutions;
    this.#total.deletions += counts.deletions;
    this.#total.insertions += counts.insertions;
    this.#numRef += this.#refLen;
    this.#numHyp += this.#hypLen;
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

function grow(a: Int32Array): Int32Array {
  const b = new Int32Array(a.length * 2);
  b.set(a);
  return b;
}
