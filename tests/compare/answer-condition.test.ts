// A model answering in text and the same model answering in speech (issue 17,
// `config.speech` from `run --asr-model`) are two conditions: two leaderboard
// entries and two labelled runs in a comparison, never one replacing the other.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { answerConditionOf, conditionModelLabel, modelIdOfLabel } from '../../gateway/compare/answer-condition.js';
import { formatLeaderboards } from '../../gateway/compare/format-leaderboards.js';
import { computeLeaderboards, loadLeaderboardInput } from '../../gateway/compare/leaderboard.js';
import { loadRunOutcomes } from '../../gateway/compare/load-run-outcomes.js';
import { createPgliteTestStore, type TestStore } from '../helpers/test-stores.js';
import { seedDataset, seedRun } from './seed-runs.js';

describe('answered in text vs answered in speech', () => {
  let ts: TestStore;
  let textRun: string;
  let speechRun: string;
  beforeAll(async () => {
    ts = await createPgliteTestStore({ migrate: true });
    const db = ts.store.db;
    const samples = Array.from({ length: 12 }, (_, i) => ({ key: `s${i}`, task: 'asr' as const, reference: 'hello world' }));
    const { datasetId, ids } = await seedDataset(db, 'spoken', samples);
    const preds = (text: (i: number) => string) => samples.map((s, i) => ({ key: s.key, text: text(i) }));
    textRun = await seedRun(db, { model: 'gpt-4o', kind: 'generalist', datasetId, ids, task: 'asr', predictions: preds(() => 'hello world') });
    // The later run of the same model answered in speech; before conditions it would replace the text run on the board.
    speechRun = await seedRun(db, {
      model: 'gpt-4o',
      kind: 'generalist',
      datasetId,
      ids,
      task: 'asr',
      finishedAt: new Date('2026-02-01T00:00:00Z'),
      predictions: preds((i) => (i % 3 === 0 ? 'hello word' : 'hello world')),
    });
    await db
      .updateTable('runs')
      .set({ config: JSON.stringify({ scorer: {}, speech: { asrModelId: 'ctc', asr: { id: 'ctc', adapter: 'onnx-ctc' } } }), config_hash: 'gpt-4o-asr-speech' })
      .where('id', '=', speechRun)
      .execute();
  });
  afterAll(async () => {
    await ts?.dispose();
  });

  it('labels the condition from the run config', () => {
    expect(answerConditionOf({ speech: { asrModelId: 'ctc' } })).toBe('speech');
    expect(answerConditionOf({ scorer: {} })).toBe('text');
    expect(answerConditionOf(null)).toBe('text');
    expect(conditionModelLabel('gpt-4o', { speech: {} })).toBe('gpt-4o (speech)');
    expect(conditionModelLabel('gpt-4o', {})).toBe('gpt-4o');
    expect(modelIdOfLabel('gpt-4o (speech)')).toBe('gpt-4o');
    expect(modelIdOfLabel('gpt-4o')).toBe('gpt-4o');
  });

  it('ranks both conditions of one model as separate entries', async () => {
    const input = await loadLeaderboardInput(ts.store.db, { task: 'asr' });
    const boards = computeLeaderboards(input, { iterations: 50, seed: 1 });
    const main = boards.find((b) => b.board === 'main')!;
    expect(main.entries.map((e) => [e.modelId, e.runId]).sort()).toEqual(
      [
        ['gpt-4o', textRun],
        ['gpt-4o (speech)', speechRun],
      ].sort(),
    );
    const speech = main.entries.find((e) => e.modelId === 'gpt-4o (speech)')!;
    expect(speech.value.estimate).toBeCloseTo(4 / 24, 12);
    expect(formatLeaderboards(boards)).toContain('gpt-4o (speech)');
  });

  it('names the condition in a comparison', async () => {
    const outcomes = await loadRunOutcomes(ts.store.db, [textRun, speechRun]);
    expect(outcomes.map((o) => o.run.modelId)).toEqual(['gpt-4o', 'gpt-4o (speech)']);
  });
});
