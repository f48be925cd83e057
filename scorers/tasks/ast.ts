import { z } from 'zod';
import { getNormalizer, NORMALIZER_NAMES } from '../normalizers/normalizer-registry.js';
import type { ScoredSample, ScoreItem, ScoreTaskResult, TaskScoreOptions } from '../score-task.js';
import { BLEU_TOKENIZERS } from '../translation/bleu-tokenizers.js';
import { bleuFromStatistics, bleuSegmentStatistics, type BleuOptions } from '../translation/bleu.js';
import { chrfFromStatistics, chrfSegmentStatistics, type ChrfOptions } from '../translation/chrf.js';
import { bleuSignature, chrfSignature, nrefsOf, type NRefs } from '../translation/sacrebleu-signature.js';
import { missingIds, referenceList } from './sample-fields.js';
import { scoreOne } from './score-one.js';
import { formatMetric, type TaskSpec } from './task-spec.js';
import type { VersionedScorer } from './upstream-ref.js';

// sacrebleu's corpus BLEU and chrF / chrF++ (scorers/translation reproduces them).
const SACREBLEU: VersionedScorer = {
  version: 'sacrebleu@v2.6.0',
  upstream: [
    { repo: 'mjpost/sacrebleu', ref: 'v2.6.0', path: 'sacrebleu/metrics/bleu.py', symbol: 'BLEU' },
    { repo: 'mjpost/sacrebleu', ref: 'v2.6.0', path: 'sacrebleu/metrics/chrf.py', symbol: 'CHRF' },
  ],
};

/** The scorer options ast reads (sacrebleu's BLEU options; chrF takes sacrebleu's defaults). */
const astOptions = z.object({
  /** Normalizer applied to references and prediction first (default `none`: sacrebleu scores raw text). */
  normalizer: z.enum(NORMALIZER_NAMES).optional(),
  /** BLEU tokenizer (sacrebleu `-tok`, default `13a`). */
  tokenize: z.enum(BLEU_TOKENIZERS).optional(),
  /** BLEU smoothing (default `exp`). */
  smoothMethod: z.enum(['exp', 'floor', 'add-k', 'none']).optional(),
  /** Value for `floor` (default 0.1) and `add-k` (default 1). */
  smoothValue: z.number().optional(),
  /** Case-insensitive BLEU (sacrebleu `-lc`; chrF stays case-sensitive, as sacrebleu's CLI keeps `--chrf-lowercase` apart). */
  lowercase: z.boolean().optional(),
});

/** ast scorer options, as its `options` schema reads them. */
export type AstScoreOptions = z.infer<typeof astOptions>;

const parseOptions = (options: TaskScoreOptions = {}): AstScoreOptions => astOptions.parse(options);

/** Corpus BLEU, chrF and chrF++ (0–100). */
export type AstMetrics = { readonly bleu: number; readonly chrf: number; readonly chrf_pp: number };

/** One ast sample's values. */
export interface AstScoredSample extends ScoredSample {
  /** Raw reference(s). */
  readonly reference?: string | readonly string[];
  /** sacrebleu's `sentence_bleu` (effective order on), for display. */
  readonly bleu: number;
  /** sacrebleu's `sentence_chrf`, for display. */
  readonly chrf: number;
  /** BLEU sufficient statistics `[hypLen, refLen, correct_1..4, total_1..4]`: corpus BLEU of any subset is the BLEU of their sum. */
  readonly bleu_stats: readonly number[];
  /** chrF sufficient statistics (sacrebleu's segment statistics). */
  readonly chrf_stats: readonly number[];
}

/** sacrebleu's signatures of the three corpus scores. */
export interface AstSignatures {
  readonly bleu: string;
  readonly chrf: string;
  readonly chrf_pp: string;
}

/** The ast result: the generic result plus the BLEU tokenizer and sacrebleu's signatures. */
export interface AstScoreResult extends ScoreTaskResult<AstMetrics, AstScoredSample> {
  /** BLEU tokenizer used. */
  readonly tokenize: string;
  /** sacrebleu's signatures (`nrefs:1|case:mixed|eff:no|tok:13a|smooth:exp|version:2.6.0`…). */
  readonly signatures: AstSignatures;
}

function bleuOptionsOf(opts: AstScoreOptions): BleuOptions {
  return { tokenize: opts.tokenize ?? '13a', smoothMethod: opts.smoothMethod ?? 'exp', smoothValue: opts.smoothValue, lowercase: opts.lowercase ?? false };
}

const CHRF: ChrfOptions = { wordOrder: 0 };
const CHRF_PP: ChrfOptions = { wordOrder: 2 };

function signaturesOf(opts: AstScoreOptions, nrefs: NRefs): AstSignatures {
  const b = bleuOptionsOf(opts);
  const chrf = (wordOrder: number) => chrfSignature({ nrefs, lowercase: false, epsSmoothing: false, charOrder: 6, wordOrder, whitespace: false });
  return {
    bleu: bleuSignature({
      nrefs,
      lowercase: b.lowercase!,
      effectiveOrder: false,
      tokenize: b.tokenize!,
      smoothMethod: b.smoothMethod!,
      smoothValue: b.smoothValue,
    }),
    chrf: chrf(0),
    chrf_pp: chrf(2),
  };
}

