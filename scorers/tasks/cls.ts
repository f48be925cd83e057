import { z } from 'zod';
import { getNormalizer, NORMALIZER_NAMES, type NormalizerName } from '../normalizers/normalizer-registry.js';
import type { ScoredSample, ScoreItem, ScoreTaskResult, TaskScoreOptions } from '../score-task.js';
import { missingIds, referenceList } from './sample-fields.js';
import { scoreOne } from './score-one.js';
import { formatMetric, type TaskSpec } from './task-spec.js';
import type { VersionedScorer } from './upstream-ref.js';

// This project's label-matching rule (no upstream script defines one); macro-F1
// is scikit-learn's `f1_score(average='macro', labels=<label set>)` with
// unanswered outputs as a class outside the label set.
const CLS_LABELS: VersionedScorer = { version: 'cls-labels@1', upstream: [] };

/** The scorer options cls reads. */
const clsOptions = z.object({
  /** Normalizer applied to the prediction before label matching (default `none`). */
  normalizer: z.enum(NORMALIZER_NAMES).optional(),
  /** The dataset's label set, in report order; default: each sample's `choices`, else every label the scored samples name. */
  labels: z.array(z.string().min(1)).min(1).optional(),
  /** Per-dataset synonyms: label → other words that name it (`{ "happy": ["joy"] }`). */
  synonyms: z.record(z.string(), z.array(z.string().min(1))).optional(),
});

/** cls scorer options, as its `options` schema reads them. */
export type ClsScoreOptions = z.infer<typeof clsOptions>;

/** cls metrics (a type, not an interface, so it reads as a metric record). */
export type ClsMetrics = {
  /** correct ÷ n (unanswered samples are wrong). */
  readonly accuracy: number;
  /** Mean over the label set of per-class F1; unanswered samples are false negatives of their true class. */
  readonly macro_f1: number;
  /** Samples whose answer named the true label. */
  readonly correct: number;
  /** Samples whose answer named exactly one label. */
  readonly answered: number;
  /** Samples whose answer named no label or two different ones (missing predictions included). */
  readonly unanswered: number;
  /** Number of samples. */
  readonly n: number;
};

/** Why a sample is unanswered. */
export type ClsUnanswered = 'no-label' | 'several-labels';

/** One cls sample's values. */
export interface ClsScoredSample extends ScoredSample {
  /** The prediction after the normalizer and {@link normalizeLabelText}. */
  readonly normalized_prediction: string;
  /** The true label (the reference resolved to its label; the normalized reference when it names none). */
  readonly label: string;
  /** The one label the answer names, null when unanswered. */
  readonly predicted: string | null;
  /** Every distinct label the answer names, in order of first mention. */
  readonly found: readonly string[];
  /** Why no label was taken; null when answered. */
  readonly unanswered: ClsUnanswered | null;
  /** Whether the predicted label is the true one. */
  readonly correct: boolean;
}

/** Precision, recall and F1 of one class. */
export interface ClsClassScore {
  readonly label: string;
  /** tp ÷ (tp + fp); 0 when the class was never predicted. */
  readonly precision: number;
  /** tp ÷ (tp + fn); 0 when the class never occurs. */
  readonly recall: number;
  /** 2tp ÷ (2tp + fp + fn); 0 when that is 0 ÷ 0. */
  readonly f1: number;
  /** Samples whose true label is this class. */
  readonly support: number;
}

/** Confusion matrix: rows are true labels, columns predicted labels then "unanswered". */
export interface ClsConfusion {
  /** Row labels: the label set, then any true label outside it (first-seen order). */
  readonly rows: readonly string[];
  /** Column labels: the label set, then `unanswered`. */
  readonly columns: readonly string[];
  /** counts[row][column]. */
  readonly counts: readonly (readonly number[])[];
}

/** The cls result: the generic result plus the label set, per-class scores and confusion matrix. */
export interface ClsScoreResult extends ScoreTaskResult<ClsMetrics, ClsScoredSample> {
  /** The label set macro-F1 averages over. */
  readonly labels: readonly string[];
  /** Per-class precision, recall and F1, in label-set order. */
  readonly per_class: readonly ClsClassScore[];
  /** Confusion matrix. */
  readonly confusion: ClsConfusion;
}

/**
 * Lower-case, every Unicode punctuation or symbol character → space, whitespace
 * collapsed. Applied alike to answers, labels, synonyms and references, so
 * "Non-Speech" and "non speech" are the same words.
 */
export function normalizeLabelText(text: string): string {
  return text
    .toLowerCase()
    .replace(/[\p{P}\p{S}]/gu, ' ')
    .replace(/\s+/gu, ' ')
    .trim();
}

const words = (text: string): string[] => {
  const t = normalizeLabelText(text);
  return t === '' ? [] : t.split(' ');
};

