// The single entry point for scoring a list of samples: used by
// `evalgate score`, the batch runner and the live gateway. Pure: no I/O.
import type { ExtractorName } from './mcq/mcq-extractors.js';
import { extractChoice } from './mcq/mcq-extractors.js';
import type { NormalizerName } from './normalizers/normalizer-registry.js';
import { getNormalizer } from './normalizers/normalizer-registry.js';
import { anls, anlsLmms, exactMatch, normalizedEditDistance, normEditDis, ocrbench } from './ocr-metrics/ocr-metrics.js';
import type { TokenUnit } from './wer/tokenize.js';
import { tokenize } from './wer/tokenize.js';
import type { ProcessOutput } from './wer/word-error-rate.js';
import { computeMeasures, processTokens } from './wer/word-error-rate.js';

/** Task kinds `scoreTask` understands. */
export type ScoreTaskKind = 'asr' | 'ocr' | 'mcq';

/** One sample to score: manifest fields plus the model's prediction. */
export interface ScoreItem {
  /** Sample id (unique within the list). */
  readonly id: string;
  /** asr: reference transcript; ocr: one acceptable answer or a list of them. */
  readonly reference?: string | readonly string[];
  /** mcq: the correct letter. */
  readonly answer?: string;
  /** mcq: the option texts (their count decides the letters A, B, …). */
  readonly choices?: readonly string[];
  /** ocr: source dataset name; "HME100k" switches OCRBench to its handwritten-math rule. */
  readonly datasetName?: string;
  /** The model output; null when no prediction exists (scored as empty output, listed in `missing`). */
  readonly prediction: string | null;
}

/** Options of {@link scoreTask}. */
export interface ScoreTaskOptions {
  /** Which metrics to compute. */
  readonly task: ScoreTaskKind;
  /** Normalizer applied to reference and prediction first (default `none`; for `--unit mixed` default `wenet-zh`). */
  readonly normalizer?: NormalizerName;
  /** asr token unit (default `word`). */
  readonly unit?: TokenUnit;
  /** mcq extractor (default `videomme`). */
  readonly extractor?: ExtractorName;
  /** mcq: compute accuracy over answered samples only (Video-MME's option); default counts unanswered as wrong. */
  readonly excludeUnanswered?: boolean;
  /** asr: keep per-sample alignments so `visualizeAlignment` can render them. */
  readonly keepAlignments?: boolean;
}

/** asr metrics: `wer`/`mer`/`wil`/`wip` for words, `cer` for char and mixed units. */
export interface AsrMetrics {
  /** Pooled WER (word unit). */
  readonly wer?: number;
  /** Pooled MER (word unit). */
  readonly mer?: number;
  /** Pooled WIL (word unit). */
  readonly wil?: number;
  /** Pooled WIP (word unit). */
  readonly wip?: number;
  /** Pooled CER (char and mixed units). */
  readonly cer?: number;
  /** Total hits. */
  readonly hits: number;
  /** Total substitutions. */
  readonly substitutions: number;
  /** Total deletions. */
  readonly deletions: number;
  /** Total insertions. */
  readonly insertions: number;
}

/** ocr metrics, each the mean over samples. */
export interface OcrMetrics {
  /** Official ANLS. */
  readonly anls: number;
  /** lmms-eval / VLMEvalKit ANLS. */
  readonly anls_lmms: number;
  /** OCRBench containment accuracy. */
  readonly ocrbench: number;
  /** Exact-match accuracy. */
  readonly exact_match: number;
  /** PaddleOCR `norm_edit_dis` (1 − Σ NED / (n + 1e-5)). */
  readonly norm_edit_dis: number;
}

/** mcq metrics. */
export interface McqMetrics {
  /** correct ÷ n (or correct ÷ answered with `excludeUnanswered`). */
  readonly accuracy: number;
  /** Samples from which a letter was extracted. */
  readonly answered: number;
  /** Samples from which no letter could be extracted (missing predictions included). */
  readonly unanswered: number;
  /** Number of samples. */
  readonly n: number;
}

