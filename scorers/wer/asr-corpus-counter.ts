// asr's corpus totals, one pair at a time (see AsrCorpusCounter), in a module that loads no normalizer:
// `evalgate score`'s byte fast path counts with it and starts ~25 ms sooner without the English
// normalizers and Whisper's spelling map.
import type { NormalizerName } from '../normalizers/normalizer-names.js';
import type { AsrMetrics, AsrScoredSample, AsrScoreResult } from '../tasks/asr.js';
import type { ScoreItem } from '../score-task.js';
import { referenceList } from '../tasks/sample-fields.js';
import { addEditCounts } from './levenshtein-align.js';
import { TokenIds, TokenInterner } from './token-interner.js';
import type { TokenUnit } from './tokenize.js';
import { alignTokensWenet } from './wenet-align.js';
import { computeMeasures } from './word-error-rate.js';

/** One pair's figures, as {@link AsrCorpusCounter.add} left them. */
interface PairCounts {
  /** Normalized reference and prediction. */
  reference: string;
  prediction: string;
  hits: number;
  substitutions: number;
  deletions: number;
  insertions: number;
  /** The pair's own rate (wer or cer). */
  rate: number;
}

/**
 * asr's corpus totals, one pair at a time: the pooled counts are sums over the pairs, so they do not
 * depend on the order the pairs come in, and `evalgate score` can add each pair as its prediction is
 * read and keep neither text (on 100k pairs that is ~30 MB less memory to touch).
 */
export class AsrCorpusCounter {
  readonly unit: TokenUnit;
  readonly normalizer: NormalizerName;
  /** The last pair added. */
  readonly last: PairCounts = { reference: '', prediction: '', hits: 0, substitutions: 0, deletions: 0, insertions: 0, rate: 0 };
  readonly #norm: (s: string) => string;
  readonly #interner = new TokenInterner();
  readonly #ref = new TokenIds();
  readonly #hyp = new TokenIds();
  readonly #edits = { hits: 0, substitutions: 0, deletions: 0, insertions: 0 };
  #hits = 0;
  #substitutions = 0;
  #deletions = 0;
  #insertions = 0;
  #numRef = 0;
  #numHyp = 0;

  /** `norm` is the named normalizer's function (the caller looks it up: this module loads no normalizer). */
  constructor(unit: TokenUnit, normalizer: NormalizerName, norm: (s: string) => string) {
    this.unit = unit;
    this.normalizer = normalizer;
    this.#norm = norm;
  }

  /** Adds one pair: a sample's raw reference(s), and its prediction (null: none, scored as empty output). */
  add(raw: ScoreItem['reference'], predictionRaw: string | null): void {
    const unit = this.unit;
    const norm = this.#norm;
    const ref = this.#ref;
    const hyp = this.#hyp;
    const reference = norm(typeof raw === 'string' ? raw : referenceList(raw).join(' '));
    const prediction = norm(predictionRaw ?? '');
    // words of the common head and tail are hits the aligner would only strip: left out, counted
    let common = 0;
    if (unit === 'word') common = this.#interner.jiwerPairIds(reference, prediction, ref, hyp);
    else {
      this.#interner.unitIds(reference, unit, ref);
      this.#interner.unitIds(prediction, unit, hyp);
    }
    if (unit === 'mixed') {
      const c = alignTokensWenet(ref.ids.subarray(0, ref.length), hyp.ids.subarray(0, hyp.length)).counts;
      this.#tally(ref.length, hyp.length, c.substitutions, c.deletions, c.insertions);
    } else this.#align(ref, hyp, common);
    this.last.reference = reference;
    this.last.prediction = prediction;
  }

  /**
   * Adds one word-unit pair its caller tokenized and interned itself (`evalgate score`'s ASCII fast path,
   * which reads words straight from bytes): `common` words were left out of both sides as hits, as
   * TokenInterner.jiwerPairIds leaves them out. `last` gets the counts; its texts are left empty.
   */
  addWordIds(ref: TokenIds, hyp: TokenIds, common: number): void {
    if (this.unit !== 'word') throw new Error(`addWordIds counts words; this counter's unit is ${this.unit}`);
    this.#align(ref, hyp, common);
    this.last.reference = '';
    this.last.prediction = '';
  }

  /** Aligns interned tokens with the bit-parallel aligner and adds the pair. */
  #align(ref: TokenIds, hyp: TokenIds, common: number): void {
    const edits = this.#edits;
    edits.substitutions = 0;
    edits.deletions = 0;
    edits.insertions = 0;
    addEditCounts(ref.ids, ref.length, hyp.ids, hyp.length, edits);
    this.#tally(ref.length + common, hyp.length + common, edits.substitutions, edits.deletions, edits.insertions);
  }

  /** Adds one pair's counts to the totals and to `last`. */
  #tally(refLen: number, hypLen: number, s: number, d: number, i: number): void {
    const unit = this.unit;
    const h = refLen - s - d;
    this.#hits += h;
    this.#substitutions += s;
    this.#deletions += d;
    this.#insertions += i;
    this.#numRef += refLen;
    this.#numHyp += hypLen;
    const last = this.last;
    last.hits = h;
    last.substitutions = s;
    last.deletions = d;
    last.insertions = i;
    // computeMeasures(…).wer for one sentence; the mixed unit rates 0/0 as 0 (see scoreAsr)
    last.rate = refLen === 0 ? (unit === 'mixed' ? 0 : i) : (s + d + i) / (h + s + d);
  }

  /** The result for the pairs added, with the given per-sample entries and missing ids. */
  result(samples: AsrScoredSample[], missing: string[]): AsrScoreResult {
    const unit = this.unit;
    const counts = { hits: this.#hits, substitutions: this.#substitutions, deletions: this.#deletions, insertions: this.#insertions };
    const m = computeMeasures(counts, this.#numRef, this.#numHyp);
    const metrics: AsrMetrics =
      unit === 'word' ? { wer: m.wer, mer: m.mer, wil: m.wil, wip: m.wip, ...counts } : { cer: unit === 'mixed' && this.#numRef === 0 ? 0 : m.wer, ...counts };
    return { task: 'asr', normalizer: this.normalizer, unit, metrics, samples, missing };
  }
}
