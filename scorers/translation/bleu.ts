// Corpus BLEU with sacrebleu's semantics (sacrebleu/metrics/bleu.py and helpers.py at the
// release in sacrebleu-version.ts): clipped n-gram counts against the per-n-gram maximum
// over a sample's references, the closest reference length (ties: the shorter) for the
// brevity penalty, and sacrebleu's four smoothing methods, in the same float operation order.
import { getBleuTokenizer } from './bleu-tokenizers.js';
import { pySplit } from '../normalizers/python-text.js';
import { checkCorpus, pyRstrip, tokenSpans, type SampleReferences, type TokenSpans } from './corpus-input.js';
import { clippedMatches, LocalIds, ngramIds } from './ngram-multiset.js';
import { bleuSignature, nrefsOf } from './sacrebleu-signature.js';

export type BleuSmoothMethod = 'exp' | 'floor' | 'add-k' | 'none';

/** Smoothing values used when none is given (Chen & Cherry 2014, as in sacrebleu). */
export const BLEU_SMOOTH_DEFAULTS: Readonly<Record<BleuSmoothMethod, number | undefined>> = {
  exp: undefined,
  none: undefined,
  floor: 0.1,
  'add-k': 1,
};

export interface BleuOptions {
  /** sacrebleu `-tok`: `13a` (default), `zh`, `intl`, `char`, `none`. */
  tokenize?: string;
  /** `exp` (default), `floor`, `add-k`, `none`. */
  smoothMethod?: BleuSmoothMethod;
  /** For `floor` (default 0.1) and `add-k` (default 1). */
  smoothValue?: number;
  /** Lowercase hypotheses and references first (default false: case-sensitive). */
  lowercase?: boolean;
  /** Highest n-gram order (default 4). */
  maxNgramOrder?: number;
  /** Average only over the orders the hypotheses have n-grams of (default false; sentence BLEU uses true). */
  effectiveOrder?: boolean;
}

export interface BleuScore {
  /** 0–100. */
  score: number;
  /** Clipped matches per order, as sacrebleu returns them (with `add-k`, orders ≥ 2 include k). */
  counts: number[];
  /** Hypothesis n-grams per order (with `add-k`, orders ≥ 2 include k). */
  totals: number[];
  /** 0–100 per order. */
  precisions: number[];
  bp: number;
  sysLen: number;
  refLen: number;
}

export interface CorpusBleuResult extends BleuScore {
  /** sacrebleu's signature, e.g. `nrefs:1|case:mixed|eff:no|tok:13a|smooth:exp|version:2.6.0`. */
  signature: string;
}

const MY_LOG_FLOOR = -9999999999;

function checkSmoothing(method: string): asserts method is BleuSmoothMethod {
  if (!Object.hasOwn(BLEU_SMOOTH_DEFAULTS, method)) {
    throw new Error(`unknown BLEU smoothing '${method}'; expected exp, floor, add-k or none`);
  }
}

/**
 * sacrebleu's `BLEU.compute_bleu` from sufficient statistics. Like it, the smoothing
 * defaults to `none` here (the corpus functions default to `exp`).
 */
export function computeBleu(
  correct: readonly number[],
  total: readonly number[],
  sysLen: number,
  refLen: number,
  options: Pick<BleuOptions, 'smoothMethod' | 'smoothValue' | 'effectiveOrder' | 'maxNgramOrder'> = {},
): BleuScore {
  const method = options.smoothMethod ?? 'none';
  checkSmoothing(method);
  const smoothValue = options.smoothValue ?? BLEU_SMOOTH_DEFAULTS[method] ?? 0;
  const maxOrder = options.maxNgramOrder ?? 4;
  const counts = correct.slice(0, maxOrder);
  const totals = total.slice(0, maxOrder);
  const bp = sysLen < refLen ? (sysLen > 0 ? Math.exp(1 - refLen / sysLen) : 0) : 1;
  const precisions = new Array<number>(maxOrder).fill(0);
  // No match at any order: 0, whatever the smoothing (sacrebleu #141).
  if (!counts.some((c) => c !== 0)) return { score: 0, counts, totals, precisions, bp, sysLen, refLen };

  let smoothMteval = 1;
  let effOrder = maxOrder;
  for (let n = 1; n <= maxOrder; n++) {
    if (method === 'add-k' && n > 1) {
      counts[n - 1]! += smoothValue;
      totals[n - 1]! += smoothValue;
    }
    const t = totals[n - 1]!;
    if (t === 0) break;
    // sacrebleu counts an order as effective once the hypotheses have n-grams of it,
    // even when none of them match.
    if (options.effectiveOrder) effOrder = n;
    const c = counts[n - 1]!;
    if (c === 0) {
      if (method === 'exp') {
        smoothMteval *= 2;
        precisions[n - 1] = 100 / (smoothMteval * t);
      } else if (method === 'floor') {
        precisions[n - 1] = (100 * smoothValue) / t;
      }
    } else {
      precisions[n - 1] = (100 * c) / t;
    }
  }
  let logSum = 0;
  for (let i = 0; i < effOrder; i++) {
    const p = precisions[i]!;
    logSum += p === 0 ? MY_LOG_FLOOR : Math.log(p);
  }
  return { score: bp * Math.exp(logSum / effOrder), counts, totals, precisions, bp, sysLen, refLen };
}

