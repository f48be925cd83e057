// Corpus chrF / chrF++ with sacrebleu's semantics (sacrebleu/metrics/chrf.py and helpers.py
// at the release in sacrebleu-version.ts): character n-grams of the text with whitespace
// removed, optional word n-grams after chrF's punctuation splitting, per sample the
// reference with the best f-score, statistics summed over the corpus, and sacrebleu's
// default effective-order averaging (or chrF++.py's epsilon smoothing).
import { codePoints, pySplit } from '../normalizers/python-text.js';
import { checkCorpus, removePyWhitespace, tokenSpans, type SampleReferences } from './corpus-input.js';
import { clippedMatches, LocalIds, ngramIds, type NgramIds } from './ngram-multiset.js';
import { chrfSignature, nrefsOf } from './sacrebleu-signature.js';

export interface ChrfOptions {
  /** Character n-gram order (default 6). */
  charOrder?: number;
  /** Word n-gram order: 0 for chrF (default), 2 for chrF++. */
  wordOrder?: number;
  /** Recall weight (default 2). */
  beta?: number;
  /** Lowercase first (default false: case-sensitive). */
  lowercase?: boolean;
  /** Keep whitespace inside character n-grams (default false). */
  whitespace?: boolean;
  /** chrF++.py / NLTK epsilon smoothing instead of effective-order averaging (default false). */
  epsSmoothing?: boolean;
}

export interface ChrfScore {
  /** 0–100. */
  score: number;
  /** sacrebleu's name: `chrF2`, `chrF2++`. */
  name: string;
  charOrder: number;
  wordOrder: number;
  beta: number;
  /** e.g. `nrefs:1|case:mixed|eff:yes|nc:6|nw:0|space:no|version:2.6.0`. */
  signature: string;
}

/** chrF's "primitive tokenization" (string.punctuation). */
const PUNCTS = new Set('!"#$%&\'()*+,-./:;<=>?@[\\]^_`{|}~');

/**
 * sacrebleu's `CHRF._remove_punctuation`: split on whitespace, then one punctuation mark
 * at the end of a word (else at its start) becomes its own word; `(hi)` gives `(hi`, `)`.
 */
export function chrfWords(sent: string): string[] {
  const out: string[] = [];
  for (const w of pySplit(sent)) {
    // Punctuation is ASCII, so checking UTF-16 ends is checking code points; a one-code-point
    // astral word fails both checks and is kept whole, as Python's len(w) == 1 branch does.
    if (w.length === 1) out.push(w);
    else if (PUNCTS.has(w[w.length - 1]!)) out.push(w.slice(0, -1), w[w.length - 1]!);
    else if (PUNCTS.has(w[0]!)) out.push(w[0]!, w.slice(1));
    else out.push(w);
  }
  return out;
}

const SURROGATE = /[\uD800-\uDFFF]/;

/** Per order 1..maxOrder, counts of character n-grams (code points, as Python slices). */
function charNgrams(line: string, maxOrder: number, whitespace: boolean): Map<string, number>[] {
  const s = whitespace ? line : removePyWhitespace(line);
  const out: Map<string, number>[] = [];
  if (!SURROGATE.test(s)) {
    for (let n = 1; n <= maxOrder; n++) {
      const m = new Map<string, number>();
      for (let i = 0; i + n <= s.length; i++) {
        const k = s.slice(i, i + n);
        m.set(k, (m.get(k) ?? 0) + 1);
      }
      out.push(m);
    }
    return out;
  }
  const cps = codePoints(s);
  for (let n = 1; n <= maxOrder; n++) {
    const m = new Map<string, number>();
    for (let i = 0; i + n <= cps.length; i++) {
      const k = cps.slice(i, i + n).join('');
      m.set(k, (m.get(k) ?? 0) + 1);
    }
    out.push(m);
  }
  return out;
}

/** Per order 1..maxOrder, counts of word n-grams (words joined by one space, as sacrebleu keys them). */
function wordNgrams(words: readonly string[], maxOrder: number): Map<string, number>[] {
  const spans = tokenSpans(words);
  const out: Map<string, number>[] = [];
  for (let n = 1; n <= maxOrder; n++) {
    const m = new Map<string, number>();
    for (let i = 0; i + n <= words.length; i++) {
      const k = spans.text.slice(spans.starts[i], spans.ends[i + n - 1]);
      m.set(k, (m.get(k) ?? 0) + 1);
    }
    out.push(m);
  }
  return out;
}

