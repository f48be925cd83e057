// OCR metrics, each faithful to its named reference.
import { levenshteinDistance } from '../wer/levenshtein-align.js';
import { pyLen, pySplit, pyStrip } from '../normalizers/python-text.js';

/** ANLS normalisation: strip, lower-case, collapse whitespace (`" ".join(s.strip().lower().split())`). */
function anlsNormalize(s: string): string {
  return pySplit(pyStrip(s).toLowerCase()).join(' ');
}

/**
 * Official ANLS (ST-VQA / DocVQA) for one question: NL = edit distance ÷ max
 * length of the normalised strings; a ground truth scores 1 − NL when NL < τ,
 * else 0; the question scores the max over its ground truths.
 */
export function anls(groundTruths: readonly string[], prediction: string, threshold = 0.5): number {
  const det = anlsNormalize(prediction);
  let best = 0;
  for (const gt of groundTruths) {
    const g = anlsNormalize(gt);
    const maxLen = Math.max(pyLen(g), pyLen(det));
    const nl = maxLen === 0 ? 0 : levenshteinDistance(g, det) / maxLen;
    const s = nl < threshold ? 1 - nl : 0;
    if (s > best) best = s;
  }
  return best;
}

/**
 * lmms-eval `anls` / VLMEvalKit `anls_compute` variant: the distance is taken on
 * the normalised strings but divided by the max length of the *raw* strings
 * (`len(answer.upper())`), the min NL over ground truths is taken first, and the
 * result is zeroed only when 1 − NL < τ (so NL = 0.5 scores 0.5).
 */
export function anlsLmms(groundTruths: readonly string[], prediction: string, threshold = 0.5): number {
  if (groundTruths.length === 0) return 0;
  let minNl = Number.POSITIVE_INFINITY;
  const det = anlsNormalize(prediction);
  for (const gt of groundTruths) {
    const g = anlsNormalize(gt);
    const length = Math.max(pyLen(gt.toUpperCase()), pyLen(prediction.toUpperCase()));
    const v = length === 0 ? 0 : levenshteinDistance(g, det) / length;
    if (v < minNl) minNl = v;
  }
  const q = 1 - minNl;
  return q < threshold ? 0 : q;
}

/** Dataset names for which OCRBench applies its handwritten-math rule. */
export const OCRBENCH_MATH_DATASETS: ReadonlySet<string> = new Set(['HME100k']);

/**
 * OCRBench (Yuliang-Liu/MultimodalOCR) for one question: 1 when a ground truth
 * is contained in the prediction. Normally both are lower-cased, stripped and
 * have "\n" replaced by " "; for handwritten math (HME100k) the case is kept
 * and all spaces and newlines are removed.
 */
export function ocrbench(groundTruths: readonly string[], prediction: string, datasetName?: string): number {
  const math = datasetName !== undefined && OCRBENCH_MATH_DATASETS.has(datasetName);
  const prep = (s: string): string => (math ? pyStrip(s).replaceAll('\n', ' ').replaceAll(' ', '') : pyStrip(s.toLowerCase()).replaceAll('\n', ' '));
  const pred = prep(prediction);
  return groundTruths.some((gt) => pred.includes(prep(gt))) ? 1 : 0;
}

/** Exact match after Python `strip()`: 1 when the prediction equals any ground truth. */
export function exactMatch(groundTruths: readonly string[], prediction: string): number {
  const p = pyStrip(prediction);
  return groundTruths.some((gt) => pyStrip(gt) === p) ? 1 : 0;
}

/**
 * rapidfuzz `Levenshtein.normalized_distance` as PaddleOCR's RecMetric uses it,
 * with its `ignore_space=True` default (all " " removed first). With several
 * ground truths the smallest distance is used.
 */
export function normalizedEditDistance(groundTruths: readonly string[], prediction: string, ignoreSpace = true): number {
  const p = ignoreSpace ? prediction.replaceAll(' ', '') : prediction;
  let best = 1;
  for (const gt of groundTruths.length > 0 ? groundTruths : ['']) {
    const t = ignoreSpace ? gt.replaceAll(' ', '') : gt;
    const maxLen = Math.max(pyLen(p), pyLen(t));
    const d = maxLen === 0 ? 0 : levenshteinDistance(p, t) / maxLen;
    if (d < best) best = d;
  }
  return best;
}

/** PaddleOCR's epsilon in `norm_edit_dis = 1 - Σ NED / (n + 1e-5)`. */
export const PADDLE_EPS = 1e-5;

/** PaddleOCR RecMetric `norm_edit_dis` over a corpus, from per-sample normalised distances. */
export function normEditDis(distances: readonly number[]): number {
  let sum = 0;
  for (const d of distances) sum += d;
  return 1 - sum / (distances.length + PADDLE_EPS);
}
