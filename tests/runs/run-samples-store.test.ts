// The run id resolver (gateway/store/run-repo.ts) and the per-sample store
// (gateway/store/run-samples-repo.ts) on both backends.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isEvalgateError } from '../../gateway/errors.js';
import { getRun, resolveRunId, resolveRunIds } from '../../gateway/store/run-repo.js';
import { countRunSampleResults, listRunSampleResults, runScoreMetrics } from '../../gateway/store/run-samples-repo.js';
import { cliSampleAccess, runSampleRecords } from '../../gateway/run-samples/run-sample-records.js';
import { backends, postgresAvailable, type TestStore } from '../helpers/test-stores.js';
import { seedAsrDataset, seedScoredRun } from './seed-scored-runs.js';

const twinA = 'abcdef12-1111-4000-8000-000000000001';
const twinB = 'abcdef12-2222-4000-8000-000000000002';
const loner = 'fedcba98-3333-4000-8000-000000000003';

async function errorOf(p: Promise<unknown>): Promise<{ code: string; message: string }> {
  try {
    await p;
  } catch (err) {
    if (isEvalgateError(err)) return { code: err.code, message: err.message };
    throw err;
  }
  throw new Error('expected an error');
}

const pgUp = await postgresAvailable();

for (const backend of backends) {
  describe.skipIf(backend.name === 'postgres' && !pgUp)(`run ids and per-sample rows on ${backend.name}`, () => {
    let ts: TestStore;
    let bigRun: string;
    const n = 2345;
    const key = (i: number) => `s${String(i).padStart(5, '0')}`;

    beforeAll(async () => {
      ts = await backend.create();
      const db = ts.store.db;
      const samples = Array.from({ length: n }, (_, i) => ({ key: key(i), reference: `ref ${i}` }));
      const { datasetId, ids } = await seedAsrDataset(db, 'big', samples);
      for (const id of [twinA, twinB, loner]) await seedScoredRun(db, { id, model: 'm', datasetId, ids, predictions: [] });
      bigRun = await seedScoredRun(db, {
        model: 'm',
        datasetId,
        ids,
        // Seeded out of key order, so order comes from the query.
        predictions: samples
          .map((s, i) =>
            i % 7 === 3
              ? { key: s.key, status: 'failed' as const, error: { code: 'timeout', message: 'no answer within 10 ms' } }
              : { key: s.key, status: 'ok' as const, text: `hyp ${i}`, scores: { wer: i / n, errors: i % 5 }, details: { note: `d${i}` } },
          )
          .reverse(),
      });
    }, 120_000);
    afterAll(async () => {
      await ts?.dispose();
    });

    it('resolves a full id, a unique 8+ character prefix, and refuses short, ambiguous and unknown ones', async () => {
      const { db } = ts.store;
      expect(await resolveRunId(db, loner)).toBe(loner);
      expect(await resolveRunId(db, loner.slice(0, 8))).toBe(loner);
      expect(await resolveRunId(db, ` ${twinA.slice(0, 10)} `)).toBe(twinA);
      expect(await resolveRunIds(db, [loner.slice(0, 8), twinB, twinA.slice(0, 10)])).toEqual([loner, twinB, twinA]);
      const short = await errorOf(resolveRunId(db, loner.slice(0, 7)));
      expect(short.code).toBe('EVALGATE_ERR_BAD_INPUT');
      expect(short.message).toContain('shorter than 8 characters');
      const ambiguous = await errorOf(resolveRunId(db, 'abcdef12'));
      expect(ambiguous.code).toBe('EVALGATE_ERR_BAD_INPUT');
      expect(ambiguous.message).toContain('ambiguous');
      expect(ambiguous.message).toContain(twinA);
      expect(ambiguous.message).toContain(twinB);
      expect((await errorOf(resolveRunId(db, '00000000'))).code).toBe('EVALGATE_ERR_NOT_FOUND');
      // LIKE wildcards are plain characters in a prefix.
      expect((await errorOf(resolveRunId(db, 'abcdef1_'))).code).toBe('EVALGATE_ERR_NOT_FOUND');
      expect((await errorOf(resolveRunId(db, 'abcdef%%'))).code).toBe('EVALGATE_ERR_NOT_FOUND');
      // getRun keeps its contract (undefined when nothing matches) and names the candidates of an ambiguous prefix.
      expect((await getRun(db, loner.slice(0, 8)))?.id).toBe(loner);
      expect(await getRun(db, 'abc')).toBeUndefined();
      expect((await errorOf(getRun(db, 'abcdef12'))).message).toContain(twinB);
    });

    it('pages every prediction once, in sample-key order, with a keyset cursor', async () => {
      const { db } = ts.store;
      const failed = Array.from({ length: n }, (_, i) => i).filter((i) => i % 7 === 3).length;
      expect(await countRunSampleResults(db, bigRun, 'all')).toBe(n);
      expect(await countRunSampleResults(db, bigRun, 'not-ok')).toBe(failed);
      expect(await runScoreMetrics(db, bigRun)).toEqual(['errors', 'wer']);
      const access = cliSampleAccess(false, false);
      const keys: string[] = [];
      for await (const r of runSampleRecords(db, bigRun, { filter: 'all', access, pageSize: 1000 })) {
        keys.push(r.sampleKey);
        const i = Number(r.sampleKey.slice(1));
        expect(r.reference).toBe(`ref ${i}`);
        if (r.status === 'ok') {
          expect(r.prediction).toBe(`hyp ${i}`);
          expect(r.scores).toEqual({ wer: i / n, errors: i % 5 });
          expect(r.details).toEqual({ note: `d${i}` });
        } else {
          expect(r.error).toEqual({ code: 'timeout', message: 'no answer within 10 ms' });
          expect(r.scores).toEqual({});
        }
      }
      expect(keys).toEqual(Array.from({ length: n }, (_, i) => key(i)));
      const failedKeys: string[] = [];
      for await (const r of runSampleRecords(db, bigRun, { filter: 'not-ok', access, pageSize: 100 })) failedKeys.push(r.sampleKey);
      expect(failedKeys).toHaveLength(failed);
      expect(failedKeys.every((k) => Number(k.slice(1)) % 7 === 3)).toBe(true);
    });

    it('pages a run that names no dataset too (keyed on sample key and prediction id)', async () => {
      const { db } = ts.store;
      const dataset = await db.selectFrom('runs').select('dataset_id').where('id', '=', bigRun).executeTakeFirstOrThrow();
      const ids = new Map(
        (await db.selectFrom('samples').select(['id', 'sample_key']).where('dataset_id', '=', dataset.dataset_id!).execute()).map((r) => [r.sample_key, r.id]),
      );
      const picked = [key(40), key(3), key(17), key(2000), key(9), key(41), key(5)];
      const loose = await seedScoredRun(db, {
        model: 'm',
        datasetId: dataset.dataset_id!,
        ids,
        predictions: picked.map((k) => ({ key: k, status: 'ok' as const, text: k, scores: { wer: 0.5 } })),
      });
      await db.updateTable('runs').set({ dataset_id: null }).where('id', '=', loose).execute();
      const seen: string[] = [];
      for await (const r of runSampleRecords(db, loose, { filter: 'all', access: cliSampleAccess(false, false), pageSize: 2 })) {
        expect(r.prediction).toBe(r.sampleKey);
        expect(r.scores).toEqual({ wer: 0.5 });
        seen.push(r.sampleKey);
      }
      expect(seen).toEqual([...picked].sort());
    });

    it('does not read references or scores the caller may not see', async () => {
      const { db } = ts.store;
      const rows = await listRunSampleResults(db, bigRun, { filter: 'all', columns: { references: false, scores: false }, limit: 5, offset: 10 });
      expect(rows.map((r) => r.sampleKey)).toEqual([key(10), key(11), key(12), key(13), key(14)]);
      for (const r of rows) {
        expect(r).not.toHaveProperty('reference');
        expect(r).not.toHaveProperty('answer');
        expect(r).not.toHaveProperty('scores');
        expect(JSON.stringify(r)).not.toContain('ref ');
      }
    });
  });
}
