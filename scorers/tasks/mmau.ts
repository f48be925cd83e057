import { z } from 'zod';
import { getNormalizer, NORMALIZER_NAMES, type NormalizerName } from '../normalizers/normalizer-registry.js';
import { PY_W } from '../normalizers/python-text.js';
import type { ScoredSample, ScoreItem, ScoreTaskResult, TaskScoreOptions } from '../score-task.js';
import { missingIds } from './sample-fields.js';
import { scoreOne } from './score-one.js';
import { formatMetric, type TaskSpec } from './task-spec.js';
import type { VersionedScorer } from './upstream-ref.js';

// MMAU's string-match rule. 74682927 is the last commit that changed evaluation.py
// (the repository's HEAD 110127f, Feb 2026, holds the same file).
const MMAU_STRING_MATCH: VersionedScorer = {
  version: 'mmau-string-match@7468292',
  upstream: [{ repo: 'Sakshi113/MMAU', ref: '74682927cf7f434cc9ed585b1f8a5e6150381e91', path: 'evaluation.py', symbol: 'string_match' }],
};

/** The scorer options mmau reads. */
const mmauOptions = z.object({
  /** Normalizer applied to the prediction before MMAU's tokenization (default `none`, as upstream). */
  normalizer: z.enum(NORMALIZER_NAMES).optional(),
});

/** mmau scorer options, as its `options` schema reads them. */
export type MmauScoreOptions = z.infer<typeof mmauOptions>;

/** mmau metrics (a type, not an interface, so it reads as a metric record). */
export type MmauMetrics = {
  /** correct ÷ n. */
  readonly accuracy: number;
  /** Samples judged correct by MMAU's rule. */
  readonly correct: number;
  /** Number of samples (missing predictions included, scored as empty output: wrong). */
  readonly n: number;
};

/** One mmau sample's values. */
export interface MmauScoredSample extends ScoredSample {
  /** Normalized prediction (the prediction itself under the default `none`). */
  readonly normalized_prediction: string;
  /** The correct choice's text (a letter answer resolved through `choices`). */
  readonly answer: string;
  /** Whether every answer token is in the prediction and no wrong-choice-only token is. */
  readonly correct: boolean;
}

// Python's `re.findall(r'\b\w+\b', s)` finds the maximal runs of `\w` (the `\b`s
// add nothing to a greedy `\w+`), so a run of Python's `\w` is one token.
const TOKEN_RE = new RegExp(`${PY_W}+`, 'gu');

/**
 * MMAU's `tokenize`: `set(re.findall(r'\b\w+\b', text.lower()))`. JavaScript's
 * `toLowerCase` applies the same full Unicode lowercasing as Python's `str.lower`
 * (İ → i + U+0307, final sigma), and {@link PY_W} is Python's Unicode `\w`.
 */
export function mmauTokens(text: string): Set<string> {
  return new Set(text.toLowerCase().match(TOKEN_RE) ?? []);
}

const sameSet = (a: ReadonlySet<string>, b: ReadonlySet<string>): boolean => a.size === b.size && [...a].every((t) => b.has(t));

/**
 * MMAU's `string_match(answer, prediction, choices)`: true when the prediction
 * has at least one token, holds every token of the answer, and holds none of
 * the tokens that only wrong choices have. A choice whose token set equals the
 * answer's (the answer itself, or a case/punctuation variant of it) is not a
 * wrong choice; tokens a wrong choice shares with the answer never count
 * against the prediction.
 */
export function mmauStringMatch(answer: string, prediction: string, choices: readonly string[]): boolean {
  const predTokens = mmauTokens(prediction);
  if (predTokens.size === 0) return false;
  const answerTokens = mmauTokens(answer);
  for (const t of answerTokens) if (!predTokens.has(t)) return false;
  for (const choice of choices) {
    const choiceTokens = mmauTokens(choice);
    if (sameSet(choiceTokens, answerTokens)) continue;
    for (const t of choiceTokens) if (!answerTokens.has(t) && predTokens.has(t)) return false;
  }
  return true;
}

/**
 * The correct choice's text. The manifest stores the answer as a letter
 * (A = first choice), MMAU's own files store the text: a single capital letter
 * naming one of the choices is read as a letter, anything else as the text.
 */
export function mmauAnswerText(answer: string, choices: readonly string[] | undefined): string {
  const a = answer.trim();
  if (choices && /^[A-Z]$/.test(a)) {
    const i = a.charCodeAt(0) - 65;
    if (i < choices.length) return choices[i]!;
  }
  return answer;
}

/** The normalizer mmau applies when the options name none (the spec's `defaultNormalizer`, so recorded versions match). */
const defaultNormalizer = (): NormalizerName => 'none';

/** Scores mmau samples with MMAU's string-match rule. */
export function scoreMmau(items: readonly ScoreItem[], options: TaskScoreOptions = {}): ScoreTaskResult<MmauMetrics, MmauScoredSample> {
  const opts = mmauOptions.parse(options);
  const normalizerName = opts.normalizer ?? defaultNormalizer();
  const norm = getNormalizer(normalizerName).normalize;
  let correct = 0;
  const samples = items.map((it): MmauScoredSample => {
    const pred = norm(it.prediction ?? '');
    const choices = it.choices ?? [];
    const answer = mmauAnswerText(it.answer ?? '', it.choices);
    const ok = mmauStringMatch(answer, pred, choices);
    if (ok) correct++;
    return { id: it.id, missing: it.prediction === null, prediction: it.prediction ?? '', normalized_prediction: pred, answer, correct: ok };
  });
  const n = items.length;
  const metrics: MmauMetrics = { accuracy: n === 0 ? 0 : correct / n, correct, n };
  return { task: 'mmau', normalizer: normalizerName, metrics, samples, missing: missingIds(items) };
}

/** MMAU audio multiple choice: the free-text answer matched against the choice texts by MMAU's token rule. */
export const mmauTask = {
  name: 'mmau',
  description: "audio multiple choice scored by MMAU's string match: all tokens of the correct choice, none only a wrong choice has",
  sample: {
    target: 'choice',
    requiredMedia: 'audio',
    media: ['audio'],
    fields: z.object({
      /** The question. */
      question: z.string().optional(),
      /** Choice texts in letter order. */
      choices: z.array(z.string()).min(2),
      /** The correct letter (the manifest's form; `evalgate score` also takes the choice text). */
      answer: z.string().min(1),
    }),
  },
  options: mmauOptions,
  // MMAU publishes no prompt; this asks for the choice text, which is what its rule matches.
  defaultPrompt: '{question}\nChoose one of the following options and answer with its text.\n{options}',
  scoreCommand: true,
  scoreSample: (item, options) => scoreOne('mmau', scoreMmau, item, options),
  aggregate: scoreMmau,
  metrics: [{ name: 'accuracy', description: "correct ÷ samples by MMAU's string match", direction: 'higher', pairedTest: 'mcnemar' }],
  primaryMetric: () => 'accuracy',
  pairedItem: (s) => {
    const v = s.correct ? 1 : 0;
    return { numerator: v, denominator: 1, score: v, errors: s.correct ? '' : s.prediction.trim() === '' ? 'empty' : 'no match' };
  },
  defaultNormalizer,
  metricSource: () => MMAU_STRING_MATCH,
  metricSources: [MMAU_STRING_MATCH],
  headline: (m) => `accuracy ${formatMetric(m.accuracy)}`,
} as const satisfies TaskSpec<'mmau', MmauScoredSample, MmauMetrics>;