/** The three signatures without the data-dependent `nrefs` field (a run's recorded settings, before any data). */
export function astMetricSignature(options: TaskScoreOptions = {}): string {
  const sig = signaturesOf(parseOptions(options), 0);
  const settings = (x: string) => x.replace(/^nrefs:[^|]*\|/, '');
  return `BLEU ${settings(sig.bleu)}; chrF2 ${settings(sig.chrf)}; chrF2++ ${settings(sig.chrf_pp)}`;
}

/** Corpus BLEU of scored ast samples, from their stored statistics (compare's resampling statistic). */
export function astCorpusBleu(samples: readonly AstScoredSample[], options: TaskScoreOptions = {}): number {
  return bleuFromStatistics(
    samples.map((s) => s.bleu_stats),
    bleuOptionsOf(parseOptions(options)),
  ).score;
}

/** Scores ast samples: sacrebleu corpus BLEU, chrF and chrF++ over every reference of each sample. */
export function scoreAst(items: readonly ScoreItem[], options: TaskScoreOptions = {}): AstScoreResult {
  const opts = parseOptions(options);
  const normalizer = opts.normalizer ?? 'none';
  const norm = getNormalizer(normalizer).normalize;
  const bleuOpts = bleuOptionsOf(opts);
  const hyps = items.map((it) => norm(it.prediction ?? ''));
  const refs = items.map((it) => {
    const r = referenceList(it.reference);
    if (r.length === 0) throw new RangeError(`ast: sample ${it.id} has no reference`);
    return r.map(norm);
  });
  const signatures = signaturesOf(opts, items.length === 0 ? 0 : nrefsOf(refs.map((r) => r.length)));
  if (items.length === 0)
    return { task: 'ast', normalizer, tokenize: bleuOpts.tokenize!, signatures, metrics: { bleu: 0, chrf: 0, chrf_pp: 0 }, samples: [], missing: [] };
  const bleuStats = bleuSegmentStatistics(hyps, refs, bleuOpts);
  const chrfStats = chrfSegmentStatistics(hyps, refs, CHRF);
  const chrfPpStats = chrfSegmentStatistics(hyps, refs, CHRF_PP);
  // A sample's statistics scored alone are sacrebleu's sentence_bleu (effective order on) and sentence_chrf.
  const samples = items.map((it, k): AstScoredSample => ({
    id: it.id,
    missing: it.prediction === null,
    reference: it.reference,
    prediction: it.prediction ?? '',
    bleu: bleuFromStatistics([bleuStats[k]!], { ...bleuOpts, effectiveOrder: true }).score,
    chrf: chrfFromStatistics([chrfStats[k]!], CHRF),
    bleu_stats: bleuStats[k]!,
    chrf_stats: chrfStats[k]!,
  }));
  return {
    task: 'ast',
    normalizer,
    tokenize: bleuOpts.tokenize!,
    signatures,
    metrics: {
      bleu: bleuFromStatistics(bleuStats, bleuOpts).score,
      chrf: chrfFromStatistics(chrfStats, CHRF),
      chrf_pp: chrfFromStatistics(chrfPpStats, CHRF_PP),
    },
    samples,
    missing: missingIds(items),
  };
}

/** Speech translation, and any generation scored against reference texts: sacrebleu BLEU, chrF and chrF++. */
export const astTask = {
  name: 'ast',
  description: 'speech translation (or any text generation) vs reference(s): sacrebleu corpus BLEU, chrF and chrF++',
  sample: {
    target: 'reference',
    // Speech translation sends audio; captioning or other text-to-reference generation may send an image or nothing.
    media: ['audio', 'image'],
    fields: z.object({
      /** The speech, relative to the manifest, when the sample has any. */
      audio: z.string().min(1).optional(),
      /** The reference translation, or several. */
      reference: z.union([z.string(), z.array(z.string()).min(1)]),
    }),
  },
  options: astOptions,
  defaultPrompt: 'Translate the speech in this audio into {lang}. Answer with the translation only.',
  scoreCommand: true,
  scoreSample: (item, options) => scoreOne('ast', scoreAst, item, options),
  aggregate: scoreAst,
  metrics: [
    { name: 'bleu', description: 'sacrebleu corpus BLEU (0–100)', direction: 'higher', pairedTest: 'permutation' },
    { name: 'chrf', description: 'sacrebleu corpus chrF, β = 2 (0–100)', direction: 'higher', pairedTest: 'permutation' },
    { name: 'chrf_pp', description: 'sacrebleu corpus chrF++ (word order 2, 0–100)', direction: 'higher', pairedTest: 'permutation' },
  ],
  primaryMetric: () => 'bleu',
  // Sentence BLEU is for display only: compare resamples corpus BLEU through `corpusScore`.
  pairedItem: (s) => {
    const n = (s.bleu_stats.length - 2) / 2;
    const matches = Array.from({ length: n }, (_, i) => `${s.bleu_stats[2 + i]}/${s.bleu_stats[2 + n + i]}`).join(' ');
    return { numerator: s.bleu, denominator: 1, score: s.bleu, errors: `matches ${matches} len ${s.bleu_stats[0]}/${s.bleu_stats[1]}` };
  },
  corpusScore: astCorpusBleu,
  defaultNormalizer: () => 'none',
  metricSource: () => SACREBLEU,
  metricSignature: astMetricSignature,
  metricSources: [SACREBLEU],
  headline: (m) => `bleu ${formatMetric(m.bleu)}  chrf ${formatMetric(m.chrf)}`,
} as const satisfies TaskSpec<'ast', AstScoredSample, AstMetrics>;
