// A judged run (task judge-score) stores the judge's score as its "prediction", and a failed judge reply
// can quote the reference. Both are per-sample scores to the sealed rules: on a sealed dataset only admin
// keys see them over HTTP, and the CLI withholds them without --include-sealed.
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { configSchema } from '../../gateway/config/config-schema.js';
import { cliSampleAccess, recordOf } from '../../gateway/run-samples/run-sample-records.js';
import { createApp } from '../../gateway/server/create-app.js';
import { createApiKey } from '../../gateway/store/api-key-repo.js';
import type { ApiKeyScope } from '../../gateway/store/database.js';
import { seedDataset, seedRun } from '../compare/seed-runs.js';
import { createPgliteTestStore, type TestStore } from '../helpers/test-stores.js';

const PLANTED = 'REFERENCE-MARKER-7781';

describe('judged runs on a sealed dataset', () => {
  let ts: TestStore;
  let app: FastifyInstance;
  let runId = '';
  const keys = new Map<ApiKeyScope, string>();

  beforeAll(async () => {
    ts = await createPgliteTestStore();
    const db = ts.store.db;
    const { datasetId, ids } = await seedDataset(db, 'sealed-judged', [
      { key: 'a', task: 'asr', reference: PLANTED },
      { key: 'b', task: 'asr', reference: PLANTED },
    ]);
    await db.updateTable('datasets').set({ sealed: true }).where('id', '=', datasetId).execute();
    runId = await seedRun(db, { model: 'judged', kind: 'generalist', datasetId, ids, task: 'judge-score', predictions: [{ key: 'a', text: '4' }] });
    // The second answer: the judge's reply could not be read, and it quoted the reference.
    await db
      .insertInto('predictions')
      .values({
        run_id: runId,
        sample_id: ids.get('b')!,
        status: 'failed',
        output_text: null,
        error: JSON.stringify({ code: 'judge', message: `unreadable judge reply: "The reference says ${PLANTED}"` }),
      })
      .execute();
    for (const scope of ['viewer', 'evaluator', 'admin'] as const) keys.set(scope, (await createApiKey(db, { scopes: [scope] })).key);
    app = await createApp({ config: configSchema.parse({ server: { auth: true } }), store: ts.store });
  });
  afterAll(async () => {
    await app?.close();
    await ts?.dispose();
  });

  const samplesAs = async (scope: ApiKeyScope): Promise<{ sample_key: string; output_text: string | null; error: unknown }[]> => {
    const res = await app.inject({ url: `/v1/runs/${runId}/samples`, headers: { authorization: `Bearer ${keys.get(scope)}` } });
    expect(res.statusCode).toBe(200);
    return (res.json() as { samples: { sample_key: string; output_text: string | null; error: unknown }[] }).samples;
  };

  it('gives the judge scores and replies to admin keys only', async () => {
    for (const scope of ['viewer', 'evaluator'] as const) {
      const body = JSON.stringify(await samplesAs(scope));
      expect(body, scope).not.toContain(PLANTED);
      const samples = await samplesAs(scope);
      expect(samples.find((s) => s.sample_key === 'a')?.output_text, scope).toBeNull();
      expect(samples.find((s) => s.sample_key === 'b')?.error, scope).toEqual({ code: 'judge' });
    }
    // Positive control: the admin sees both, so the check above can fail.
    const admin = await samplesAs('admin');
    expect(admin.find((s) => s.sample_key === 'a')?.output_text).toBe('4');
    expect(JSON.stringify(admin)).toContain(PLANTED);
  });

  it('the CLI withholds them on a sealed dataset unless --include-sealed', () => {
    const row = {
      sampleKey: 'b',
      status: 'failed' as const,
      outputText: '4',
      error: { code: 'judge', message: PLANTED },
      scores: null,
      details: null,
    } as unknown as Parameters<typeof recordOf>[0];
    const hidden = recordOf(row, cliSampleAccess(true, false, 'judge-score'));
    expect(hidden.prediction).toBeNull();
    expect(hidden.error).toEqual({ code: 'judge' });
    expect(cliSampleAccess(true, false, 'judge-score').withheld.join(' ')).toMatch(/judge scores/);
    const shown = recordOf(row, cliSampleAccess(true, true, 'judge-score'));
    expect(shown.prediction).toBe('4');
    expect(JSON.stringify(shown.error)).toContain(PLANTED);
    // An ordinary run's predictions are not scores: they stay visible, as before.
    expect(recordOf(row, cliSampleAccess(true, false, 'asr')).prediction).toBe('4');
  });
});
