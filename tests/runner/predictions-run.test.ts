import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defined } from '../helpers/defined.js';
import { configSchema } from '../../gateway/config/config-schema.js';
import { createModel } from '../../gateway/models/create-model.js';
import { executeLocalRun } from '../../gateway/runner/execute-run.js';
import { prepareRun } from '../../gateway/runner/prepare-run.js';
import { scoreTask } from '../../scorers/score-task.js';
import { createPgliteTestStore, type TestStore } from '../helpers/test-stores.js';
import { writeMcqManifest } from './runner-fixtures.js';

// The `predictions` adapter replays another harness's JSONL by manifest id,
// which the runner must pass as providerOptions.sampleId.
describe('a run with the predictions replay adapter (PGlite)', () => {
  let ts: TestStore;
  let fixture: Awaited<ReturnType<typeof writeMcqManifest>>;
  let predictionsPath: string;
  // Sample index → replayed text; index 5 has no line (it must fail, never be scored as empty).
  const replayed = new Map<number, string>();

  beforeAll(async () => {
    fixture = await writeMcqManifest(6, 'p');
    fixture.samples.forEach((s, i) => {
      if (i === 5) return;
      const wrong = 'ABCD'.charAt(('ABCD'.indexOf(s.answer) + 1) % 4);
      replayed.set(i, i % 2 === 0 ? s.answer : i === 3 ? 'I cannot tell.' : `The answer is (${wrong}).`);
    });
    predictionsPath = join(fixture.dir, 'preds.jsonl');
    const lines = fixture.samples.flatMap((s, i) => {
      const prediction = replayed.get(i);
      return prediction === undefined ? [] : [JSON.stringify({ id: s.id, prediction })];
    });
    await writeFile(predictionsPath, lines.join('\n') + '\n');
    ts = await createPgliteTestStore();
  }, 60_000);
  afterAll(async () => {
    await ts?.dispose();
    await fixture?.dispose();
  });

  it('stores exactly the replayed outputs, fails the sample with no line, and its metrics equal scoreTask on them', async () => {
    const config = configSchema.parse({
      models: [
        {
          id: 'replay',
          adapter: 'predictions',
          kind: 'generalist',
          // Runner-read options must not come back as "unknown option" warnings.
          options: { path: predictionsPath, system: 'Be brief.', prompts: { mcq: '{question}\n{options}' }, videoTransport: 'frames' },
        },
      ],
    });
    const prepared = await prepareRun(ts.store.db, config, { dataset: fixture.manifestPath, modelId: 'replay' }, (m) => createModel(m));
    const result = await executeLocalRun(ts.store.db, prepared, { concurrency: 2, timeoutMs: 5000 });

    const rows = await ts.store.db
      .selectFrom('predictions as p')
      .innerJoin('samples as s', 's.id', 'p.sample_id')
      .select(['s.sample_key', 'p.status', 'p.output_text', 'p.error', 'p.attempts'])
      .where('p.run_id', '=', prepared.run.id)
      .orderBy('s.sample_key')
      .execute();
    expect(rows.map((r) => [r.sample_key, r.status, r.output_text])).toEqual(
      fixture.samples.map((s, i) => [s.id, replayed.has(i) ? 'ok' : 'failed', replayed.get(i) ?? null]),
    );
    const missingId = defined(fixture.samples[5], 'sample #5').id;
    const missing = rows.find((r) => r.sample_key === missingId);
    expect(missing?.error?.message).toContain(`No prediction for sample "${missingId}"`);
    expect(missing?.attempts).toBe(1); // not retryable

    const direct = scoreTask(
      fixture.samples.flatMap((s, i) => {
        const prediction = replayed.get(i);
        return prediction === undefined ? [] : [{ id: s.id, answer: s.answer, choices: s.choices, prediction }];
      }),
      { task: 'mcq' },
    );
    expect(result.report.metrics).toEqual(direct.metrics);
    expect(result.report.counts).toEqual({ ok: 5, failed: 1, skipped: 0, pending: 0, total: 6 });
    expect(result.report.status).toBe('completed');
    expect(result.report.warnings.filter((w) => w.includes('is not used by'))).toEqual([]);
  }, 60_000);
});
