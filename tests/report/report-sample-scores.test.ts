import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { configSchema } from '../../gateway/config/config-schema.js';
import { createApp } from '../../gateway/server/create-app.js';
import { createApiKey } from '../../gateway/store/api-key-repo.js';
import type { ApiKeyScope } from '../../gateway/store/database.js';
import { seedDataset, seedRun } from '../compare/seed-runs.js';
import { createPgliteTestStore, type TestStore } from '../helpers/test-stores.js';

/**
 * The report's disagreement rows are per-sample scores (each run's score on
 * the sample, the gap, the scorer's details). Who sees them is decided
 * exactly as `GET /v1/runs/:id/samples` decides who sees `scores`: the same
 * scope on the same dataset gets both or neither (evaluator keys on open
 * sets, admin keys on sealed ones).
 */
describe('/v1/report shows per-sample rows exactly where /v1/runs/:id/samples shows scores', () => {
  let ts: TestStore;
  let app: FastifyInstance;
  const scopes: readonly ApiKeyScope[] = ['viewer', 'submitter', 'evaluator', 'admin'];
  const keys = new Map<ApiKeyScope, string>();
  const runs = new Map<'open' | 'sealed', string[]>();
  // Sample keys carry a marker: a disagreement row names its sample, nothing else in the report does.
  const rowMarker = 'zqxrow';

  beforeAll(async () => {
    ts = await createPgliteTestStore();
    const db = ts.store.db;
    for (const kind of ['open', 'sealed'] as const) {
      const sampleKeys = Array.from({ length: 12 }, (_, i) => `${rowMarker}-${kind}-${i}`);
      const { datasetId, ids } = await seedDataset(
        db,
        `${kind}-set`,
        sampleKeys.map((key) => ({ key, task: 'asr' as const, reference: 'one two three', tags: ['all'] })),
      );
      await db
        .updateTable('datasets')
        .set({ sealed: kind === 'sealed' })
        .where('id', '=', datasetId)
        .execute();
      const pair: string[] = [];
      for (const [model, text] of [
        [`good-${kind}`, 'one two three'],
        [`bad-${kind}`, 'one two'],
      ] as const) {
        const run = await seedRun(db, {
          model,
          kind: 'generalist',
          datasetId,
          ids,
          task: 'asr',
          predictions: sampleKeys.map((key) => ({ key, text, latencyMs: 10 })),
        });
        // Stored per-sample scores, as the runner writes them: what /v1/runs/:id/samples shows as `scores`.
        const predictions = await db.selectFrom('predictions').select('id').where('run_id', '=', run).execute();
        for (const p of predictions)
          await db
            .insertInto('scores')
            .values({ prediction_id: p.id, metric: 'wer', value: text === 'one two' ? 1 / 3 : 0, details: null })
            .execute();
        pair.push(run);
      }
      runs.set(kind, pair);
    }
    for (const scope of scopes) keys.set(scope, (await createApiKey(db, { scopes: [scope] })).key);
    app = await createApp({ config: configSchema.parse({ server: { auth: true } }), store: ts.store });
  });
  afterAll(async () => {
    await app?.close();
    await ts?.dispose();
  });

  const get = async (scope: ApiKeyScope, url: string): Promise<string> => {
    const res = await app.inject({ url, headers: { authorization: `Bearer ${keys.get(scope)}` } });
    expect(res.statusCode, `${url} as ${scope}: ${res.body.slice(0, 300)}`).toBe(200);
    return res.body;
  };

  it('gives both or neither, scope by scope, on an open and a sealed dataset', async () => {
    const seen: Record<string, { samplesScores: boolean; reportRows: boolean }> = {};
    for (const kind of ['open', 'sealed'] as const) {
      const [a, b] = runs.get(kind)!;
      for (const scope of scopes) {
        const samples = JSON.parse(await get(scope, `/v1/runs/${a}/samples`)) as { samples: { scores?: Record<string, number> }[] };
        const samplesScores = samples.samples.some((s) => s.scores !== undefined);
        const report = await get(scope, `/v1/report?runs=${a},${b}&samples=20&iterations=20`);
        const reportRows = report.includes(`${rowMarker}-${kind}-`);
        seen[`${kind}/${scope}`] = { samplesScores, reportRows };
        // A caller without the rows is told they were withheld, not shown an empty table as if the runs agreed.
        if (!reportRows) expect(report).toContain('withheld: per-sample disagreements');
        // A row shows the bad run's own score on the sample and the scorer's details.
        else expect(report).toMatch(/<\/b> 0\.3333 S=\d+ D=\d+ I=\d+/);
      }
    }
    for (const [where, s] of Object.entries(seen)) expect(s.reportRows, `${where}: report rows vs samples scores`).toBe(s.samplesScores);
    // The rule itself, so that both routes drifting together would fail too.
    expect(Object.fromEntries(Object.entries(seen).map(([k, v]) => [k, v.reportRows]))).toEqual({
      'open/viewer': false,
      'open/submitter': false,
      'open/evaluator': true,
      'open/admin': true,
      'sealed/viewer': false,
      'sealed/submitter': false,
      'sealed/evaluator': false,
      'sealed/admin': true,
    });
  });

  it('still shows viewers the aggregates of an open set', async () => {
    const [a, b] = runs.get('open')!;
    const report = await get('viewer', `/v1/report?runs=${a},${b}&samples=20&iterations=20`);
    // The per-run table: both models with their WER interval.
    expect(report).toMatch(/good-open \([0-9a-f]{8}\)<\/td><td>generalist<\/td><td>0\.0000 \[/);
    expect(report).toMatch(/bad-open \([0-9a-f]{8}\)<\/td><td>generalist<\/td><td>0\.3333 \[/);
  });
});