interface Resolved {
  charOrder: number;
  wordOrder: number;
  beta: number;
  lowercase: boolean;
  whitespace: boolean;
  epsSmoothing: boolean;
}

function resolve(options: ChrfOptions): Resolved {
  const r = {
    charOrder: options.charOrder ?? 6,
    wordOrder: options.wordOrder ?? 0,
    beta: options.beta ?? 2,
    lowercase: options.lowercase ?? false,
    whitespace: options.whitespace ?? false,
    epsSmoothing: options.epsSmoothing ?? false,
  };
  if (!Number.isInteger(r.charOrder) || r.charOrder < 0 || !Number.isInteger(r.wordOrder) || r.wordOrder < 0) {
    throw new RangeError('chrF: charOrder and wordOrder must be non-negative integers');
  }
  if (r.charOrder + r.wordOrder === 0) throw new RangeError('chrF: charOrder + wordOrder must be at least 1');
  return r;
}

function allNgrams(sent: string, r: Resolved): Map<string, number>[] {
  const s = r.lowercase ? sent.toLowerCase() : sent;
  const grams = charNgrams(s, r.charOrder, r.whitespace);
  if (r.wordOrder > 0) grams.push(...wordNgrams(chrfWords(s), r.wordOrder));
  return grams;
}

function total(m: Map<string, number>): number {
  let t = 0;
  for (const c of m.values()) t += c;
  return t;
}

/**
 * sacrebleu's `CHRF._compute_f_score` over flattened [hyp, ref, match] triples, one per
 * order (character orders first, then word orders), in its float operation order.
 */
export function chrfFScore(stats: readonly number[], beta = 2, epsSmoothing = false): number {
  const order = stats.length / 3;
  const eps = 1e-16;
  const factor = beta ** 2;
  let score = 0;
  let effectiveOrder = 0;
  let avgPrec = 0;
  let avgRec = 0;
  for (let i = 0; i < order; i++) {
    const nHyp = stats[3 * i]!;
    const nRef = stats[3 * i + 1]!;
    const nMatch = stats[3 * i + 2]!;
    const prec = nHyp > 0 ? nMatch / nHyp : eps;
    const rec = nRef > 0 ? nMatch / nRef : eps;
    const denom = factor * prec + rec;
    score += denom > 0 ? ((1 + factor) * prec * rec) / denom : eps;
    if (nHyp > 0 && nRef > 0) {
      avgPrec += prec;
      avgRec += rec;
      effectiveOrder++;
    }
  }
  if (epsSmoothing) return (100 * score) / order;
  if (effectiveOrder === 0) {
    avgPrec = 0;
    avgRec = 0;
  } else {
    avgPrec /= effectiveOrder;
    avgRec /= effectiveOrder;
  }
  if (avgPrec + avgRec === 0) return 0;
  return 100 * (((1 + factor) * avgPrec * avgRec) / (factor * avgPrec + avgRec));
}

function pickBest(candidates: number[][], r: Resolved): number[] {
  let best: number[] = [];
  let bestF = -1;
  for (const stats of candidates) {
    const f = chrfFScore(stats, r.beta, r.epsSmoothing);
    // First best on ties, as sacrebleu.
    if (f > bestF) {
      bestF = f;
      best = stats;
    }
  }
  return best;
}

/** String-keyed statistics (the fallback for samples whose n-gram id tables would pass MAX_TABLE). */
function segmentStatsWithStrings(hyp: string, refs: readonly string[], r: Resolved): number[] {
  const hypGrams = allNgrams(hyp, r);
  const hypTotals = hypGrams.map(total);
  const candidates = refs.map((ref) => {
    const refGrams = allNgrams(ref, r);
    const stats: number[] = [];
    for (let o = 0; o < hypGrams.length; o++) {
      const rg = refGrams[o]!;
      let match = 0;
      for (const [k, c] of hypGrams[o]!) {
        const rc = rg.get(k);
        if (rc !== undefined) match += Math.min(c, rc);
      }
      // sacrebleu does not count hypothesis n-grams of an order the reference lacks.
      stats.push(rg.size > 0 ? hypTotals[o]! : 0, total(rg), match);
    }
    return stats;
  });
  return pickBest(candidates, r);
}

