import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defined } from '../helpers/defined.js';
import { compareRuns } from '../../gateway/compare/compare-runs.js';
import { kindGapView } from '../../gateway/compare/kind-gap.js';
import { buildLeaderboards } from '../../gateway/compare/leaderboard.js';
import { loadRunOutcomes } from '../../gateway/compare/load-run-outcomes.js';
import { scoreTask } from '../../scorers/score-task.js';
import { createPgliteTestStore, type TestStore } from '../helpers/test-stores.js';
import { seedDataset, seedRun } from './seed-runs.js';

const refs: Record<string, string> = {
  a1: 'the cat sat on the mat',
  a2: 'hello world',
  a3: 'ask not what your country can do for you',
  a4: 'one two three four',
};
const generalist: Record<string, string> = { a1: 'the cat sat on mat', a2: 'hello word', a3: 'ask not what your country can do for you', a4: 'one two three' };
const specialist: Record<string, string> = {
  a1: 'the cat sat on the mat',
  a2: 'hello world',
  a3: 'ask what your country can do for you',
  a4: 'one two tree four',
};

describe('compare, leaderboard and the kind view', () => {
  let ts: TestStore;
  let gRun: string;
  let sRun: string;
  let lateRun: string;

  beforeAll(async () => {
    ts = await createPgliteTestStore();
    const db = ts.store.db;
    const { datasetId, ids } = await seedDataset(
      db,
      'asr-set',
      Object.entries(refs).map(([key, reference], i) => ({ key, task: 'asr' as const, reference, tags: [i % 2 ? 'asr/odd' : 'asr/even'], lang: 'en' })),
    );
    gRun = await seedRun(db, {
      model: 'qwen2-audio',
      kind: 'generalist',
      datasetId,
      ids,
      task: 'asr',
      predictions: Object.keys(refs).map((key, i) => ({ key, text: generalist[key], latencyMs: 100 + i * 10, requestMs: 80 + i * 10, audioS: 2 })),
    });
    sRun = await seedRun(db, {
      model: 'whisper',
      kind: 'specialist',
      datasetId,
      ids,
      task: 'asr',
      predictions: [
        ...Object.keys(refs)
          .filter((k) => k !== 'a4')
          .map((key) => ({ key, text: specialist[key], latencyMs: 50, audioS: 2 })),
        { key: 'a4', status: 'failed' as const },
      ],
    });
    lateRun = await seedRun(db, {
      model: 'late-model',
      kind: 'generalist',
      datasetId,
      ids,
      task: 'asr',
      finishedAt: new Date('2026-06-01T00:00:00Z'),
      predictions: Object.keys(refs).map((key) => ({ key, text: refs[key] })),
    });
  });
  afterAll(async () => {
    await ts?.dispose();
  });

  it('compares on shared ok samples with numbers equal to evalgate score', async () => {
    const c = compareRuns(await loadRunOutcomes(ts.store.db, [gRun, sRun]), { seed: 3, samples: 5 });
    const shared = ['a1', 'a2', 'a3'];
    expect(c.sharedSamples).toBe(3);
    expect(c.samplesPerRun[sRun]).toEqual({ ok: 3, failed: 1, skipped: 0 });
    const direct = (hyp: Record<string, string>) =>
      scoreTask(
        shared.map((id) => ({ id, reference: refs[id], prediction: defined(hyp[id], `a prediction for ${id}`) })),
        { task: 'asr' },
      ).metrics as { wer: number };
    expect(c.metric).toBe('wer');
    expect(c.overall.runs[0]?.value.estimate).toBeCloseTo(direct(generalist).wer, 12);
    expect(c.overall.runs[1]?.value.estimate).toBeCloseTo(direct(specialist).wer, 12);
    expect(c.overall.differences[0]?.test).toBe('permutation');
    expect(c.overall.differences[0]?.difference.estimate).toBeCloseTo(direct(specialist).wer - direct(generalist).wer, 12);
    expect(c.warnings.some((w) => w.includes(sRun) && w.includes('failed'))).toBe(true);
    expect(c.breakdown.map((b) => b.slice)).toEqual(['asr/even', 'asr/odd']);
    expect(c.breakdown.reduce((n, b) => n + b.n, 0)).toBe(3);
    // a1: generalist 1 deletion vs specialist perfect; a2 likewise; a3 the reverse.
    expect(c.disagreements.map((d) => d.sampleKey).sort()).toEqual(['a1', 'a2', 'a3']);
    expect(c.disagreements.find((d) => d.sampleKey === 'a3')?.runs[1]?.errors).toBe('S=0 D=1 I=0');
    // The run's own RTFx (gateway/rtfx.ts): all four answered samples, not only the three shared ones, and the
    // model-call time (80, 90, 100, 110 ms), not the per-sample total.
    expect(c.latency[0]?.rtfx).toBeCloseTo(8 / ((80 + 90 + 100 + 110) / 1000), 9);
  });

  it('is stable: same inputs and seed give identical JSON', async () => {
    const a = JSON.stringify(compareRuns(await loadRunOutcomes(ts.store.db, [gRun, sRun]), { seed: 9 }));
    const b = JSON.stringify(compareRuns(await loadRunOutcomes(ts.store.db, [gRun, sRun]), { seed: 9 }));
    expect(a).toBe(b);
  });

  it('refuses runs on different tasks and unknown runs', async () => {
    await expect(loadRunOutcomes(ts.store.db, ['nope'])).rejects.toMatchObject({ code: 'EVALGATE_ERR_NOT_FOUND' });
    const outcomes = await loadRunOutcomes(ts.store.db, [gRun]);
    expect(() => compareRuns(outcomes)).toThrow(/at least two runs/);
  });

  it('ranks with ties where intervals overlap, and honours the freeze', async () => {
    const [board] = await buildLeaderboards(ts.store.db, { task: 'asr', seed: 1 });
    expect(board!.metric).toBe('wer');
    expect(board!.entries.map((e) => e.modelId)).toContain('late-model');
    const byModel = new Map(board!.entries.map((e) => [e.modelId, e]));
    // A perfect transcript has the zero-width interval [0, 0], entirely below the
    // others (each made errors on every resample that kept an erroneous sample).
    expect(byModel.get('late-model')!.value).toEqual({ estimate: 0, low: 0, high: 0 });
    expect(byModel.get('late-model')!.rank).toBe(1);
    // Whisper is perfect on two of its three samples, so its interval reaches 0:
    // it overlaps the perfect model and shares rank 1 with it.
    expect(byModel.get('whisper')!.value.low).toBe(0);
    expect(byModel.get('whisper')!.rank).toBe(1);
    expect(byModel.get('whisper')!.tiedWith).toEqual(['late-model', 'qwen2-audio']);
    // Qwen2-Audio erred on three of four samples: its interval excludes 0, so the
    // perfect model is entirely better (rank 2), while it still overlaps Whisper.
    expect(byModel.get('qwen2-audio')!.value.low).toBeGreaterThan(0);
    expect(byModel.get('qwen2-audio')!.rank).toBe(2);
    expect(byModel.get('qwen2-audio')!.tiedWith).toEqual(['whisper']);
    expect(board!.entries[0]?.modelId).toBe('late-model');

    const [frozen] = await buildLeaderboards(ts.store.db, { task: 'asr', freezeAt: new Date('2026-03-01T00:00:00Z') });
    expect(frozen!.entries.map((e) => e.modelId).sort()).toEqual(['qwen2-audio', 'whisper']);
    expect(frozen!.excludedAfterFreeze).toEqual([{ runId: lateRun, modelId: 'late-model', finishedAt: '2026-06-01T00:00:00.000Z' }]);
    await expect(buildLeaderboards(ts.store.db, { task: 'asr', dataset: 'missing' })).rejects.toMatchObject({ code: 'EVALGATE_ERR_NOT_FOUND' });
  });

  it('shows the best generalist against the best specialist per tag', async () => {
    const v = await kindGapView(ts.store.db, { task: 'asr', seed: 1 });
    expect(v.runsByKind.specialist.map((r) => r.modelId)).toEqual(['whisper']);
    const all = v.rows.find((r) => r.slice === 'all')!;
    expect(all.generalist!.modelId).toBe('late-model');
    expect(all.specialist!.modelId).toBe('whisper');
    expect(all.n).toBe(3);
    expect(all.gap!.estimate).toBeLessThan(0);
    expect(v.rows.map((r) => r.slice)).toEqual(['all', 'asr/even', 'asr/odd']);
  });

  it('uses McNemar for multiple choice', async () => {
    const db = ts.store.db;
    const choices = ['red', 'green', 'blue', 'black'];
    const keys = Array.from({ length: 12 }, (_, i) => `q${i}`);
    const { datasetId, ids } = await seedDataset(
      db,
      'mcq-set',
      keys.map((key) => ({ key, task: 'mcq' as const, answer: 'A', choices })),
    );
    const a = await seedRun(db, {
      model: 'mc-a',
      kind: 'generalist',
      datasetId,
      ids,
      task: 'mcq',
      predictions: keys.map((key) => ({ key, text: 'The answer is A.' })),
    });
    const b = await seedRun(db, {
      model: 'mc-b',
      kind: 'generalist',
      datasetId,
      ids,
      task: 'mcq',
      predictions: keys.map((key, i) => ({ key, text: i < 2 ? 'A' : 'B' })),
    });
    const c = compareRuns(await loadRunOutcomes(db, [a, b]), { seed: 1 });
    expect(c.metric).toBe('accuracy');
    expect(c.overall.runs.map((r) => r.value.estimate)).toEqual([1, 2 / 12]);
    expect(c.overall.differences[0]?.test).toBe('mcnemar');
    // 10 discordant pairs all one way: p = 2 / 2^10.
    expect(c.overall.differences[0]?.pValue).toBeCloseTo(2 / 1024, 12);
  });
});
