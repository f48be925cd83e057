// A run that scored no sample has no value to rank: the leaderboard lists it as
// unranked with the reason, instead of ranking it (it was tied for #1 before).
import { describe, expect, it } from 'vitest';
import { formatLeaderboards } from '../../gateway/compare/format-comparison.js';
import { computeLeaderboards } from '../../gateway/compare/leaderboard.js';
import { runHeader, sampleOutcome } from './outcome-fixtures.js';

const header = (id: string) => runHeader(id, 'mcq', { modelId: `model-${id}` });
const outcome = (key: string, prediction: string) => sampleOutcome(key, prediction, { answer: 'A', choices: ['x', 'y'] });

describe('leaderboard: a run with no scored sample', () => {
  it('is listed as unranked with its reason, and the scored runs rank among themselves', () => {
    const good = Array.from({ length: 30 }, (_, i) => outcome(`s${i}`, 'A'));
    const bad = Array.from({ length: 30 }, (_, i) => outcome(`s${i}`, 'B'));
    const [board] = computeLeaderboards(
      {
        task: 'mcq',
        frozenAt: null,
        datasets: [
          {
            dataset: 'd',
            runs: [
              { run: header('aaaaaaaa-1'), outcomes: good },
              { run: header('bbbbbbbb-2'), outcomes: [] },
              { run: header('cccccccc-3'), outcomes: bad },
            ],
            excludedAfterFreeze: [],
          },
        ],
      },
      { iterations: 50, seed: 1 },
    );
    expect(board!.entries.map((e) => [e.rank, e.modelId, e.n])).toEqual([
      [1, 'model-aaaaaaaa-1', 30],
      [2, 'model-cccccccc-3', 30],
    ]);
    expect(board!.unranked).toEqual([{ runId: 'bbbbbbbb-2', modelId: 'model-bbbbbbbb-2', reason: 'no scored samples' }]);
    expect(formatLeaderboards([board!])).toContain('not ranked: model-bbbbbbbb-2 (run bbbbbbbb): no scored samples');
  });
});
