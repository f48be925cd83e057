// Multiple-choice answer extractors. Each returns the chosen letter, or null
// when no option can be extracted: such outputs are counted as unanswered and
// never guessed. Each names the upstream version it follows (docs/scoring.md).
import { pySplit, pyStrip } from '../normalizers/python-text.js';
import type { VersionedScorer } from '../tasks/upstream-ref.js';
import { extractMcqLmms202604 } from './lmms-mcq-extract-2026-04.js';
import { extractMcqLmms } from './lmms-mcq-extract.js';

import { DEFAULT_EXTRACTOR, EXTRACTOR_NAMES, type ExtractorName } from './extractor-names.js';

export { DEFAULT_EXTRACTOR, EXTRACTOR_NAMES, type ExtractorName };

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
  const [only] = hits;
  return hits.length === 1 && only !== undefined ? only : null;
}

/** Option letters A, B, … for `count` choices (A–D when the count is unknown, as MVBench's four candidates). */
export function optionLetters(count: number | undefined): string[] {
  const n = count && count > 0 ? count : 4;
  return Array.from({ length: n }, (_, i) => String.fromCharCode(65 + i));
}

/** A registered extractor. */
export interface ExtractorSpec extends VersionedScorer {
  /** Registry name. */
  readonly name: ExtractorName;
  /** The chosen letter of an answer to a question with `choiceCount` options, or null when unanswered. */
  readonly extract: (prediction: string, choiceCount?: number) => string | null;
}

/** lmms-eval's letters: A… for the known count, else its own default (A–H, `choices=None`). */
const lmmsChoices = (choiceCount?: number): string[] | null => (choiceCount && choiceCount > 0 ? optionLetters(choiceCount) : null);
const LMMS_FILE = 'lmms_eval/tasks/_task_utils/mcq_extract.py';

/** Registry of all extractors, keyed by name. */
export const extractors: Readonly<Record<ExtractorName, ExtractorSpec>> = {
  videomme: {
    name: 'videomme',
    version: 'videomme@4e7566d',
    upstream: [
      {
        repo: 'BradyFU/Video-MME',
        ref: '4e7566d36f63121fc72f040654d6f38f83f30125',
        path: 'evaluation/eval_your_results.py',
        symbol: 'extract_characters_regex',
      },
    ],
    extract: (prediction) => extractVideoMme(prediction),
  },
  // The conservative rewrite (lmms-eval PR #1564): its reviewed contract, test/eval/mcq_extract/cases.json
  // and test/eval/test_mcq_extract.py, is stored at 1174fc08; the rewrite has no release tag yet.
  lmms: {
    name: 'lmms',
    version: 'lmms@1174fc0',
    upstream: [
      { repo: 'EvolvingLMMs-Lab/lmms-eval', ref: '1174fc08b2c4b6b65a76acbb93e62d551bc32429', path: LMMS_FILE, symbol: 'extract_mcq_answer' },
      { repo: 'EvolvingLMMs-Lab/lmms-eval', ref: '1174fc08b2c4b6b65a76acbb93e62d551bc32429', path: 'test/eval/test_mcq_extract.py' },
    ],
    extract: (prediction, choiceCount) => extractMcqLmms(prediction, lmmsChoices(choiceCount)) || null,
  },
  'lmms-2026-04': {
    name: 'lmms-2026-04',
    version: 'lmms-2026-04@7a69a9a',
    upstream: [{ repo: 'EvolvingLMMs-Lab/lmms-eval', ref: '7a69a9a12f8e6ea872f18762b496b424a8e63a6a', path: LMMS_FILE, symbol: 'extract_mcq_answer' }],
    extract: (prediction, choiceCount) => extractMcqLmms202604(prediction, lmmsChoices(choiceCount)) || null,
  },
  mvbench: {
    name: 'mvbench',
    version: 'mvbench@71ac7a2',
    upstream: [{ repo: 'OpenGVLab/Ask-Anything', ref: '71ac7a28183a3d9610ad149f19ee2195cc31c65e', path: 'video_chat2/mvbench.ipynb', symbol: 'check_ans' }],
    extract: (prediction, choiceCount) => extractMvBench(prediction, optionLetters(choiceCount)),
  },
};

/** True when `name` is a registered extractor. */
export function isExtractorName(name: string): name is ExtractorName {
  return (EXTRACTOR_NAMES as readonly string[]).includes(name);
}

/**
 * Runs the named extractor on the answer to a question with `choiceCount`
 * options. When the count is unknown each extractor keeps its own default:
 * MVBench A–D, lmms-eval's `extract_mcq_answer` A–H (its `choices=None`).
 */
export function extractChoice(extractor: ExtractorName, prediction: string, choiceCount?: number): string | null {
  return extractors[extractor].extract(prediction, choiceCount);
}
