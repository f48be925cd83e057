import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { configSchema, type EvalgateConfig } from '../../gateway/config/config-schema.js';
import { createModel } from '../../gateway/models/create-model.js';
import { executeLocalRun } from '../../gateway/runner/execute-run.js';
import { prepareRun } from '../../gateway/runner/prepare-run.js';
import { getRun } from '../../gateway/store/run-repo.js';
import { createPgliteTestStore, createPostgresTestStore, postgresAvailable, type TestStore } from '../helpers/test-stores.js';
import { writeMcqManifest } from './runner-fixtures.js';

const hasPostgres = await postgresAvailable();

// The leaderboard's freeze leaves off runs that finish after it, relying on
// them "staying visible in the audit log": every run is logged when it is
// created and whenever it finishes (completed, failed or cancelled).
for (const [dialect, open, skip] of [
  ['PGlite', createPgliteTestStore, false],
  ['PostgreSQL', createPostgresTestStore, !hasPostgres],
] as const) {
  describe.skipIf(skip)(`run audit entries (${dialect})`, () => {
    let ts: TestStore;
    let fixture: Awaited<ReturnType<typeof writeMcqManifest>>;
    let config: EvalgateConfig;

    beforeAll(async () => {
      fixture = await writeMcqManifest(4, 'u');
      const preds = join(fixture.dir, 'preds.jsonl');
      // The last sample has no line: it fails, and the counts must say so.
      await writeFile(
        preds,
        fixture.samples
          .slice(0, 3)
          .map((s) => JSON.stringify({ id: s.id, prediction: s.answer }))
          .join('\n') + '\n',
      );
      config = configSchema.parse({ models: [{ id: 'replay', adapter: 'predictions', kind: 'generalist', options: { path: preds } }] });
      ts = await open();
    }, 60_000);
    afterAll(async () => {
      await ts?.dispose();
      await fixture?.dispose();
    });

    const entries = async (runId: string): Promise<{ action: string; actor: string | null; details: Record<string, unknown> }[]> =>
      ts.store.db.selectFrom('audit_log').select(['action', 'actor', 'details']).where('subject', '=', runId).orderBy('id').execute();

    it('logs run.created at creation and run.finished with status, counts, model and task at completion', async () => {
      const prepared = await prepareRun(ts.store.db, config, { dataset: fixture.manifestPath, modelId: 'replay' }, (m) => createModel(m));
      expect(await entries(prepared.run.id)).toEqual([
        {
          action: 'run.created',
          actor: 'runner',
          details: { modelId: 'replay', task: 'mcq', datasetId: prepared.config.dataset.id, configHash: prepared.run.config_hash },
        },
      ]);
      await executeLocalRun(ts.store.db, prepared, { concurrency: 2, timeoutMs: 5000 });
      const log = await entries(prepared.run.id);
      expect(log).toHaveLength(2);
      expect(log[1]).toEqual({
        action: 'run.finished',
        actor: 'runner',
        details: { status: 'completed', counts: { ok: 3, failed: 1, skipped: 0, pending: 0, total: 4 }, modelId: 'replay', task: 'mcq' },
      });

      // Continuing the same configuration creates no new run, but its finish is logged again.
      const again = await prepareRun(ts.store.db, config, { dataset: fixture.manifestPath, modelId: 'replay' }, (m) => createModel(m));
      expect(again.run.id).toBe(prepared.run.id);
      await executeLocalRun(ts.store.db, again, { concurrency: 2, timeoutMs: 5000 });
      expect((await entries(prepared.run.id)).map((e) => e.action)).toEqual(['run.created', 'run.finished', 'run.finished']);
    }, 60_000);

    it('logs a cancelled run', async () => {
      const prepared = await prepareRun(ts.store.db, config, { dataset: fixture.manifestPath, modelId: 'replay', forceNew: true }, (m) => createModel(m));
      const abort = new AbortController();
      abort.abort();
      const result = await executeLocalRun(ts.store.db, prepared, { concurrency: 2, timeoutMs: 5000, signal: abort.signal });
      expect(result.report.status).toBe('cancelled');
      const log = await entries(prepared.run.id);
      expect(log.map((e) => e.action)).toEqual(['run.created', 'run.finished']);
      expect(log[1]?.details).toMatchObject({ status: 'cancelled', counts: { ok: 0, pending: 4, total: 4 }, modelId: 'replay', task: 'mcq' });
    }, 60_000);

    it('marks a run whose execution threw as failed, and logs it', async () => {
      const prepared = await prepareRun(ts.store.db, config, { dataset: fixture.manifestPath, modelId: 'replay', forceNew: true }, (m) => createModel(m));
      const boom = new Error('progress display crashed');
      await expect(
        executeLocalRun(ts.store.db, prepared, {
          concurrency: 1,
          timeoutMs: 5000,
          onOutcome: () => {
            throw boom;
          },
        }),
      ).rejects.toBe(boom);
      expect((await getRun(ts.store.db, prepared.run.id))?.status).toBe('failed');
      const log = await entries(prepared.run.id);
      expect(log.map((e) => e.action)).toEqual(['run.created', 'run.finished']);
      expect(log[1]?.details).toMatchObject({ status: 'failed', modelId: 'replay', task: 'mcq', counts: { total: 4 } });
    }, 60_000);
  });
}
