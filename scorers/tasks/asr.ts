import { z } from 'zod';
import type { NormalizerName } from '../normalizers/normalizer-registry.js';
import { getNormalizer, NORMALIZER_NAMES } from '../normalizers/normalizer-registry.js';
import type { ScoredSample, ScoreItem, ScoreTaskResult, TaskScoreOptions } from '../score-task.js';
import type { TokenUnit } from '../wer/tokenize.js';
import { tokenize } from '../wer/tokenize.js';
import { asrDefaultNormalizerFor, scoreAsrCounts } from '../wer/asr-corpus-counts.js';
import { computeMeasures, processTokens } from '../wer/word-error-rate.js';
import { missingIds, referenceList } from './sample-fields.js';
import { scoreOne } from './score-one.js';
import { formatMetric, type TaskSpec } from './task-spec.js';
import type { VersionedScorer } from './upstream-ref.js';

// jiwer's measures (word and char units; its alignment is rapidfuzz's editops).
const JIWER: VersionedScorer = {
  version: 'jiwer@v4.0.0',
  upstream: [{ repo: 'jitsi/jiwer', ref: 'v4.0.0', path: 'jiwer/measures.py', symbol: 'process_words, process_characters' }],
};
// The mixed unit counts and aligns as WeNet's compute-wer.py does.
const WENET: VersionedScorer = {
  version: 'wenet-compute-wer@v3.1.0',
  upstream: [{ repo: 'wenet-e2e/wenet', ref: 'v3.1.0', path: 'tools/compute-wer.py', symbol: 'Calculator' }],
};

/** The scorer options asr reads. */
const asrOptions = z.object({
  /** Normalizer applied to reference and prediction first (default: {@link asrDefaultNormalizer}). */
  normalizer: z.enum(NORMALIZER_NAMES).optional(),
  /** Token unit (default `word`). */
  unit: z.enum(['word', 'char', 'mixed']).optional(),
  /** Keep per-sample alignments so `visualizeAlignment` can render them. */
  keepAlignments: z.boolean().optional(),
  /**
   * false: corpus metrics only, `samples` left empty (`evalgate score` without --json prints no per-sample
   * rows, and 100k sample entries cost ~0.1 s to build and collect). Default true.
   */
  keepSamples: z.boolean().optional(),
});

/** asr scorer options, as its `options` schema reads them. */
export type AsrScoreOptions = z.infer<typeof asrOptions>;

const parseOptions = (options: TaskScoreOptions = {}): AsrScoreOptions => asrOptions.parse(options);

/** Totals of the alignment operations (a type, not an interface, so it reads as a metric record). */
type AsrCounts = {
  /** Total hits. */
  readonly hits: number;
  /** Total substitutions. */
  readonly substitutions: number;
  /** Total deletions. */
  readonly deletions: number;
  /** Total insertions. */
  readonly insertions: number;
};

/** asr metrics: pooled `wer`/`mer`/`wil`/`wip` for the word unit, pooled `cer` for char and mixed units. */
export type AsrMetrics = AsrCounts & ({ readonly wer: number; readonly mer: number; readonly wil: number; readonly wip: number } | { readonly cer: number });

/** One asr sample's values. */
export interface AsrScoredSample extends ScoredSample, AsrCounts {
  /** Raw reference. */
  readonly reference?: string | readonly string[];
  /** Normalized reference. */
  readonly normalized_reference: string;
  /** Normalized prediction. */
  readonly normalized_prediction: string;
  /** Per-sample WER (word unit). */
  readonly wer?: number;
  /** Per-sample CER (char and mixed units). */
  readonly cer?: number;
}

/** The asr result: the generic result plus the unit used. */
export interface AsrScoreResult extends ScoreTaskResult<AsrMetrics, AsrScoredSample> {
  /** Token unit used. */
  readonly unit: TokenUnit;
}

/** The normalizer asr applies when the options name none: `wenet-zh` for the mixed unit (WeNet's own), else `none`. */
export function asrDefaultNormalizer(options: TaskScoreOptions = {}): NormalizerName {
  return asrDefaultNormalizerFor(parseOptions(options).unit);
}