/** A label set ready for matching: each phrase (label or synonym, as words) and the label it names. */
export interface LabelMatcher {
  readonly phrases: readonly { readonly words: readonly string[]; readonly label: string }[];
  /** Normalized phrase text → label. */
  readonly byText: ReadonlyMap<string, string>;
}

/**
 * A matcher for `labels` and their `synonyms` (synonyms of labels outside the
 * set are ignored). Throws a RangeError when one phrase names two labels, as
 * the answer would then be ambiguous by construction.
 */
export function labelMatcher(labels: readonly string[], synonyms: Readonly<Record<string, readonly string[]>> = {}): LabelMatcher {
  const byText = new Map<string, string>();
  const phrases: { words: string[]; label: string }[] = [];
  const add = (phrase: string, label: string): void => {
    const w = words(phrase);
    if (w.length === 0) return;
    const key = w.join(' ');
    const prev = byText.get(key);
    if (prev !== undefined && prev !== label) throw new RangeError(`cls: "${phrase}" names both "${prev}" and "${label}"`);
    if (prev === undefined) {
      byText.set(key, label);
      phrases.push({ words: w, label });
    }
  };
  for (const label of labels) add(label, label);
  for (const label of labels) for (const s of synonyms[label] ?? []) add(s, label);
  // Longest first, so "speech with music" is taken before "speech" at the same position.
  phrases.sort((a, b) => b.words.length - a.words.length);
  return { phrases, byText };
}

/**
 * The labels a free-text answer names, in order of first mention. The answer
 * is normalized ({@link normalizeLabelText}) and split into words; scanning
 * from the first word, at each position the longest label or synonym whose
 * words equal the next words is taken and the scan resumes after it, otherwise
 * the scan moves one word on. Matching is whole-word: "male" is not found in
 * "female".
 */
export function findLabels(answer: string, matcher: LabelMatcher): string[] {
  const w = words(answer);
  const found: string[] = [];
  let i = 0;
  while (i < w.length) {
    const hit = matcher.phrases.find((p) => p.words.every((x, k) => w[i + k] === x));
    if (hit) {
      if (!found.includes(hit.label)) found.push(hit.label);
      i += hit.words.length;
    } else i++;
  }
  return found;
}

/** The one label an answer names, or why it has none: no label, or two different labels. */
export function matchLabel(answer: string, matcher: LabelMatcher): { predicted: string | null; found: string[]; unanswered: ClsUnanswered | null } {
  const found = findLabels(answer, matcher);
  if (found.length === 1) return { predicted: found[0]!, found, unanswered: null };
  return { predicted: null, found, unanswered: found.length === 0 ? 'no-label' : 'several-labels' };
}

/** Per-class scores over `labels`, as scikit-learn's precision/recall/F1 with `zero_division=0`. */
export function classScores(truth: readonly string[], predicted: readonly (string | null)[], labels: readonly string[]): ClsClassScore[] {
  return labels.map((label) => {
    let tp = 0;
    let fp = 0;
    let fn = 0;
    for (const [k, t] of truth.entries()) {
      const p = predicted[k] ?? null;
      if (t === label && p === label) tp++;
      else if (p === label) fp++;
      else if (t === label) fn++;
    }
    const ratio = (a: number, b: number): number => (b === 0 ? 0 : a / b);
    return { label, precision: ratio(tp, tp + fp), recall: ratio(tp, tp + fn), f1: ratio(2 * tp, 2 * tp + fp + fn), support: tp + fn };
  });
}

/**
 * The label set when the options give none: every sample's choices, then each
 * reference that names none of them (nor a synonym of one), first seen first,
 * one entry per normalized text.
 */
function impliedLabels(choices: readonly string[], references: readonly string[], synonyms: Readonly<Record<string, readonly string[]>>): string[] {
  const labels: string[] = [];
  const seen = new Set<string>();
  let matcher: LabelMatcher | undefined; // rebuilt only after the set grows
  const take = (l: string, isReference: boolean): void => {
    const key = normalizeLabelText(l);
    if (key === '' || seen.has(key)) return;
    if (isReference && (matcher ??= labelMatcher(labels, synonyms)).byText.has(key)) return;
    seen.add(key);
    labels.push(l);
    matcher = undefined;
  };
  for (const c of choices) take(c, false);
  for (const r of references) take(r, true);
  return labels;
}

/** The normalizer cls applies when the options name none (the spec's `defaultNormalizer`, so recorded versions match). */
const defaultNormalizer = (): NormalizerName => 'none';

