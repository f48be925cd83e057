// The asr task's corpus scorer when no alignments are kept (`evalgate score --task asr`, the runner's
// aggregate), in a module that loads no schema library: `evalgate score --task asr` calls it without
// loading the task registry, whose option schemas (zod, ~95 modules) cost ~0.1 s of start-up.
// scorers/tasks/asr.ts's scoreAsr calls it too, so both give the same numbers.
import type { AsrMetrics, AsrScoredSample, AsrScoreResult } from '../tasks/asr.js';
import { getNormalizer, type NormalizerName } from '../normalizers/normalizer-registry.js';
import type { ScoreItem } from '../score-task.js';
import { referenceList } from '../tasks/sample-fields.js';
import { addEditCounts } from './levenshtein-align.js';
import { TokenIds, TokenInterner } from './token-interner.js';
import type { TokenUnit } from './tokenize.js';
import { alignTokensWenet } from './wenet-align.js';
import { computeMeasures } from './word-error-rate.js';

/** The normalizer asr applies when none is named: `wenet-zh` for the mixed unit (WeNet's own), else `none`. */
export function asrDefaultNormalizerFor(unit: TokenUnit | undefined): NormalizerName {
  return unit === 'mixed' ? 'wenet-zh' : 'none';
}

/**
 * asr corpus scores, without alignments, for options already checked (as `evalgate score` checks its
 * flags): what the asr task's aggregate answers for the same options without `keepAlignments`.
 */
export function scoreAsrCorpus(
  items: readonly ScoreItem[],
  options: { readonly normalizer?: NormalizerName | undefined; readonly unit?: TokenUnit | undefined; readonly keepSamples?: boolean | undefined },
): AsrScoreResult {
  const unit = options.unit ?? 'word';
  const normalizerName = options.normalizer ?? asrDefaultNormalizerFor(unit);
  return scoreAsrCounts(items, unit, normalizerName, getNormalizer(normalizerName).normalize, options.keepSamples !== false);
}

/**
 * asr's `scoreAsr` (scorers/tasks/asr.ts) without alignments, in one pass and without per-sample
 * garbage: tokens are interned straight from the normalized text into reused
 * id buffers, counted by the bit-parallel aligner, and each sample's entry is
 * built once in its final shape. Same numbers and entries as the
 * processTokens path (tests/scorers/wer-fast-path.test.ts compares them).
 */
export function scoreAsrCounts(
  items: readonly ScoreItem[],
  unit: TokenUnit,
  normalizerName: NormalizerName,
  norm: (s: string) => string,
  keepSamples: boolean,
): AsrScoreResult {
  const interner = new TokenInterner();
  const ref = new TokenIds();
  const hyp = new TokenIds();
  const edits = { hits: 0, substitutions: 0, deletions: 0, insertions: 0 };
  let hits = 0;
  let substitutions = 0;
  let deletions = 0;
  let insertions = 0;
  let numRef = 0;
  let numHyp = 0;
  const samples: AsrScoredSample[] = keepSamples ? new Array<AsrScoredSample>(items.length) : [];
  const missing: string[] = [];
  for (let k = 0; k < items.length; k++) {
    const it = items[k]!;
    const raw = it.reference;
    const reference = norm(typeof raw === 'string' ? raw : referenceList(raw).join(' '));
    const prediction = norm(it.prediction ?? '');
    // words of the common head and tail are hits the aligner would only strip: left out, counted
    let common = 0;
    if (unit === 'word') common = interner.jiwerPairIds(reference, prediction, ref, hyp);
    else {
      interner.unitIds(reference, unit, ref);
      interner.unitIds(prediction, unit, hyp);
    }
    const refLen = ref.length + common;
    const hypLen = hyp.length + common;
    let s: number;
    let d: number;
    let i: number;
    if (unit === 'mixed') {
      const c = alignTokensWenet(ref.ids.subarray(0, ref.length), hyp.ids.subarray(0, hyp.length)).counts;
      s = c.substitutions;
      d = c.deletions;
      i = c.insertions;
    } else {
      edits.substitutions = 0;
      edits.deletions = 0;
      edits.insertions = 0;
      addEditCounts(ref.ids, ref.length, hyp.ids, hyp.length, edits);
      s = edits.substitutions;
      d = edits.deletions;
      i = edits.insertions;
    }
    const h = refLen - s - d;
    hits += h;
    substitutions += s;
    deletions += d;
    insertions += i;
    numRef += refLen;
    numHyp += hypLen;
    // computeMeasures(…).wer for one sentence; the mixed unit rates 0/0 as 0 (see scoreAsr)
    const rate = refLen === 0 ? (unit === 'mixed' ? 0 : i) : (s + d + i) / (h + s + d);
    const isMissing = it.prediction === null;
    if (isMissing) missing.push(it.id);
    if (!keepSamples) continue;
    samples[k] =
      unit === 'word'
        ? {
            id: it.id,
            missing: isMissing,
            reference: raw,
            prediction: it.prediction ?? '',
            normalized_reference: reference,
            normalized_prediction: prediction,
            wer: rate,
            hits: h,
            substitutions: s,
            deletions: d,
            insertions: i,
          }
        : {
            id: it.id,
            missing: isMissing,
            reference: raw,
            prediction: it.prediction ?? '',
            normalized_reference: reference,
            normalized_prediction: prediction,
            cer: rate,
            hits: h,
            substitutions: s,
            deletions: d,
            insertions: i,
          };
  }
  const counts = { hits, substitutions, deletions, insertions };
  const m = computeMeasures(counts, numRef, numHyp);
  const metrics: AsrMetrics =
    unit === 'word' ? { wer: m.wer, mer: m.mer, wil: m.wil, wip: m.wip, ...counts } : { cer: unit === 'mixed' && numRef === 0 ? 0 : m.wer, ...counts };
  return { task: 'asr', normalizer: normalizerName, unit, metrics, samples, missing };
}
