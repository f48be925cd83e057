// A run records the scorer versions it is scored with (runs.config.scorerVersions);
// they stay out of the config hash, so a run recorded before they existed, or
// with other scorer options, is still continued rather than started afresh.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createModel } from '../../gateway/models/create-model.js';
import { prepareRun, runConfigHash, type ResolvedRunConfig } from '../../gateway/runner/prepare-run.js';
import { scorerVersions } from '../../scorers/tasks/scorer-versions.js';
import { createPgliteTestStore, type TestStore } from '../helpers/test-stores.js';
import { answersFor, configWithModel, writeMcqManifest } from '../runner/runner-fixtures.js';
import { startScriptedServer, type ScriptedServer } from '../runner/scripted-openai-server.js';

describe('runs record their scorer versions', () => {
  let ts: TestStore;
  let server: ScriptedServer;
  let fixture: Awaited<ReturnType<typeof writeMcqManifest>>;

  beforeAll(async () => {
    fixture = await writeMcqManifest(3, 'v');
    server = await startScriptedServer({ answers: answersFor(fixture.samples) });
    ts = await createPgliteTestStore();
  }, 60_000);
  afterAll(async () => {
    await server?.close();
    await ts?.dispose();
    await fixture?.dispose();
  });

  const stored = async (runId: string): Promise<ResolvedRunConfig> =>
    (await ts.store.db.selectFrom('runs').select('config').where('id', '=', runId).executeTakeFirstOrThrow()).config as unknown as ResolvedRunConfig;

  it('stores scorerVersions(task, scorer options); the hash ignores them', async () => {
    const config = configWithModel(server.baseUrl);
    const first = await prepareRun(ts.store.db, config, { dataset: fixture.manifestPath, modelId: 'scripted', scorer: { extractor: 'lmms-2026-04' } }, (m) =>
      createModel(m),
    );
    expect(first.config.scorerVersions).toEqual({ task: 'mcq', normalizer: 'none@1', extractor: 'lmms-2026-04@7a69a9a', metric: 'mcq-accuracy@4e7566d' });
    expect((await stored(first.run.id)).scorerVersions).toEqual(first.config.scorerVersions);
    const { scorerVersions: _v, ...withoutVersions } = first.config;
    void _v;
    expect(runConfigHash(withoutVersions)).toBe(runConfigHash(first.config));
    await first.model.close?.();

    // Same identity, other extractor: the run is continued and records the new versions.
    const again = await prepareRun(ts.store.db, config, { dataset: fixture.manifestPath, modelId: 'scripted', scorer: { extractor: 'lmms' } }, (m) =>
      createModel(m),
    );
    expect(again.resumed).toBe(true);
    expect(again.run.id).toBe(first.run.id);
    expect((await stored(first.run.id)).scorerVersions).toEqual(scorerVersions('mcq', { extractor: 'lmms' }));
    await again.model.close?.();
  });

  it('--resume of a run recorded without versions records the current ones', async () => {
    const config = configWithModel(server.baseUrl);
    const old = await prepareRun(ts.store.db, config, { dataset: fixture.manifestPath, modelId: 'scripted', forceNew: true, limit: 1 }, (m) => createModel(m));
    await old.model.close?.();
    const { scorerVersions: _v, ...legacy } = await stored(old.run.id);
    void _v;
    await ts.store.db
      .updateTable('runs')
      .set({ config: JSON.stringify(legacy) })
      .where('id', '=', old.run.id)
      .execute();
    await ts.store.db.updateTable('runs').set({ status: 'failed' }).where('id', '=', old.run.id).execute();
    const resumed = await prepareRun(ts.store.db, config, { resume: old.run.id }, (m) => createModel(m));
    expect(resumed.config.scorerVersions).toEqual(scorerVersions('mcq'));
    expect((await stored(old.run.id)).scorerVersions).toEqual(scorerVersions('mcq'));
    await resumed.model.close?.();
  });
});