/** One sample's [hyp, ref, match] triples against its best reference by f-score. */
function segmentStats(hyp: string, refs: readonly string[], r: Resolved): number[] {
  const chars = new LocalIds();
  const words = new LocalIds();
  const sides = [hyp, ...refs].map((sent) => {
    const s = r.lowercase ? sent.toLowerCase() : sent;
    return {
      chars: chars.codePointIdsOf(r.whitespace ? s : removePyWhitespace(s)),
      words: r.wordOrder > 0 ? words.idsOf(chrfWords(s)) : new Int32Array(0),
    };
  });
  let charGrams: NgramIds | undefined;
  let wordGrams: NgramIds | undefined;
  if (r.charOrder > 0) {
    charGrams = ngramIds(
      sides.map((x) => x.chars),
      r.charOrder,
      chars.size,
    );
    if (charGrams === undefined) return segmentStatsWithStrings(hyp, refs, r);
  }
  if (r.wordOrder > 0) {
    wordGrams = ngramIds(
      sides.map((x) => x.words),
      r.wordOrder,
      words.size,
    );
    if (wordGrams === undefined) return segmentStatsWithStrings(hyp, refs, r);
  }
  // Character orders first, then word orders, as sacrebleu's statistics.
  const orders: { ids: Int32Array[]; distinct: number }[] = [];
  for (const g of [charGrams, wordGrams]) {
    if (g !== undefined) g.ids.forEach((ids, o) => orders.push({ ids, distinct: g.distinct[o]! }));
  }
  const candidates = refs.map((_, k) => {
    const stats: number[] = [];
    for (const { ids, distinct } of orders) {
      const h = ids[0]!;
      const g = ids[k + 1]!;
      // sacrebleu does not count hypothesis n-grams of an order the reference lacks.
      stats.push(g.length > 0 ? h.length : 0, g.length, clippedMatches(h, [g], distinct));
    }
    return stats;
  });
  return pickBest(candidates, r);
}

/**
 * sacrebleu `CHRF(**options).corpus_score(hypotheses, refs)` with `references[i]` the
 * references of sample i, plus the signature sacrebleu prints for the same call.
 */
export function corpusChrf(hypotheses: readonly string[], references: SampleReferences, options: ChrfOptions = {}): ChrfScore {
  const r = resolve(options);
  const score = chrfFromStatistics(chrfSegmentStatistics(hypotheses, references, options), options);
  return {
    score,
    name: `chrF${r.beta}${'+'.repeat(r.wordOrder)}`,
    charOrder: r.charOrder,
    wordOrder: r.wordOrder,
    beta: r.beta,
    signature: chrfSignature({
      nrefs: nrefsOf(references.map((x) => x.length)),
      lowercase: r.lowercase,
      epsSmoothing: r.epsSmoothing,
      charOrder: r.charOrder,
      wordOrder: r.wordOrder,
      whitespace: r.whitespace,
    }),
  };
}

/**
 * Each sample's [hyp, ref, match] triples per order against its best reference
 * (sacrebleu's segment statistics): sum any subset with {@link chrfFromStatistics}
 * for bootstrap resampling or paired tests.
 */
export function chrfSegmentStatistics(hypotheses: readonly string[], references: SampleReferences, options: ChrfOptions = {}): number[][] {
  checkCorpus('chrF', hypotheses, references);
  const r = resolve(options);
  return hypotheses.map((h, i) => segmentStats(h, references[i]!, r));
}

/** chrF (0–100) of the sum of some samples' {@link chrfSegmentStatistics} (the same options). */
export function chrfFromStatistics(stats: readonly (readonly number[])[], options: ChrfOptions = {}): number {
  const r = resolve(options);
  const acc = new Array<number>(3 * (r.charOrder + r.wordOrder)).fill(0);
  for (const row of stats) {
    if (row.length !== acc.length) throw new RangeError(`chrF: statistics rows must have ${acc.length} entries for these orders`);
    for (let j = 0; j < acc.length; j++) acc[j]! += row[j]!;
  }
  return chrfFScore(acc, r.beta, r.epsSmoothing);
}

/** sacrebleu's `sentence_chrf`: one hypothesis against its references. */
export function sentenceChrf(hypothesis: string, references: readonly string[], options: ChrfOptions = {}): ChrfScore {
  return corpusChrf([hypothesis], [references], options);
}
