import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defined } from '../helpers/defined.js';
import { configSchema } from '../../gateway/config/config-schema.js';
import { ModelCallError } from '../../gateway/models/spec/model-call-error.js';
import type { ModelCapabilities, ModelRequest, ModelResult, ModelV1 } from '../../gateway/models/spec/model-v1.js';
import { executeLocalRun } from '../../gateway/runner/execute-run.js';
import { prepareRun } from '../../gateway/runner/prepare-run.js';
import { savePrediction } from '../../gateway/store/prediction-repo.js';
import { scoreTask } from '../../scorers/score-task.js';
import { silentWav } from '../helpers/silent-wav.js';
import { backends, postgresAvailable, type TestStore } from '../helpers/test-stores.js';

const hasPostgres = await postgresAvailable();

const references: Record<string, string> = {
  a0: 'the cat sat on the mat',
  a1: 'hello world',
  a2: 'this call is refused',
  a3: 'rate limits happen',
  a4: 'one two three four',
};
const transcripts: Record<string, string> = { a0: 'the cat sat on a mat', a1: 'hello world', a3: 'rate limits happen', a4: 'one two three' };

/** An in-process model: answers by audio file name, with scripted faults. */
function scriptedAsrModel(caps: Partial<ModelCapabilities> = {}): ModelV1 & { calls: Map<string, number> } {
  const calls = new Map<string, number>();
  return {
    specificationVersion: 'v1',
    adapter: 'in-test',
    adapterVersion: '0.0.1',
    modelName: 'scripted-asr',
    capabilities: { text: true, audio: true, image: false, multipleImages: false, video: false, streaming: false, realtime: false, ...caps },
    calls,
    async doGenerate(request: ModelRequest): Promise<ModelResult> {
      const audio = request.parts.find((p) => p.type === 'audio');
      if (!audio || audio.type !== 'audio') throw new Error('no audio part');
      const key = basename(audio.path ?? '', '.wav');
      const n = (calls.get(key) ?? 0) + 1;
      calls.set(key, n);
      await new Promise((r) => setTimeout(r, 5));
      if (key === 'a2') throw new ModelCallError('invalid api key', { statusCode: 401 });
      if (key === 'a3' && n === 1) throw new ModelCallError('slow down', { statusCode: 429, retryAfterMs: 10 });
      return { text: defined(transcripts[key], `a transcript for ${key}`), warnings: key === 'a4' ? ['maxOutputTokens ignored'] : [] };
    },
  };
}

for (const backend of backends) {
  const skip = backend.name === 'postgres' && !hasPostgres;
  describe.skipIf(skip)(`runner with an in-process model (${backend.name})`, () => {
    let ts: TestStore;
    let dir: string;
    let manifestPath: string;

    beforeAll(async () => {
      ts = await backend.create();
      dir = await mkdtemp(join(tmpdir(), 'evalgate-asr-'));
      for (const key of Object.keys(references)) await writeFile(join(dir, `${key}.wav`), silentWav(1));
      manifestPath = join(dir, 'asr.jsonl');
      await writeFile(
        manifestPath,
        Object.entries(references)
          .map(([id, reference]) => JSON.stringify({ id, task: 'asr', audio: `${id}.wav`, reference, duration_s: 1 }))
          .join('\n'),
      );
    }, 120_000);
    afterAll(async () => {
      await ts?.dispose();
      if (dir) await rm(dir, { recursive: true, force: true });
    });

    it('stores answers and failures, scores only answers, reports RTFx and adapter warnings', async () => {
      const config = configSchema.parse({ models: [{ id: 'asr-test', adapter: 'in-test', kind: 'generalist' }] });
      const model = scriptedAsrModel();
      const prepared = await prepareRun(ts.store.db, config, { dataset: manifestPath, modelId: 'asr-test' }, () => Promise.resolve(model));
      const { report, totals } = await executeLocalRun(ts.store.db, prepared, {
        concurrency: 2,
        timeoutMs: 5000,
        retry: { maxAttempts: 3, baseDelayMs: 1, maxDelayMs: 5, maxRetryAfterMs: 50 },
      });
      expect(totals).toMatchObject({ ok: 4, failed: 1, skipped: 0 });
      expect(model.calls.get('a2')).toBe(1); // 401 is not retried
      expect(model.calls.get('a3')).toBe(2); // 429 is
      const failed = await ts.store.db.selectFrom('predictions').selectAll().where('status', '=', 'failed').execute();
      expect(failed).toHaveLength(1);
      expect(failed[0]).toMatchObject({ attempts: 1, output_text: null });
      expect(failed[0]?.error).toMatchObject({ code: 'http', statusCode: 401, retryable: false });

      const direct = scoreTask(
        Object.entries(transcripts).map(([id, prediction]) => ({ id, reference: defined(references[id], `a reference for ${id}`), prediction })),
        { task: 'asr' },
      );
      expect(report.metrics).toEqual(direct.metrics);
      expect(report.audioSeconds).toBe(4);
      expect(report.rtfx).toBeGreaterThan(0);
      expect(report.warnings).toContain('maxOutputTokens ignored');
      const run = await ts.store.db.selectFrom('runs').selectAll().where('id', '=', prepared.run.id).executeTakeFirstOrThrow();
      expect(run).toMatchObject({ status: 'completed', adapter_version: 'in-test@0.0.1', prompt_template: prepared.config.promptTemplate });
      expect(run.warnings).toContain('maxOutputTokens ignored');
      expect(run.dataset_digest).toMatch(/^[0-9a-f]{64}$/);

      // An ok prediction is never replaced, whatever a late writer sends.
      const a0 = await ts.store.db.selectFrom('samples').select('id').where('sample_key', '=', 'a0').executeTakeFirstOrThrow();
      const wrote = await savePrediction(ts.store.db, { runId: prepared.run.id, sampleId: a0.id, status: 'failed', error: { message: 'late' }, attempts: 1 });
      expect(wrote).toBe(false);
      const row = await ts.store.db.selectFrom('predictions').selectAll().where('sample_id', '=', a0.id).executeTakeFirstOrThrow();
      expect(row).toMatchObject({ status: 'ok', output_text: transcripts.a0, error: null });
    });

    it('skips samples the model cannot take, and never calls it for them', async () => {
      const config = configSchema.parse({ models: [{ id: 'text-only', adapter: 'in-test', kind: 'generalist' }] });
      const model = scriptedAsrModel({ audio: false });
      const prepared = await prepareRun(ts.store.db, config, { dataset: manifestPath, modelId: 'text-only' }, () => Promise.resolve(model));
      const { report } = await executeLocalRun(ts.store.db, prepared, { concurrency: 2, timeoutMs: 1000 });
      expect(report.counts).toMatchObject({ ok: 0, failed: 0, skipped: 5 });
      expect(report.metrics).toBeNull();
      expect(model.calls.size).toBe(0);
    });
  });
}