/** sacrebleu's `_get_closest_ref_len`: nearest length, the shorter one on a tie. */
export function closestRefLength(hypLen: number, refLens: readonly number[]): number {
  let bestDiff = -1;
  let best = -1;
  for (const r of refLens) {
    const d = Math.abs(hypLen - r);
    if (bestDiff === -1 || d < bestDiff) {
      bestDiff = d;
      best = r;
    } else if (d === bestDiff && r < best) best = r;
  }
  return best;
}

interface Prepared {
  /** A line to its tokens: preprocessing, tokenizer, then Python's split(). */
  tokens: (s: string) => string[];
  maxOrder: number;
}

// These tokenizers already return tokens joined by single spaces, so split(' ') is split().
const CANONICAL_OUTPUT = new Set(['13a', 'intl', 'zh']);

function prepare(options: BleuOptions): Prepared {
  const name = options.tokenize ?? '13a';
  const tokenizer = getBleuTokenizer(name);
  const lowercase = options.lowercase ?? false;
  const maxOrder = options.maxNgramOrder ?? 4;
  if (!Number.isInteger(maxOrder) || maxOrder < 1) throw new RangeError(`BLEU: maxNgramOrder must be a positive integer`);
  checkSmoothing(options.smoothMethod ?? 'exp');
  const split = CANONICAL_OUTPUT.has(name) ? (t: string) => (t === '' ? [] : t.split(' ')) : pySplit;
  // sacrebleu's _preprocess_segment: lowercase, strip trailing whitespace, tokenize.
  return { tokens: (s) => split(tokenizer(pyRstrip(lowercase ? s.toLowerCase() : s))), maxOrder };
}

/** String-keyed n-gram counts (the fallback for samples whose n-gram id tables would pass MAX_TABLE). */
function ngramCounts(spans: TokenSpans, maxOrder: number): Map<string, number> {
  const m = new Map<string, number>();
  const len = spans.starts.length;
  for (let n = 1; n <= maxOrder; n++) {
    for (let i = 0; i + n <= len; i++) {
      const key = spans.text.slice(spans.starts[i], spans.ends[i + n - 1]);
      m.set(key, (m.get(key) ?? 0) + 1);
    }
  }
  return m;
}

function addMatchesWithStrings(acc: number[], hyp: readonly string[], refs: readonly (readonly string[])[], maxOrder: number): void {
  let refNgrams: Map<string, number> | undefined;
  for (const ref of refs) {
    const counts = ngramCounts(tokenSpans(ref), maxOrder);
    if (refNgrams === undefined) refNgrams = counts;
    else for (const [k, c] of counts) if (c > (refNgrams.get(k) ?? 0)) refNgrams.set(k, c);
  }
  const spans = tokenSpans(hyp);
  for (let n = 1; n <= maxOrder; n++) {
    const positions = hyp.length - n + 1;
    if (positions <= 0) break;
    acc[1 + maxOrder + n]! += positions;
    const seen = new Map<string, number>();
    for (let i = 0; i < positions; i++) {
      const key = spans.text.slice(spans.starts[i], spans.ends[i + n - 1]);
      seen.set(key, (seen.get(key) ?? 0) + 1);
    }
    let correct = 0;
    for (const [k, c] of seen) {
      const r = refNgrams?.get(k);
      if (r !== undefined) correct += Math.min(c, r);
    }
    acc[1 + n]! += correct;
  }
}

