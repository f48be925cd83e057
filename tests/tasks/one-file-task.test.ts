// Issue 14: a new task is one file plus its tests. This test is that file: a
// toy exact-match task declared here, touching no project file, typechecked
// against TaskSpec (tsc covers tests/) and run through the generic machinery
// compare and the runner use.
import { z } from 'zod';
import { describe, expect, it } from 'vitest';
import { sampleOutcome } from '../compare/outcome-fixtures.js';
import { scoreOutcomesWith } from '../../gateway/compare/score-outcomes.js';
import { scoreItemOf, scoreRowsOf, scorerOptionsOf } from '../../gateway/runner/score-run.js';
import { getNormalizer, NORMALIZER_NAMES } from '../../scorers/normalizers/normalizer-registry.js';
import { scoreTask, type ScoredSample, type ScoreItem, type ScoreTaskResult, type TaskScoreOptions } from '../../scorers/score-task.js';
import { getTask, type TaskSpec } from '../../scorers/tasks/index.js';
import { scoreOne } from '../../scorers/tasks/score-one.js';
import { formatMetric } from '../../scorers/tasks/task-spec.js';

const emOptions = z.object({ normalizer: z.enum(NORMALIZER_NAMES).optional(), caseSensitive: z.boolean().optional() });
type EmMetrics = { readonly exact: number; readonly n: number };
interface EmSample extends ScoredSample {
  readonly normalized_prediction: string;
  readonly exact: 0 | 1;
}

function scoreEm(items: readonly ScoreItem[], options: TaskScoreOptions = {}): ScoreTaskResult<EmMetrics, EmSample> {
  const opts = emOptions.parse(options);
  const normalizer = opts.normalizer ?? 'none';
  const norm = getNormalizer(normalizer).normalize;
  const fold = (s: string): string => (opts.caseSensitive ? s : s.toLowerCase());
  const samples = items.map((it): EmSample => {
    const pred = norm(it.prediction ?? '');
    const refs = (typeof it.reference === 'string' ? [it.reference] : (it.reference ?? [])).map(norm);
    return {
      id: it.id,
      missing: it.prediction === null,
      prediction: it.prediction ?? '',
      normalized_prediction: pred,
      exact: refs.some((r) => fold(r.trim()) === fold(pred.trim())) ? 1 : 0,
    };
  });
  const hits = samples.reduce((n, s) => n + s.exact, 0);
  return {
    task: 'em',
    normalizer,
    metrics: { exact: samples.length ? hits / samples.length : 0, n: samples.length },
    samples,
    missing: items.filter((i) => i.prediction === null).map((i) => i.id),
  };
}

const emTask = {
  name: 'em',
  description: 'toy: exact string match against any reference',
  sample: { target: 'reference', media: ['image'], fields: z.object({ reference: z.union([z.string(), z.array(z.string()).min(1)]) }) },
  options: emOptions,
  defaultPrompt: '{question}',
  scoreCommand: false,
  scoreSample: (item, options) => scoreOne('em', scoreEm, item, options),
  aggregate: scoreEm,
  metrics: [{ name: 'exact', description: 'exact-match accuracy', direction: 'higher', pairedTest: 'mcnemar' }],
  primaryMetric: () => 'exact',
  pairedItem: (s) => ({ numerator: s.exact, denominator: 1, score: s.exact, errors: s.exact ? '' : `got ${s.normalized_prediction}` }),
  defaultNormalizer: () => 'none',
  metricSource: () => ({ version: 'em@1', upstream: [] }),
  metricSources: [{ version: 'em@1', upstream: [] }],
  headline: (m) => `exact ${formatMetric(m.exact)}`,
} as const satisfies TaskSpec<'em', EmSample, EmMetrics>;

// The generic view the registry and its consumers hold.
const asGeneric: TaskSpec = emTask;

