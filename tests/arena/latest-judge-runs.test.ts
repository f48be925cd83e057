import { describe, expect, it } from 'vitest';
import { latestJudgeRuns } from '../../gateway/arena/arena-ratings.js';

// A pairwise judging rerun (`evalgate judge --pairwise --new`) judges the same
// answers again: the ratings count only the latest judged run of each judge
// and model pair, so the pair is not weighed twice.
const vote = (id: string, run: string | null, at: string, o: Partial<{ source: string; voter_key: string; model_a: string; model_b: string }> = {}) => ({
  id,
  source: run === null ? 'human' : 'judge',
  judge_run_id: run,
  voter_key: 'judge-1',
  model_a: 'alpha',
  model_b: 'beta',
  created_at: new Date(at),
  ...o,
});

describe('latestJudgeRuns', () => {
  it('keeps the latest run per judge and unordered model pair, and every human vote', () => {
    const rows = [
      vote('h1', null, '2026-12-01T00:00:00Z', { voter_key: 'person' }),
      vote('a1', 'run-1', '2026-12-01T00:00:01Z'),
      vote('a2', 'run-1', '2026-12-01T00:00:02Z'),
      // The rerun names the pair the other way round: still the same pair.
      vote('b1', 'run-2', '2026-12-02T00:00:00Z', { model_a: 'beta', model_b: 'alpha' }),
      // Another judge of the same pair, and the same judge on another pair, are other comparisons.
      vote('c1', 'run-3', '2026-12-01T00:00:00Z', { voter_key: 'judge-2' }),
      vote('d1', 'run-4', '2026-12-01T00:00:00Z', { model_b: 'gamma' }),
    ];
    const { kept, dropped } = latestJudgeRuns(rows);
    expect(kept.map((r) => r.id)).toEqual(['h1', 'b1', 'c1', 'd1']);
    expect(dropped).toBe(2);
  });

  it('drops nothing when each pair has one judged run', () => {
    const rows = [vote('a1', 'run-1', '2026-12-01T00:00:01Z'), vote('a2', 'run-1', '2026-12-01T00:00:05Z')];
    expect(latestJudgeRuns(rows)).toEqual({ kept: rows, dropped: 0 });
  });
});
