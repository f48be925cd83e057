// Multiple-choice answer extractors. Each returns the chosen letter, or null
// when no option can be extracted: such outputs are counted as unanswered and
// never guessed.
import { pySplit, pyStrip } from '../normalizers/python-text.js';
import { extractMcqLmms } from './lmms-mcq-extract.js';

/** Extractor names accepted by `evalgate score --extractor`. */
export const EXTRACTOR_NAMES = ['videomme', 'lmms', 'mvbench'] as const;

/** One of {@link EXTRACTOR_NAMES}. */
export type ExtractorName = (typeof EXTRACTOR_NAMES)[number];

// Video-MME eval_your_results.py, including its missing commas: Python joins
// "The best option is" "The correct option is" into one prefix (same for "Best answer:").
const VIDEOMME_PREFIXES = [
  'The best answer is',
  'The correct answer is',
  'The answer is',
  'The answer',
  'The best option isThe correct option is',
  'Best answer:Best option:',
];

/** Video-MME `extract_characters_regex`: the first capital A–D after removing answer prefixes. */
export function extractVideoMme(prediction: string): string | null {
  let s = pyStrip(prediction);
  for (const p of VIDEOMME_PREFIXES) s = s.replaceAll(p, '');
  if (pySplit(s).length > 10 && !/[ABCD]/.test(s)) return null;
  const m = /[ABCD]/.exec(s);
  return m ? m[0] : null;
}

/**
 * MVBench `check_ans`: the first space-separated token of the lower-cased
 * prediction, without ".", is matched against "(x)" by substring in either
 * direction. The letter is extracted only when exactly one option matches;
 * MVBench itself would score an empty or "(" token as correct for any answer,
 * which we count as unanswered instead.
 */
export function extractMvBench(prediction: string, letters: readonly string[]): string | null {
  const predOption = prediction.toLowerCase().split(' ')[0] ?? '';
  const hits = letters.filter((l) => {
    const gtOption = `(${l.toLowerCase()})`;
    return gtOption.includes(predOption.replaceAll('.', '')) || predOption.includes(gtOption);
  });
  return hits.length === 1 ? hits[0]! : null;
}

/** Option letters A, B, … for `count` choices (A–D when the count is unknown, as MVBench's four candidates). */
export function optionLetters(count: number | undefined): string[] {
  const n = count && count > 0 ? count : 4;
  return Array.from({ length: n }, (_, i) => String.fromCharCode(65 + i));
}

/**
 * Runs the named extractor on the answer to a question with `choiceCount`
 * options. When the count is unknown each extractor keeps its own default:
 * MVBench A–D, lmms-eval's `extract_mcq_answer` A–H (its `choices=None`).
 */
export function extractChoice(extractor: ExtractorName, prediction: string, choiceCount?: number): string | null {
  if (extractor === 'videomme') return extractVideoMme(prediction);
  if (extractor === 'mvbench') return extractMvBench(prediction, optionLetters(choiceCount));
  const r = extractMcqLmms(prediction, choiceCount && choiceCount > 0 ? optionLetters(choiceCount) : null);
  return r === '' ? null : r;
}
