/**
 * How the runner treats `finishReason`: a cut-off or filtered answer is stored
 * and scored with a run warning; an `error` finish is a failed call, never
 * scored and never retried, whatever text came with it.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defined } from '../helpers/defined.js';
import { configSchema } from '../../gateway/config/config-schema.js';
import type { FinishReason, ModelRequest, ModelResult, ModelV1 } from '../../gateway/models/spec/model-v1.js';
import { executeLocalRun } from '../../gateway/runner/execute-run.js';
import { prepareRun } from '../../gateway/runner/prepare-run.js';
import { createPgliteTestStore, type TestStore } from '../helpers/test-stores.js';

/** Sample id → the answer text and how the scripted model says it stopped. */
const answers: Record<string, { reference: string; text: string; finish: FinishReason }> = {
  q0: { reference: 'paris', text: 'paris', finish: 'stop' },
  q1: { reference: 'the long answer', text: 'the long', finish: 'length' },
  q2: { reference: 'blue', text: 'I cannot help with that', finish: 'filter' },
  q3: { reference: 'seven', text: 'seven', finish: 'error' },
};

function scriptedModel(): ModelV1 & { calls: Map<string, number> } {
  const calls = new Map<string, number>();
  return {
    specificationVersion: 'v1',
    adapter: 'in-test',
    adapterVersion: '0.0.1',
    modelName: 'scripted-finish',
    capabilities: { text: true, audio: false, image: false, multipleImages: false, video: false, streaming: false, realtime: false },
    calls,
    doGenerate(request: ModelRequest): Promise<ModelResult> {
      const id = String(request.providerOptions?.sampleId);
      calls.set(id, (calls.get(id) ?? 0) + 1);
      const a = defined(answers[id], `an answer for ${id}`);
      return Promise.resolve({ text: a.text, finishReason: a.finish, warnings: [] });
    },
  };
}

describe('runner and finishReason', () => {
  let ts: TestStore;
  let dir: string;
  let manifestPath: string;

  beforeAll(async () => {
    ts = await createPgliteTestStore();
    dir = await mkdtemp(join(tmpdir(), 'evalgate-finish-'));
    manifestPath = join(dir, 'vqa.jsonl');
    await writeFile(
      manifestPath,
      Object.entries(answers)
        .map(([id, a]) => JSON.stringify({ id, task: 'vqa', question: `question ${id}?`, reference: a.reference }))
        .join('\n'),
    );
  }, 120_000);
  afterAll(async () => {
    await ts?.dispose();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('scores stop, length and filter answers (with run warnings) and fails an error finish without scoring or retrying it', async () => {
    const config = configSchema.parse({ models: [{ id: 'finish-test', adapter: 'in-test', kind: 'generalist' }] });
    const model = scriptedModel();
    const prepared = await prepareRun(ts.store.db, config, { dataset: manifestPath, modelId: 'finish-test' }, () => Promise.resolve(model));
    const { report, totals } = await executeLocalRun(ts.store.db, prepared, {
      concurrency: 2,
      timeoutMs: 5000,
      retry: { maxAttempts: 3, baseDelayMs: 1, maxDelayMs: 5, maxRetryAfterMs: 50 },
    });

    expect(totals).toMatchObject({ ok: 3, failed: 1, skipped: 0 });
    expect(model.calls.get('q3')).toBe(1);
    const rows = await ts.store.db
      .selectFrom('predictions')
      .innerJoin('samples', 'samples.id', 'predictions.sample_id')
      .select(['samples.sample_key', 'predictions.status', 'predictions.output_text', 'predictions.error'])
      .where('predictions.run_id', '=', prepared.run.id)
      .execute();
    const byKey = Object.fromEntries(rows.map((r) => [r.sample_key, r]));
    expect(byKey.q1).toMatchObject({ status: 'ok', output_text: 'the long' });
    expect(byKey.q2).toMatchObject({ status: 'ok', output_text: 'I cannot help with that' });
    expect(byKey.q3).toMatchObject({ status: 'failed', output_text: null, error: { code: 'adapter', retryable: false } });
    expect((byKey.q3!.error as { message: string }).message).toContain('finish reason "error"');

    // The metrics are those of the three answers alone: only q0 matches exactly (1 of 3). Had the error
    // finish's text ("seven", right) been scored, it would be 2 of 4.
    expect(report.metrics).toMatchObject({ exact_match: 1 / 3 });
    expect(report.warnings).toContain('the answer was cut off at the output token limit');
    expect(report.warnings).toContain("the provider's content filter stopped or replaced the answer");
  });
});
