// A run that scored no sample has no value to rank: the leaderboard lists it as
// unranked with the reason, instead of ranking it (it was tied for #1 before).
import { describe, expect, it } from 'vitest';
import { formatLeaderboards } from '../../gateway/compare/format-leaderboards.js';
import { computeLeaderboards } from '../../gateway/compare/leaderboard.js';
import type { RunHeader, SampleOutcome } from '../../gateway/compare/load-run-outcomes.js';
import { runHeader, sampleOutcome } from './outcome-fixtures.js';

const header = (id: string) => runHeader(id, 'mcq', { modelId: `model-${id}` });
const outcome = (key: string, prediction: string) => sampleOutcome(key, prediction, { answer: 'A', choices: ['x', 'y'] });

/** The boards of these runs, all on one mcq dataset with no freeze (50 bootstrap iterations, seed 1). */
function boardsOf(runs: { run: RunHeader; outcomes: SampleOutcome[] }[]): ReturnType<typeof computeLeaderboards> {
  return computeLeaderboards({ task: 'mcq', frozenAt: null, datasets: [{ dataset: 'd', runs, excludedAfterFreeze: [] }] }, { iterations: 50, seed: 1 });
}

describe('leaderboard: a run with no scored sample', () => {
  it('is listed as unranked with its reason, and the scored runs rank among themselves', () => {
    const good = Array.from({ length: 30 }, (_, i) => outcome(`s${i}`, 'A'));
    const bad = Array.from({ length: 30 }, (_, i) => outcome(`s${i}`, 'B'));
    // Every call failed (ppocr on an ASR set): the same 30 samples, none scored.
    const failed = Array.from({ length: 30 }, (_, i) => sampleOutcome(`s${i}`, '', { status: 'failed', prediction: null, answer: 'A', choices: ['x', 'y'] }));
    const [board] = boardsOf([
      { run: header('aaaaaaaa-1'), outcomes: good },
      { run: header('bbbbbbbb-2'), outcomes: failed },
      { run: header('cccccccc-3'), outcomes: bad },
    ]);
    expect(board!.entries.map((e) => [e.rank, e.modelId, e.n])).toEqual([
      [1, 'model-aaaaaaaa-1', 30],
      [2, 'model-cccccccc-3', 30],
    ]);
    expect(board!.unranked).toEqual([{ runId: 'bbbbbbbb-2', modelId: 'model-bbbbbbbb-2', reason: 'no scored samples', failed: 30, skipped: 0 }]);
    expect(board!.entries.map((e) => e.failed)).toEqual([0, 0]);
    const text = formatLeaderboards([board!]);
    expect(text).toContain('not ranked: model-bbbbbbbb-2 (run bbbbbbbb): no scored samples (30 failed)');
    expect(text).not.toMatch(/^\d+\s+model-bbbbbbbb-2/m);
  });

  it('is never ranked, not even alone on its own board, and never tied with a ranked run', () => {
    const good = Array.from({ length: 12 }, (_, i) => outcome(`s${i}`, 'A'));
    const boards = boardsOf([
      { run: header('aaaaaaaa-1'), outcomes: good },
      // A completed run that recorded no prediction at all: no sample set in common with anyone.
      { run: header('bbbbbbbb-2'), outcomes: [] },
    ]);
    expect(boards.map((b) => [b.board, b.entries.map((e) => e.modelId), b.unranked.map((u) => u.modelId)])).toEqual([
      ['main', ['model-aaaaaaaa-1'], []],
      ['separate', [], ['model-bbbbbbbb-2']],
    ]);
    expect(boards[0]!.entries[0]!.tiedWith).toEqual([]);
    expect(boards[1]!.differs).toEqual(['samples: 0 of 12 (main board: 12 of 12)']);
  });
});
