// The vqa task: VQA accuracy (official VQAv2 evaluation) for samples with human
// answers, ocr's metrics for samples with a reference list, the primary metric
// each case ranks by, and the scorer versions a run records.
import { describe, expect, it } from 'vitest';
import { manifestSampleSchema } from '../../datasets/manifest-schema.js';
import { scoreTask, type ScoreItem } from '../../scorers/score-task.js';
import { tasks } from '../../scorers/tasks/index.js';
import { scoreOcr } from '../../scorers/tasks/ocr.js';
import { scorerVersions } from '../../scorers/tasks/scorer-versions.js';
import { scoreVqa, vqaPrimaryMetric } from '../../scorers/tasks/vqa.js';
import { vqaAccuracy } from '../../scorers/vqa/vqa-accuracy.js';

const ten = (...pairs: [string, number][]): string[] => pairs.flatMap(([a, k]) => Array<string>(k).fill(a));

const human: ScoreItem[] = [
  { id: 'q1', humanAnswers: ten(['2', 6], ['two', 4]), prediction: 'Two.' },
  { id: 'q2', humanAnswers: ten(['yes', 10]), prediction: 'Yes' },
  { id: 'q3', humanAnswers: ten(['red', 2], ['blue', 8]), prediction: 'red' },
  { id: 'q4', humanAnswers: ten(['dog', 10]), prediction: null },
];
const refs: ScoreItem[] = [
  { id: 'r1', reference: ['Main Street', 'main st'], prediction: 'Main Street' },
  { id: 'r2', reference: 'EXIT', prediction: 'exlt' },
];

describe('scoreTask vqa', () => {
  it('samples with human answers get the official VQA accuracy, averaged into vqa_accuracy', () => {
    const r = scoreTask(human, { task: 'vqa' });
    const expected = human.map((h) => vqaAccuracy(h.humanAnswers!, h.prediction ?? '').accuracy);
    expect(expected[0]).toBe(1);
    expect(expected[1]).toBe(0); // unanimous answers: the prediction is not normalized (upstream)
    expect(expected[2]).toBeCloseTo(0.6, 12);
    expect(r.samples.map((s) => s.vqa_accuracy)).toEqual(expected);
    expect(r.metrics).toEqual({ vqa_accuracy: (expected[0]! + expected[1]! + expected[2]! + expected[3]!) / 4 });
    expect(r.missing).toEqual(['q4']);
    expect(r.samples[0]).toMatchObject({ normalized_prediction: '2', prediction: 'Two.', missing: false });
    // Human answers are references: the per-sample entries never echo them.
    expect(JSON.stringify(r.samples)).not.toContain('blue');
  });

  it('samples with a reference list are scored exactly as ocr, with ocr metrics only', () => {
    const r = scoreTask(refs, { task: 'vqa', normalizer: 'none' });
    const ocr = scoreOcr(refs, { normalizer: 'none' });
    expect(r.metrics).toEqual(ocr.metrics);
    expect(r.samples).toEqual(ocr.samples);
    expect(r.metrics).not.toHaveProperty('vqa_accuracy');
  });

  it('a mixed list: vqa_accuracy over the human-answer samples, ocr metrics over the others, input order kept', () => {
    const items = [human[0]!, refs[0]!, human[2]!, refs[1]!];
    const r = scoreVqa(items);
    expect(r.samples.map((s) => s.id)).toEqual(['q1', 'r1', 'q3', 'r2']);
    expect(r.metrics.vqa_accuracy).toBe((1 + vqaAccuracy(human[2]!.humanAnswers!, 'red').accuracy) / 2);
    expect(r.metrics.anls).toBe(scoreOcr([refs[0]!, refs[1]!]).metrics.anls);
    // A reference beside human answers is not read.
    const both = scoreVqa([{ id: 'b', humanAnswers: ten(['cat', 5], ['cats', 5]), reference: 'dog', prediction: 'cat' }]);
    expect(both.metrics).toEqual({ vqa_accuracy: 1 });
  });

  it('scoreSample is the one-item aggregate', () => {
    expect(tasks.vqa.scoreSample(human[2]!, {})).toEqual(scoreVqa([human[2]!]).samples[0]);
  });

  it('an empty human-answer list is an error, never a score', () => {
    expect(() => scoreTask([{ id: 'x', humanAnswers: [], prediction: 'a' }], { task: 'vqa' })).toThrow(RangeError);
  });
});

describe('vqa primary metric and paired items', () => {
  it('vqa_accuracy when the scored samples carry human answers, anls otherwise (and by default)', () => {
    expect(vqaPrimaryMetric(undefined, scoreVqa(human).samples)).toBe('vqa_accuracy');
    expect(vqaPrimaryMetric(undefined, scoreVqa([...refs, human[0]!]).samples)).toBe('vqa_accuracy');
    expect(vqaPrimaryMetric(undefined, scoreVqa(refs).samples)).toBe('anls');
    expect(tasks.vqa.primaryMetric()).toBe('anls');
    expect(tasks.vqa.primaryMetric({ humanAnswers: true })).toBe('vqa_accuracy');
    for (const name of ['vqa_accuracy', 'anls']) expect(tasks.vqa.metrics.find((m) => m.name === name)).toMatchObject({ direction: 'higher' });
  });

  it('each sample pairs on its own primary value: VQA accuracy or ANLS', () => {
    const r = scoreVqa([human[2]!, refs[1]!]);
    const [h, o] = r.samples.map((s) => tasks.vqa.pairedItem(s));
    expect(h).toMatchObject({ numerator: r.samples[0]!.vqa_accuracy, denominator: 1, score: r.samples[0]!.vqa_accuracy });
    expect(o).toEqual(tasks.ocr.pairedItem(scoreOcr([refs[1]!]).samples[0]!));
  });
});

describe('vqa scorer versions', () => {
  it('a run records both definitions, the official VQA evaluation first', () => {
    expect(scorerVersions('vqa')).toEqual({ task: 'vqa', normalizer: 'none@1', metric: 'vqa-accuracy@a013f00+ocr-metrics@2026-11-28' });
    expect(tasks.vqa.metricSources.map((m) => m.version)).toEqual(['vqa-accuracy@a013f00', 'ocr-metrics@2026-11-28']);
    expect(tasks.vqa.metricSources[0]!.upstream[0]).toMatchObject({ repo: 'GT-Vision-Lab/VQA', ref: 'a013f0043c1e2cdc995922dfe257f7149aa9af06' });
  });
});

describe('manifest: vqa answers', () => {
  const base = { id: 's1', task: 'vqa', image: 'a.png', question: 'How many?' };
  it('takes `answers` (≥ 1 string) instead of `reference`', () => {
    const ok = manifestSampleSchema.safeParse({ ...base, answers: ten(['2', 10]) });
    expect(ok.success).toBe(true);
    expect(ok.data?.answers).toHaveLength(10);
    expect(manifestSampleSchema.safeParse({ ...base, reference: ['2', 'two'] }).success).toBe(true);
  });
  it('refuses neither, both, an empty list, non-strings, and answers on another task', () => {
    expect(manifestSampleSchema.safeParse(base).success).toBe(false);
    expect(manifestSampleSchema.safeParse({ ...base, answers: ['2'], reference: '2' }).success).toBe(false);
    expect(manifestSampleSchema.safeParse({ ...base, answers: [] }).success).toBe(false);
    expect(manifestSampleSchema.safeParse({ ...base, answers: [2] }).success).toBe(false);
    expect(manifestSampleSchema.safeParse({ id: 'o', task: 'ocr', image: 'a.png', reference: 'x', answers: ['x'] }).success).toBe(false);
  });
});