// The contract stays typed: metrics are numbers, so a task cannot report a string metric.
// @ts-expect-error a metric record holds numbers only
const badMetrics: ScoreTaskResult<{ readonly exact: string }> = { task: 'x', normalizer: 'none', metrics: { exact: 'yes' }, samples: [], missing: [] };

const outcome = (sampleKey: string, reference: string, prediction: string) => sampleOutcome(sampleKey, prediction, { reference });

describe('a task declared in one file', () => {
  const items: ScoreItem[] = [
    { id: 'a', reference: 'Paris', prediction: 'paris' },
    { id: 'b', reference: ['7', 'seven'], prediction: 'Seven' },
    { id: 'c', reference: 'Rome', prediction: 'Milan' },
    { id: 'd', reference: 'Oslo', prediction: null },
  ];

  it('is a TaskSpec: its aggregate and scoreSample agree and parse options with its own schema', () => {
    expect(badMetrics.task).toBe('x');
    const r = asGeneric.aggregate(items);
    expect(r.metrics).toEqual({ exact: 0.5, n: 4 });
    expect(r.missing).toEqual(['d']);
    expect(r.samples.map((s) => s.exact)).toEqual([1, 1, 0, 0]);
    // caseSensitive is the toy's own option, read through its schema; unknown keys are dropped.
    expect(asGeneric.aggregate(items, { caseSensitive: true, unit: 'mixed' }).metrics).toEqual({ exact: 0, n: 4 });
    expect(() => asGeneric.aggregate(items, { caseSensitive: 'yes' })).toThrow();
    expect(asGeneric.scoreSample(items[1]!)).toEqual(r.samples[1]);
    expect(asGeneric.headline(r.metrics)).toBe('exact 0.500');
  });

  it('compare scores its outcomes: primary metric, direction, paired test and per-sample ratio items', () => {
    const outcomes = [outcome('a', 'Paris', 'paris'), outcome('b', 'seven', 'eight'), outcome('c', 'Rome', 'rome')];
    const scored = scoreOutcomesWith(asGeneric, outcomes, { normalizer: null, scoring: {} });
    expect(scored.metric).toBe('exact');
    expect(scored.lowerIsBetter).toBe(false);
    expect(scored.accuracyTest).toBe(true);
    expect([...scored.byKey.keys()]).toEqual(['a', 'b', 'c']);
    expect(scored.byKey.get('b')).toEqual({ item: { numerator: 0, denominator: 1 }, score: 0, prediction: 'eight', errors: 'got eight' });
    expect(scored.byKey.get('a')?.item).toEqual({ numerator: 1, denominator: 1 });
    // A recorded normalizer reaches the task: whisper-basic drops the comma, so "Rome," now matches.
    const comma = [outcome('c', 'Rome', 'Rome,')];
    expect(scoreOutcomesWith(asGeneric, comma, { normalizer: null, scoring: {} }).byKey.get('c')?.score).toBe(0);
    expect(scoreOutcomesWith(asGeneric, comma, { normalizer: 'whisper-basic', scoring: {} }).byKey.get('c')?.score).toBe(1);
  });

  it("the runner's per-sample path stores its numeric fields as score rows", () => {
    const item = scoreItemOf({ key: 'b', reference: ['7', 'seven'], answer: null, choices: null }, 'SEVEN');
    const rows = scoreRowsOf(asGeneric.scoreSample(item, scorerOptionsOf({ caseSensitive: false })));
    expect(rows).toEqual([{ metric: 'exact', value: 1, details: { missing: false, normalized_prediction: 'SEVEN' } }]);
    expect(scoreRowsOf(asGeneric.scoreSample(item, scorerOptionsOf({ caseSensitive: true })))[0]?.value).toBe(0);
  });

  it('needs one index line to be reachable by name (scoreTask, compare by task name, the runner dispatch through the registry)', () => {
    expect(getTask('em')).toBeUndefined();
    expect(() => scoreTask(items, { task: 'em' })).toThrow(RangeError);
  });
});
