// gateway/store/run-repo.ts on both backends: runs with their audit entries, config and warnings
// updates, finishing (one run.finished entry, holder freed) and listings with the stale flag.
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { beatRuns } from '../../gateway/store/heartbeat-repo.js';
import { createRun, findRunByConfigHash, finishRun, getRun, listRuns, markRunRunning, setRunWarnings, updateRunConfig } from '../../gateway/store/run-repo.js';
import { upsertModel } from '../../gateway/store/model-repo.js';
import type { ModelConfig } from '../../gateway/config/config-schema.js';
import { backends, type TestStore } from '../helpers/test-stores.js';

const model = { id: 'rm', adapter: 'openai-chat', kind: 'generalist', model: 'gpt-x', baseUrl: 'http://a', options: {} } as unknown as ModelConfig;

for (const backend of backends) {
  describe(`run repository on ${backend.name}`, () => {
    let ts: TestStore;
    beforeAll(async () => {
      ts = await backend.create();
    });
    afterAll(async () => {
      await ts?.dispose();
    });

    const newRun = (hash: string) => ({ model_id: 'rm', task: 'asr', config: JSON.stringify({ a: 1 }), config_hash: hash, evalgate_version: '0' });

    it('upserts a model: a second call refreshes its fields', async () => {
      const { db } = ts.store;
      await upsertModel(db, model);
      await upsertModel(db, { ...model, model: 'gpt-y', baseUrl: undefined } as ModelConfig);
      const rows = await db.selectFrom('models').select(['id', 'model', 'base_url']).where('id', '=', 'rm').execute();
      expect(rows).toEqual([{ id: 'rm', model: 'gpt-y', base_url: null }]);
    });

    it('creates a run with its run.created audit entry; finds it by id, unique prefix and newest config hash', async () => {
      const { db } = ts.store;
      const first = await createRun(db, newRun('same-hash'));
      await new Promise((r) => setTimeout(r, 5));
      const second = await createRun(db, newRun('same-hash'));
      expect((await findRunByConfigHash(db, 'same-hash'))?.id).toBe(second.id);
      expect(await findRunByConfigHash(db, 'no-such-hash')).toBeUndefined();
      expect((await getRun(db, first.id))?.id).toBe(first.id);
      expect((await getRun(db, first.id.slice(0, 12)))?.id).toBe(first.id);
      expect(await getRun(db, first.id.slice(0, 4))).toBeUndefined();
      const audit = await db.selectFrom('audit_log').select(['action', 'actor', 'details']).where('subject', '=', first.id).execute();
      expect(audit).toEqual([{ action: 'run.created', actor: 'runner', details: { modelId: 'rm', task: 'asr', datasetId: null, configHash: 'same-hash' } }]);
    });

    it('updates config (and the normalizer only when given), warnings, and marks a run running', async () => {
      const { db } = ts.store;
      const run = await createRun(db, { ...newRun('cfg'), normalizer: 'keep-me' });
      await updateRunConfig(db, run.id, { b: 2 });
      expect(await getRun(db, run.id)).toMatchObject({ config: { b: 2 }, normalizer: 'keep-me' });
      await updateRunConfig(db, run.id, { c: 3 }, { normalizer: null });
      expect(await getRun(db, run.id)).toMatchObject({ config: { c: 3 }, normalizer: null });
      await setRunWarnings(db, run.id, ['w1', 'w2']);
      expect((await getRun(db, run.id))?.warnings).toEqual(['w1', 'w2']);
      await markRunRunning(db, run.id, ['w3']);
      const running = await getRun(db, run.id);
      expect(running).toMatchObject({ status: 'running', warnings: ['w3'], finished_at: null });
      expect(running?.started_at).toBeInstanceOf(Date);
      expect(running?.heartbeat_at).toBeInstanceOf(Date);
    });

    it('finishes a run: summary stored, holder freed, one run.finished entry however often it is finished', async () => {
      const { db } = ts.store;
      const run = await createRun(db, newRun('fin'));
      await markRunRunning(db, run.id, []);
      await beatRuns(db, [run.id], { host: 'h', pid: 7 });
      await finishRun(db, run.id, 'running', { counts: { ok: 1 } });
      expect((await getRun(db, run.id))?.status).toBe('running');
      await finishRun(db, run.id, 'completed', { counts: { ok: 2 } });
      await finishRun(db, run.id, 'completed', { counts: { ok: 2 } });
      expect(await getRun(db, run.id)).toMatchObject({ status: 'completed', summary: { counts: { ok: 2 } } });
      const { rows } = await sql<{
        heartbeat_host: string | null;
        heartbeat_pid: number | null;
      }>`select heartbeat_host, heartbeat_pid from runs where id = ${run.id}`.execute(db);
      expect(rows[0]).toEqual({ heartbeat_host: null, heartbeat_pid: null });
      const finished = await db.selectFrom('audit_log').select(['details']).where('subject', '=', run.id).where('action', '=', 'run.finished').execute();
      expect(finished).toEqual([{ details: { status: 'completed', counts: { ok: 2 }, modelId: 'rm', task: 'asr' } }]);
    });

    it('lists runs newest first with the stale flag, filtered by model and limited', async () => {
      const { db } = ts.store;
      const stale = await createRun(db, newRun('list-stale'));
      await markRunRunning(db, stale.id, []);
      await db
        .updateTable('runs')
        .set({ heartbeat_at: sql<Date>`now() - interval '10 minutes'` })
        .where('id', '=', stale.id)
        .execute();
      const rows = await listRuns(db, { modelId: 'rm' });
      expect(rows[0]?.id).toBe(stale.id);
      expect(rows.find((r) => r.id === stale.id)?.stale).toBe(true);
      expect(rows.filter((r) => r.id !== stale.id).every((r) => r.stale === false)).toBe(true);
      expect(await listRuns(db, { limit: 2 })).toHaveLength(2);
      expect(await listRuns(db, { modelId: 'nobody' })).toEqual([]);
    });
  });
}