/** Adds one sample's [hypLen, refLen, correct…, total…] to `acc` (sacrebleu's segment statistics). */
function addSegmentStats(acc: number[], hyp: string, refs: readonly string[], p: Prepared): void {
  const { maxOrder } = p;
  const refTokens = refs.map(p.tokens);
  const hypTokens = p.tokens(hyp);
  acc[0]! += hypTokens.length;
  acc[1]! += closestRefLength(
    hypTokens.length,
    refTokens.map((r) => r.length),
  );
  const local = new LocalIds();
  const seqs = [local.idsOf(hypTokens), ...refTokens.map((r) => local.idsOf(r))];
  const grams = ngramIds(seqs, maxOrder, local.size);
  if (grams === undefined) {
    addMatchesWithStrings(acc, hypTokens, refTokens, maxOrder);
    return;
  }
  for (let n = 1; n <= maxOrder; n++) {
    const [hyp, ...refs] = grams.ids[n - 1]!;
    if (hyp!.length === 0) break;
    acc[1 + maxOrder + n]! += hyp!.length;
    // Clipped at each n-gram's largest count in any one reference.
    acc[1 + n]! += clippedMatches(hyp!, refs, grams.distinct[n - 1]!);
  }
}

function scoreFromStats(acc: readonly number[], options: BleuOptions, maxOrder: number): BleuScore {
  return computeBleu(acc.slice(2, 2 + maxOrder), acc.slice(2 + maxOrder), acc[0]!, acc[1]!, {
    smoothMethod: options.smoothMethod ?? 'exp',
    smoothValue: options.smoothValue,
    effectiveOrder: options.effectiveOrder ?? false,
    maxNgramOrder: maxOrder,
  });
}

function signatureOf(references: SampleReferences, options: BleuOptions): string {
  return bleuSignature({
    nrefs: nrefsOf(references.map((r) => r.length)),
    lowercase: options.lowercase ?? false,
    effectiveOrder: options.effectiveOrder ?? false,
    tokenize: options.tokenize ?? '13a',
    smoothMethod: options.smoothMethod ?? 'exp',
    smoothValue: options.smoothValue,
  });
}

/**
 * sacrebleu `BLEU(**options).corpus_score(hypotheses, refs)` with `references[i]` the
 * references of sample i, plus the signature sacrebleu prints for the same call.
 */
export function corpusBleu(hypotheses: readonly string[], references: SampleReferences, options: BleuOptions = {}): CorpusBleuResult {
  checkCorpus('BLEU', hypotheses, references);
  const p = prepare(options);
  const acc = new Array<number>(2 + 2 * p.maxOrder).fill(0);
  for (let i = 0; i < hypotheses.length; i++) addSegmentStats(acc, hypotheses[i]!, references[i]!, p);
  return { ...scoreFromStats(acc, options, p.maxOrder), signature: signatureOf(references, options) };
}

/**
 * Each sample's sufficient statistics, `[hypLen, refLen, correct_1..N, total_1..N]`
 * (sacrebleu's segment statistics): sum any subset and pass it to {@link bleuFromStatistics}
 * for bootstrap resampling or paired tests without re-tokenizing.
 */
export function bleuSegmentStatistics(hypotheses: readonly string[], references: SampleReferences, options: BleuOptions = {}): number[][] {
  checkCorpus('BLEU', hypotheses, references);
  const p = prepare(options);
  return hypotheses.map((h, i) => {
    const acc = new Array<number>(2 + 2 * p.maxOrder).fill(0);
    addSegmentStats(acc, h, references[i]!, p);
    return acc;
  });
}

/** BLEU of the sum of some samples' {@link bleuSegmentStatistics} (the same options). */
export function bleuFromStatistics(stats: readonly (readonly number[])[], options: BleuOptions = {}): BleuScore {
  const maxOrder = options.maxNgramOrder ?? 4;
  const acc = new Array<number>(2 + 2 * maxOrder).fill(0);
  for (const row of stats) {
    if (row.length !== acc.length) throw new RangeError(`BLEU: statistics rows must have ${acc.length} entries for maxNgramOrder ${maxOrder}`);
    for (let j = 0; j < acc.length; j++) acc[j]! += row[j]!;
  }
  return scoreFromStats(acc, options, maxOrder);
}

/** sacrebleu's `sentence_bleu`: one hypothesis, its references, `effectiveOrder` on unless set. */
export function sentenceBleu(hypothesis: string, references: readonly string[], options: BleuOptions = {}): CorpusBleuResult {
  return corpusBleu([hypothesis], [references], { ...options, effectiveOrder: options.effectiveOrder ?? true });
}
