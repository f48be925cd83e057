// VQA accuracy as the official evaluation computes it for one question
// (VQAEval.evaluate in GT-Vision-Lab/VQA vqaEval.py): each human answer is
// left out in turn, the prediction scores min(#other humans giving it / 3, 1)
// against the rest, and the question's accuracy is the mean of those scores.
import { vqaCleanWhitespace, vqaProcessDigitArticle, vqaProcessPunctuation } from './vqa-normalize.js';

/** One question's VQA accuracy and the strings it compared. */
export interface VqaAccuracyResult {
  /** Mean over the human answers left out of min(#other humans matching ÷ 3, 1), in [0, 1]. */
  readonly accuracy: number;
  /** The prediction as compared (cleaned, and normalized when `normalized`). */
  readonly prediction: string;
  /** The human answers as compared, in input order. */
  readonly answers: readonly string[];
  /** Whether punctuation/digit/article normalization was applied (the human answers differ after the clean-up). */
  readonly normalized: boolean;
  /** How many human answers equal the compared prediction. */
  readonly matches: number;
}

/**
 * The official per-question VQA accuracy. Every answer and the prediction get
 * the whitespace clean-up (newline/tab to space, strip); punctuation, number
 * words, articles and contractions are normalized — the answers' and the
 * prediction's alike — only when the cleaned answers are not all the same
 * string, as upstream does (with ten identical "yes" answers a prediction
 * "Yes" scores 0). Works for any number of answers ≥ 1, as upstream's loop
 * does: with a single answer no other human is left, so the accuracy is 0.
 * Throws a RangeError for an empty list (upstream divides by zero).
 */
export function vqaAccuracy(humanAnswers: readonly string[], prediction: string): VqaAccuracyResult {
  const n = humanAnswers.length;
  if (n === 0) throw new RangeError('VQA accuracy needs at least one human answer');
  let answers = humanAnswers.map(vqaCleanWhitespace);
  let pred = vqaCleanWhitespace(prediction);
  const normalized = new Set(answers).size > 1;
  if (normalized) {
    answers = answers.map((a) => vqaProcessDigitArticle(vqaProcessPunctuation(a)));
    pred = vqaProcessDigitArticle(vqaProcessPunctuation(pred));
  }
  let matches = 0;
  for (const a of answers) if (a === pred) matches++;
  // Upstream sums the per-subset scores in answer order and divides by n; the
  // same floating-point operations in the same order give the same number.
  let sum = 0;
  for (const a of answers) {
    const others = matches - (a === pred ? 1 : 0);
    sum += Math.min(1, others / 3);
  }
  return { accuracy: sum / n, prediction: pred, answers, normalized, matches };
}