/** Scores asr samples: jiwer counts pooled over the corpus (WeNet's for the mixed unit). */
export function scoreAsr(items: readonly ScoreItem[], options: TaskScoreOptions = {}): AsrScoreResult {
  const opts = parseOptions(options);
  const unit = opts.unit ?? 'word';
  const normalizerName = opts.normalizer ?? asrDefaultNormalizer(opts);
  const norm = getNormalizer(normalizerName).normalize;
  if (!opts.keepAlignments) return scoreAsrCounts(items, unit, normalizerName, norm, opts.keepSamples !== false);
  const normalized = items.map((it) => ({ item: it, reference: norm(referenceList(it.reference).join(' ')), prediction: norm(it.prediction ?? '') }));
  const out = processTokens(
    normalized.map((n) => tokenize(n.reference, unit)),
    normalized.map((n) => tokenize(n.prediction, unit)),
    { tieBreak: unit === 'mixed' ? 'wenet' : 'rapidfuzz', alignments: Boolean(opts.keepAlignments) },
  );
  // With no reference tokens the rate is 0/0. jiwer (4.x) counts the insertions;
  // WeNet's compute-wer.py, whose tokens the `mixed` unit uses, prints 0 (its
  // `if result['all'] != 0 … else: wer = 0.0`), per utterance and overall.
  const rateOf = (rate: number, refTokens: number): number => (unit === 'mixed' && refTokens === 0 ? 0 : rate);
  const samples = normalized.map(({ item: it, reference, prediction }, k): AsrScoredSample => {
    // processTokens answers one sentence per reference/hypothesis pair it was given.
    const c = out.sentences[k];
    const refTokens = out.references[k];
    const hypTokens = out.hypotheses[k];
    if (!c || !refTokens || !hypTokens) throw new Error(`processTokens returned no sentence #${k} (sample ${it.id}) for ${items.length} inputs`);
    const rate = rateOf(computeMeasures(c, refTokens.length, hypTokens.length).wer, refTokens.length);
    return {
      id: it.id,
      missing: it.prediction === null,
      reference: it.reference,
      prediction: it.prediction ?? '',
      normalized_reference: reference,
      normalized_prediction: prediction,
      ...(unit === 'word' ? { wer: rate } : { cer: rate }),
      ...c,
    };
  });
  const counts = { hits: out.hits, substitutions: out.substitutions, deletions: out.deletions, insertions: out.insertions };
  const metrics: AsrMetrics =
    unit === 'word'
      ? { wer: out.wer, mer: out.mer, wil: out.wil, wip: out.wip, ...counts }
      : {
          cer: rateOf(
            out.wer,
            out.references.reduce((n, r) => n + r.length, 0),
          ),
          ...counts,
        };
  return {
    task: 'asr',
    normalizer: normalizerName,
    unit,
    metrics,
    samples,
    missing: missingIds(items),
    ...(opts.keepAlignments ? { alignment: out } : {}),
  };
}

/** Speech recognition: jiwer WER/MER/WIL/WIP pooled over the corpus, or CER for char and mixed units. */
export const asrTask = {
  name: 'asr',
  description: 'speech recognition: transcript vs reference, WER (word unit) or CER (char, mixed), pooled as jiwer',
  sample: {
    target: 'reference',
    requiredMedia: 'audio',
    media: ['audio'],
    fields: z.object({
      /** The speech, relative to the manifest. */
      audio: z.string().min(1),
      /** The reference transcript. */
      reference: z.union([z.string(), z.array(z.string()).min(1)]),
    }),
  },
  options: asrOptions,
  defaultPrompt: 'Transcribe the speech in this audio. Answer with the transcript only.',
  scoreCommand: true,
  scoreSample: (item, options) => scoreOne('asr', scoreAsr, item, options),
  aggregate: scoreAsr,
  metrics: [
    { name: 'wer', description: 'word error rate (word unit)', direction: 'lower', pairedTest: 'permutation' },
    { name: 'cer', description: 'character error rate (char and mixed units)', direction: 'lower', pairedTest: 'permutation' },
    { name: 'mer', description: 'match error rate (word unit)', direction: 'lower', pairedTest: 'permutation' },
    { name: 'wil', description: 'word information lost (word unit)', direction: 'lower', pairedTest: 'permutation' },
    { name: 'wip', description: 'word information preserved (word unit)', direction: 'higher', pairedTest: 'permutation' },
  ],
  primaryMetric: (options = {}) => {
    const unit = parseOptions(options).unit;
    return unit && unit !== 'word' ? 'cer' : 'wer';
  },
  pairedItem: (s) => {
    const errs = s.substitutions + s.deletions + s.insertions;
    const words = s.hits + s.substitutions + s.deletions;
    return {
      numerator: errs,
      denominator: words,
      score: words === 0 ? errs : errs / words,
      errors: `S=${s.substitutions} D=${s.deletions} I=${s.insertions}`,
    };
  },
  defaultNormalizer: asrDefaultNormalizer,
  metricSource: (options = {}) => (parseOptions(options).unit === 'mixed' ? WENET : JIWER),
  metricSources: [JIWER, WENET],
  // Local ASR specialists (whisper.cpp-like, CTC, pocketsphinx) expect 16 kHz mono.
  specialistAudioRateHz: 16_000,
  alignment: true,
  singleReference: true,
  // The demo's speech is English and Mandarin: WeNet's mixed tokenisation
  // (CJK characters as tokens, English words whole, upper-cased, punctuation
  // dropped) scores both languages with one consistent unit.
  demoScorer: { unit: 'mixed', normalizer: 'wenet-zh' } satisfies AsrScoreOptions,
  headline: (m, options = {}) => {
    const unit = parseOptions(options).unit ?? 'word';
    return unit === 'mixed' ? `mixed-unit error rate ${formatMetric(m.cer)}` : unit === 'char' ? `cer ${formatMetric(m.cer)}` : `wer ${formatMetric(m.wer)}`;
  },
} as const satisfies TaskSpec<'asr', AsrScoredSample, AsrMetrics>;