/** Per-sample result; fields depend on the task. */
export interface ScoredSample {
  /** Sample id. */
  readonly id: string;
  /** True when the prediction was missing and scored as empty output. */
  readonly missing: boolean;
  /** Raw prediction ("" when missing). */
  readonly prediction: string;
  /** asr: raw reference. */
  readonly reference?: string | readonly string[];
  /** asr: normalized reference. */
  readonly normalized_reference?: string;
  /** Normalized prediction. */
  readonly normalized_prediction?: string;
  /** asr: per-sample rate (wer or cer, by unit). */
  readonly wer?: number;
  /** asr: per-sample CER (char/mixed). */
  readonly cer?: number;
  /** asr: hits. */
  readonly hits?: number;
  /** asr: substitutions. */
  readonly substitutions?: number;
  /** asr: deletions. */
  readonly deletions?: number;
  /** asr: insertions. */
  readonly insertions?: number;
  /** ocr: official ANLS. */
  readonly anls?: number;
  /** ocr: lmms ANLS. */
  readonly anls_lmms?: number;
  /** ocr: OCRBench 0/1. */
  readonly ocrbench?: number;
  /** ocr: exact match 0/1. */
  readonly exact_match?: number;
  /** ocr: normalized edit distance (PaddleOCR, ignore_space). */
  readonly ned?: number;
  /** mcq: correct letter. */
  readonly answer?: string;
  /** mcq: extracted letter, null when unanswered. */
  readonly extracted?: string | null;
  /** mcq: whether the extracted letter is the answer (false when unanswered). */
  readonly correct?: boolean;
}

/** Result of {@link scoreTask}; the `evalgate score --json` document. */
export interface ScoreTaskResult {
  /** Task kind. */
  readonly task: ScoreTaskKind;
  /** Normalizer used. */
  readonly normalizer: NormalizerName;
  /** asr unit used. */
  readonly unit?: TokenUnit;
  /** mcq extractor used. */
  readonly extractor?: ExtractorName;
  /** Corpus metrics. */
  readonly metrics: AsrMetrics | OcrMetrics | McqMetrics;
  /** Per-sample values, in input order. */
  readonly samples: readonly ScoredSample[];
  /** Ids with no prediction (scored as empty output). */
  readonly missing: readonly string[];
  /** asr with `keepAlignments`: the jiwer-style process output for visualisation (not serialised). */
  readonly alignment?: ProcessOutput;
}

function refList(ref: string | readonly string[] | undefined): readonly string[] {
  if (ref === undefined) return [];
  return typeof ref === 'string' ? [ref] : ref;
}