/** Scores cls samples: the label named in each answer vs the reference label. */
export function scoreCls(items: readonly ScoreItem[], options: TaskScoreOptions = {}): ClsScoreResult {
  const opts = clsOptions.parse(options);
  const normalizerName = opts.normalizer ?? defaultNormalizer();
  const norm = getNormalizer(normalizerName).normalize;
  const synonyms = opts.synonyms ?? {};
  const refOf = (it: ScoreItem): string => referenceList(it.reference)[0] ?? '';
  const labels =
    opts.labels ??
    impliedLabels(
      items.flatMap((it) => it.choices ?? []),
      items.map(refOf),
      synonyms,
    );
  const corpusMatcher = labelMatcher(labels, synonyms);
  const matchers = new Map<string, LabelMatcher>();
  const matcherFor = (it: ScoreItem): LabelMatcher => {
    if (opts.labels || !it.choices) return corpusMatcher;
    const key = JSON.stringify(it.choices);
    let m = matchers.get(key);
    if (!m) matchers.set(key, (m = labelMatcher(it.choices, synonyms)));
    return m;
  };
  const samples = items.map((it): ClsScoredSample => {
    const matcher = matcherFor(it);
    const ref = refOf(it);
    const label = matcher.byText.get(normalizeLabelText(ref)) ?? corpusMatcher.byText.get(normalizeLabelText(ref)) ?? normalizeLabelText(ref);
    const pred = norm(it.prediction ?? '');
    const m = matchLabel(pred, matcher);
    return {
      id: it.id,
      missing: it.prediction === null,
      prediction: it.prediction ?? '',
      normalized_prediction: normalizeLabelText(pred),
      label,
      predicted: m.predicted,
      found: m.found,
      unanswered: m.unanswered,
      correct: m.predicted !== null && m.predicted === label,
    };
  });
  const n = samples.length;
  const correct = samples.filter((s) => s.correct).length;
  const answered = samples.filter((s) => s.predicted !== null).length;
  const perClass = classScores(
    samples.map((s) => s.label),
    samples.map((s) => s.predicted),
    labels,
  );
  const rows = [...new Set([...labels, ...samples.map((s) => s.label)])];
  const columns = [...labels, 'unanswered'];
  const counts = rows.map(() => columns.map(() => 0));
  for (const s of samples) {
    // Every predicted label is in the set: without `labels` the set holds every sample's choices.
    const col = s.predicted === null ? labels.length : labels.indexOf(s.predicted);
    counts[rows.indexOf(s.label)]![col]!++;
  }
  const metrics: ClsMetrics = {
    accuracy: n === 0 ? 0 : correct / n,
    macro_f1: perClass.length === 0 ? 0 : perClass.reduce((a, c) => a + c.f1, 0) / perClass.length,
    correct,
    answered,
    unanswered: n - answered,
    n,
  };
  return {
    task: 'cls',
    normalizer: normalizerName,
    labels,
    per_class: perClass,
    confusion: { rows, columns, counts },
    metrics,
    samples,
    missing: missingIds(items),
  };
}

/** Audio and image classification (emotion, speaker gender, sound events, speaker count, scene): the one label a free-text answer names. */
export const clsTask = {
  name: 'cls',
  description: 'classification: the one label (or synonym) a free-text answer names vs reference; two labels or none → unanswered',
  sample: {
    target: 'reference',
    media: ['audio', 'image'],
    fields: z.object({
      /** The question. */
      question: z.string().optional(),
      /** The true label. */
      reference: z.union([z.string(), z.array(z.string()).length(1)]),
      /** The label set for this sample (default: the `labels` option, else the labels every scored sample names). */
      choices: z.array(z.string()).min(2).optional(),
    }),
  },
  options: clsOptions,
  // Asks for the label's text: the matcher reads label words, not option letters.
  defaultPrompt: '{question}\nAnswer with exactly one of the following labels, written out as its text.\n{options}',
  scoreCommand: true,
  scoreSample: (item, options) => scoreOne('cls', scoreCls, item, options),
  aggregate: scoreCls,
  metrics: [
    { name: 'accuracy', description: 'correct ÷ samples; unanswered counts as wrong', direction: 'higher', pairedTest: 'mcnemar' },
    {
      name: 'macro_f1',
      description: 'mean per-class F1 over the label set (scikit-learn macro, unanswered outside it)',
      direction: 'higher',
      pairedTest: 'permutation',
    },
  ],
  primaryMetric: () => 'accuracy',
  pairedItem: (s) => {
    const v = s.correct ? 1 : 0;
    const errors = s.correct
      ? ''
      : s.predicted !== null
        ? `predicted ${s.predicted}`
        : s.unanswered === 'several-labels'
          ? `unanswered: ${s.found.join(', ')}`
          : 'unanswered';
    return { numerator: v, denominator: 1, score: v, errors };
  },
  defaultNormalizer,
  metricSource: () => CLS_LABELS,
  metricSources: [CLS_LABELS],
  singleReference: true,
  headline: (m) => `accuracy ${formatMetric(m.accuracy)}  macro-F1 ${formatMetric(m.macro_f1)}`,
} as const satisfies TaskSpec<'cls', ClsScoredSample, ClsMetrics>;
