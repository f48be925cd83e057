// gateway/store/run-scope-repo.ts and gateway/store/prediction-repo.ts on both backends: what a run
// covers, what is left to do, and predictions written once with their scores.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hasOkPrediction, predictionsForScoring, runCounts, savePrediction, savePredictions } from '../../gateway/store/prediction-repo.js';
import { createRun } from '../../gateway/store/run-repo.js';
import {
  datasetTasks,
  findDatasetByManifest,
  getDatasetById,
  getSample,
  listPendingSamples,
  runScopeSize,
  scopeSampleKeys,
} from '../../gateway/store/run-scope-repo.js';
import { backends, type TestStore } from '../helpers/test-stores.js';

for (const backend of backends) {
  describe(`run scope and prediction repositories on ${backend.name}`, () => {
    let ts: TestStore;
    let datasetId: string;
    let runId: string;
    const ids: Record<string, string> = {};
    beforeAll(async () => {
      ts = await backend.create();
      const { db } = ts.store;
      await db.insertInto('models').values({ id: 'm', adapter: 'openai-chat', kind: 'generalist', model: 'x', base_url: null }).execute();
      const ds = await db
        .insertInto('datasets')
        .values({ name: 'scope', manifest_path: '/data/scope.jsonl', manifest_digest: 'dig1', merkle_root: 'r' })
        .returning('id')
        .executeTakeFirstOrThrow();
      datasetId = ds.id;
      // Inserted out of order: the scope is ordered by manifest id.
      for (const [key, task] of [
        ['c', 'asr'],
        ['a', 'asr'],
        ['b', 'asr'],
        ['q1', 'mcq'],
      ] as const) {
        const row = await db
          .insertInto('samples')
          .values({
            dataset_id: datasetId,
            sample_key: key,
            task,
            reference: JSON.stringify(`ref ${key}`),
            lang: 'en',
            media: JSON.stringify([{ kind: 'audio', path: `${key}.wav`, sha256: 'x' }]),
            duration_s: 1.5,
            sample_digest: key,
          })
          .returning('id')
          .executeTakeFirstOrThrow();
        ids[key] = row.id;
      }
      runId = (await createRun(db, { model_id: 'm', dataset_id: datasetId, task: 'asr', config: JSON.stringify({}), config_hash: 'h', evalgate_version: '0' }))
        .id;
    });
    afterAll(async () => {
      await ts?.dispose();
    });

    it('finds the dataset by id and by manifest file and digest, and lists its tasks sorted', async () => {
      const { db } = ts.store;
      expect((await getDatasetById(db, datasetId))?.name).toBe('scope');
      expect(await getDatasetById(db, '00000000-0000-0000-0000-000000000000')).toBeUndefined();
      expect((await findDatasetByManifest(db, '/data/scope.jsonl', 'dig1'))?.id).toBe(datasetId);
      expect(await findDatasetByManifest(db, '/data/scope.jsonl', 'other')).toBeUndefined();
      expect(await datasetTasks(db, datasetId)).toEqual(['asr', 'mcq']);
    });

    it('sizes the scope and lists its keys by manifest id, capped by the limit', async () => {
      const { db } = ts.store;
      expect(await scopeSampleKeys(db, { datasetId, task: 'asr' })).toEqual(['a', 'b', 'c']);
      expect(await scopeSampleKeys(db, { datasetId, task: 'asr', limit: 2 })).toEqual(['a', 'b']);
      expect(await runScopeSize(db, { datasetId, task: 'asr' })).toBe(3);
      expect(await runScopeSize(db, { datasetId, task: 'asr', limit: 2 })).toBe(2);
      expect(await runScopeSize(db, { datasetId, task: 'mcq', limit: 5 })).toBe(1);
    });

    it('writes a prediction with its scores once; an ok prediction is never replaced', async () => {
      const { db } = ts.store;
      expect(await savePrediction(db, { runId, sampleId: ids.a!, status: 'failed', attempts: 2, error: { code: 'timeout', message: 'slow' } })).toBe(true);
      expect(await hasOkPrediction(db, runId, ids.a!)).toBe(false);
      expect(
        await savePrediction(db, {
          runId,
          sampleId: ids.a!,
          status: 'ok',
          outputText: 'ref a',
          attempts: 1,
          latencyTotalMs: 12,
          scores: [{ metric: 'wer', value: 0, details: { hits: 2 } }],
        }),
      ).toBe(true);
      expect(await hasOkPrediction(db, runId, ids.a!)).toBe(true);
      expect(await savePrediction(db, { runId, sampleId: ids.a!, status: 'failed', attempts: 1, error: { message: 'late' } })).toBe(false);
      const written = await savePredictions(db, [
        { runId, sampleId: ids.a!, status: 'ok', outputText: 'again', attempts: 1 },
        { runId, sampleId: ids.c!, status: 'skipped', attempts: 0, error: { code: 'unsupported', message: 'no audio' } },
      ]);
      expect([...written]).toEqual([`${runId}:${ids.c}`]);
      expect(await savePredictions(db, [])).toEqual(new Set());
      const row = await db.selectFrom('predictions').selectAll().where('run_id', '=', runId).where('sample_id', '=', ids.a!).executeTakeFirstOrThrow();
      expect(row).toMatchObject({ status: 'ok', output_text: 'ref a', attempts: 3, error: null, latency_total_ms: 12 });
      const scores = await db.selectFrom('scores').select(['metric', 'value', 'details']).where('prediction_id', '=', row.id).execute();
      expect(scores).toEqual([{ metric: 'wer', value: 0, details: { hits: 2 } }]);
    });

    it('lists the pending samples parsed, counts by status, and joins predictions with references for scoring', async () => {
      const { db } = ts.store;
      const pending = await listPendingSamples(db, { id: runId, datasetId, task: 'asr' });
      expect(pending.map((s) => s.key)).toEqual(['b', 'c']);
      expect(pending[0]).toEqual({
        id: ids.b,
        key: 'b',
        task: 'asr',
        reference: 'ref b',
        question: null,
        choices: null,
        answer: null,
        lang: 'en',
        media: [{ kind: 'audio', path: 'b.wav', sha256: 'x' }],
        durationS: 1.5,
      });
      expect((await listPendingSamples(db, { id: runId, datasetId, task: 'asr', limit: 1 })).map((s) => s.key)).toEqual([]);
      expect(await getSample(db, ids.c!)).toMatchObject({ key: 'c', reference: 'ref c' });
      expect(await getSample(db, '00000000-0000-0000-0000-000000000000')).toBeUndefined();
      expect(await runCounts(db, runId, 3)).toEqual({ ok: 1, failed: 0, skipped: 1, pending: 1, total: 3 });
      expect(await runCounts(db, runId)).toEqual({ ok: 1, failed: 0, skipped: 1, pending: 0, total: 2 });
      const scored = await predictionsForScoring(db, runId);
      expect(scored.map((p) => [p.sampleKey, p.status, p.outputText, p.reference])).toEqual([
        ['a', 'ok', 'ref a', 'ref a'],
        ['c', 'skipped', null, 'ref c'],
      ]);
    });
  });
}
