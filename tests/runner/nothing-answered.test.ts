// Runs that cannot measure anything (issue 19): a specialist asked for a task
// it does not answer is refused before any call, and a run that ends with no
// answered sample ends `failed` with the reason instead of completing with n = 0.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { configSchema } from '../../gateway/config/config-schema.js';
import { EvalgateError } from '../../gateway/errors.js';
import { createModel } from '../../gateway/models/create-model.js';
import { executeLocalRun } from '../../gateway/runner/execute-run.js';
import { prepareRun } from '../../gateway/runner/prepare-run.js';
import { getRun } from '../../gateway/store/run-repo.js';
import { createPgliteTestStore, type TestStore } from '../helpers/test-stores.js';
import { configWithModel } from './runner-fixtures.js';
import { sampleMarker, startScriptedServer, type ScriptedServer } from './scripted-openai-server.js';

describe('a run that measures nothing (PGlite)', () => {
  let ts: TestStore;
  let server: ScriptedServer;
  let dir: string;
  const keys = ['a', 'b', 'c'];

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'evalgate-nothing-'));
    const lines = keys.map((id) => JSON.stringify({ id, task: 'vqa', question: `${sampleMarker(id)} What?`, reference: 'x' }));
    await writeFile(join(dir, 'm.jsonl'), `${lines.join('\n')}\n`);
    // Every request fails with a non-retryable 400.
    server = await startScriptedServer({
      answers: {},
      scripts: Object.fromEntries(keys.map((k) => [k, [{ kind: 'error', status: 400 }]])),
      latencyMs: 1,
    });
    ts = await createPgliteTestStore();
  });
  afterAll(async () => {
    await server?.close();
    await ts?.dispose();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('a specialist is refused a task it does not answer, before any run or call', async () => {
    const config = configSchema.parse({ models: [{ id: 'pp', adapter: 'ppocr', kind: 'specialist' }] });
    let loaded = false;
    const err = await prepareRun(ts.store.db, config, { dataset: join(dir, 'm.jsonl'), modelId: 'pp', task: 'vqa' }, (m) => {
      loaded = true;
      return createModel(m);
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(EvalgateError);
    expect((err as EvalgateError).code).toBe('EVALGATE_ERR_BAD_INPUT');
    expect((err as Error).message).toContain('pp (adapter ppocr) cannot answer vqa: it answers ocr');
    expect(loaded).toBe(false);
    expect(await ts.store.db.selectFrom('runs').select('id').execute()).toEqual([]);
  });

  it('a run whose every call failed ends failed, with the reason', async () => {
    const prepared = await prepareRun(ts.store.db, configWithModel(server.baseUrl), { dataset: join(dir, 'm.jsonl'), modelId: 'scripted' }, (m) =>
      createModel(m),
    );
    const result = await executeLocalRun(ts.store.db, prepared, { concurrency: 2, timeoutMs: 2000 });
    expect(result.report.counts).toMatchObject({ ok: 0, failed: 3 });
    expect(result.report.status).toBe('failed');
    expect(result.report.warnings).toContain('no sample was answered (3 failed, 0 skipped)');
    const run = await getRun(ts.store.db, prepared.run.id);
    expect(run?.status).toBe('failed');
  });
});