function scoreAsr(items: readonly ScoreItem[], opts: ScoreTaskOptions, normalizerName: NormalizerName): ScoreTaskResult {
  const unit = opts.unit ?? 'word';
  const norm = getNormalizer(normalizerName).normalize;
  const normalized = items.map((it) => ({ item: it, reference: norm(refList(it.reference).join(' ')), prediction: norm(it.prediction ?? '') }));
  const out = processTokens(
    normalized.map((n) => tokenize(n.reference, unit)),
    normalized.map((n) => tokenize(n.prediction, unit)),
    { tieBreak: unit === 'mixed' ? 'wenet' : 'rapidfuzz', alignments: Boolean(opts.keepAlignments) },
  );
  // With no reference tokens the rate is 0/0. jiwer (4.x) counts the insertions;
  // WeNet's compute-wer.py, whose tokens the `mixed` unit uses, prints 0 (its
  // `if result['all'] != 0 … else: wer = 0.0`), per utterance and overall.
  const rateOf = (rate: number, refTokens: number): number => (unit === 'mixed' && refTokens === 0 ? 0 : rate);
  const samples = normalized.map(({ item: it, reference, prediction }, k): ScoredSample => {
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
    missing: items.filter((i) => i.prediction === null).map((i) => i.id),
    ...(opts.keepAlignments ? { alignment: out } : {}),
  };
}

function mean(xs: readonly number[]): number {
  if (xs.length === 0) return 0;
  let s = 0;
  for (const x of xs) s += x;
  return s / xs.length;
}

function scoreOcr(items: readonly ScoreItem[], normalizerName: NormalizerName): ScoreTaskResult {
  const norm = getNormalizer(normalizerName).normalize;
  const samples = items.map((it): ScoredSample => {
    const refs = refList(it.reference).map(norm);
    const pred = norm(it.prediction ?? '');
    return {
      id: it.id,
      missing: it.prediction === null,
      reference: it.reference,
      prediction: it.prediction ?? '',
      normalized_prediction: pred,
      anls: anls(refs, pred),
      anls_lmms: anlsLmms(refs, pred),
      ocrbench: ocrbench(refs, pred, it.datasetName),
      exact_match: exactMatch(refs, pred),
      ned: normalizedEditDistance(refs, pred),
    };
  });
  const metrics: OcrMetrics = {
    anls: mean(samples.map((s) => s.anls!)),
    anls_lmms: mean(samples.map((s) => s.anls_lmms!)),
    ocrbench: mean(samples.map((s) => s.ocrbench!)),
    exact_match: mean(samples.map((s) => s.exact_match!)),
    norm_edit_dis: normEditDis(samples.map((s) => s.ned!)),
  };
  return { task: 'ocr', normalizer: normalizerName, metrics, samples, missing: items.filter((i) => i.prediction === null).map((i) => i.id) };
}

function scoreMcq(items: readonly ScoreItem[], opts: ScoreTaskOptions, normalizerName: NormalizerName): ScoreTaskResult {
  const extractor = opts.extractor ?? 'videomme';
  const norm = getNormalizer(normalizerName).normalize;
  let answered = 0;
  let correct = 0;
  const samples = items.map((it): ScoredSample => {
    const pred = norm(it.prediction ?? '');
    const extracted = extractChoice(extractor, pred, it.choices?.length);
    const answer = (it.answer ?? '').trim().toUpperCase();
    const ok = extracted !== null && extracted === answer;
    if (extracted !== null) answered++;
    if (ok) correct++;
    return {
      id: it.id,
      missing: it.prediction === null,
      prediction: it.prediction ?? '',
      normalized_prediction: pred,
      answer,
      extracted,
      correct: ok,
    };
  });
  const n = items.length;
  const denom = opts.excludeUnanswered ? answered : n;
  const metrics: McqMetrics = { accuracy: denom === 0 ? 0 : correct / denom, answered, unanswered: n - answered, n };
  return {
    task: 'mcq',
    normalizer: normalizerName,
    extractor,
    metrics,
    samples,
    missing: items.filter((i) => i.prediction === null).map((i) => i.id),
  };
}

/**
 * Scores samples for one task. asr pools jiwer counts over the corpus; ocr
 * averages per-sample metrics; mcq counts unanswered outputs separately.
 */
export function scoreTask(items: readonly ScoreItem[], options: ScoreTaskOptions): ScoreTaskResult {
  return scorersByKind[options.task](items, options);
}

// One scorer per kind, each applying its default normalizer (`none`; asr's mixed unit: `wenet-zh`,
// as the asr TaskSpec's defaultNormalizer says).
const scorersByKind: Readonly<Record<ScoreTaskKind, (items: readonly ScoreItem[], opts: ScoreTaskOptions) => ScoreTaskResult>> = {
  asr: (items, opts) => scoreAsr(items, opts, opts.normalizer ?? (opts.unit === 'mixed' ? 'wenet-zh' : 'none')),
  ocr: (items, opts) => scoreOcr(items, opts.normalizer ?? 'none'),
  mcq: (items, opts) => scoreMcq(items, opts, opts.normalizer ?? 'none'),
};
