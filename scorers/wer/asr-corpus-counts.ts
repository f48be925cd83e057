// The asr task's corpus scorer when no alignments are kept (`evalgate score --task asr`, the runner's
// aggregate), in a module that loads no schema library: `evalgate score --task asr` calls it without
// loading the task registry, whose option schemas (zod, ~95 modules) cost ~0.1 s of start-up.
// scorers/tasks/asr.ts's scoreAsr calls it too, so both give the same numbers.
import type { AsrScoredSample, AsrScoreResult } from '../tasks/asr.js';
import { getNormalizer, type NormalizerName } from '../normalizers/normalizer-registry.js';
import type { ScoreItem } from '../score-task.js';
import { AsrCorpusCounter } from './asr-corpus-counter.js';
import type { TokenUnit } from './tokenize.js';

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
  const counter = new AsrCorpusCounter(unit, normalizerName, norm);
  const samples: AsrScoredSample[] = keepSamples ? new Array<AsrScoredSample>(items.length) : [];
  const missing: string[] = [];
  for (let k = 0; k < items.length; k++) {
    const it = items[k]!;
    counter.add(it.reference, it.prediction);
    const isMissing = it.prediction === null;
    if (isMissing) missing.push(it.id);
    if (!keepSamples) continue;
    const c = counter.last;
    samples[k] =
      unit === 'word'
        ? {
            id: it.id,
            missing: isMissing,
            reference: it.reference,
            prediction: it.prediction ?? '',
            normalized_reference: c.reference,
            normalized_prediction: c.prediction,
            wer: c.rate,
            hits: c.hits,
            substitutions: c.substitutions,
            deletions: c.deletions,
            insertions: c.insertions,
          }
        : {
            id: it.id,
            missing: isMissing,
            reference: it.reference,
            prediction: it.prediction ?? '',
            normalized_reference: c.reference,
            normalized_prediction: c.prediction,
            cer: c.rate,
            hits: c.hits,
            substitutions: c.substitutions,
            deletions: c.deletions,
            insertions: c.insertions,
          };
  }
  return counter.result(samples, missing);
}
