// compare ranks vqa runs whose samples carry human answers by VQA accuracy,
// computed from the human answers the outcomes carry (not ANLS against no reference).
import { describe, expect, it } from 'vitest';
import { compareRuns } from '../../gateway/compare/compare-runs.js';
import type { RunOutcomes } from '../../gateway/compare/load-run-outcomes.js';
import { scoreTask } from '../../scorers/score-task.js';
import { runHeader, sampleOutcome } from './outcome-fixtures.js';

const humans = [
  ['two', 'two', 'two', '2', 'two', 'two', 'two', 'two', 'three', 'two'],
  ['yes', 'yes', 'yes', 'yes', 'no', 'yes', 'yes', 'yes', 'yes', 'yes'],
  ['red', 'red', 'dark red', 'maroon', 'red', 'red', 'red', 'red', 'red', 'red'],
  ['dog', 'puppy', 'dog', 'dog', 'dog', 'dog', 'dog', 'dog', 'puppy', 'dog'],
];
const predsA = ['2', 'Yes', 'maroon', 'puppy'];
const predsB = ['two', 'no', 'red', 'dog'];

const header = (id: string) => runHeader(id, 'vqa');
const outcomes = (preds: readonly string[]) =>
  preds.map((prediction, i) => sampleOutcome(`q${i}`, prediction, { sampleId: `s${i}`, humanAnswers: humans[i]! }));

describe('compare on vqa runs with human answers', () => {
  it('ranks by vqa_accuracy equal to the scorer on the same predictions', () => {
    const runs: RunOutcomes[] = [
      { run: header('A'), outcomes: outcomes(predsA) },
      { run: header('B'), outcomes: outcomes(predsB) },
    ];
    const c = compareRuns(runs, { iterations: 100, seed: 1 });
    expect(c.metric).toBe('vqa_accuracy');
    expect(c.lowerIsBetter).toBe(false);
    const expected = (preds: readonly string[]) =>
      scoreTask(
        preds.map((prediction, i) => ({ id: `q${i}`, prediction, humanAnswers: humans[i]! })),
        { task: 'vqa' },
      ).metrics.vqa_accuracy;
    const [a, b] = c.overall.runs.map((r) => r.value.estimate);
    expect(a).toBeCloseTo(expected(predsA)!, 12);
    expect(b).toBeCloseTo(expected(predsB)!, 12);
    // Not ANLS against an empty reference (which would be 0 for every run).
    expect(a).toBeGreaterThan(0.2);
    expect(b).toBeGreaterThan(0.2);
  });
});
