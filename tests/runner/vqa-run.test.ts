// A batch run of vqa samples with human answers, end to end: a manifest with
// `answers`, the real runner against a scripted OpenAI-compatible server, and
// PGlite. The stored per-sample scores and the report carry the official VQA
// accuracy; the human answers never reach the model.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createModel } from '../../gateway/models/create-model.js';
import { executeLocalRun } from '../../gateway/runner/execute-run.js';
import { prepareRun } from '../../gateway/runner/prepare-run.js';
import { vqaAccuracy } from '../../scorers/vqa/vqa-accuracy.js';
import { createPgliteTestStore, type TestStore } from '../helpers/test-stores.js';
import { configWithModel } from './runner-fixtures.js';
import { sampleMarker, startScriptedServer, type ScriptedServer } from './scripted-openai-server.js';

const ten = (...pairs: [string, number][]): string[] => pairs.flatMap(([a, k]) => Array<string>(k).fill(a));
const samples = [
  { id: 'v1', answers: ten(['2', 5], ['two', 4], ['ZQXHUMANRUN', 1]), reply: 'Two.' },
  { id: 'v2', answers: ten(['yes', 10]), reply: 'Yes' },
  { id: 'v3', answers: ten(['red', 2], ['blue', 8]), reply: 'red' },
  { id: 'v4', answers: ten(["don't know", 3], ['unanswerable', 7]), reply: 'dont know' },
];

describe('vqa run with human answers (PGlite)', () => {
  let ts: TestStore;
  let server: ScriptedServer;
  let dir: string;
  let manifestPath: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'evalgate-vqa-run-'));
    manifestPath = join(dir, 'vqa.jsonl');
    const lines = samples.map((s) => JSON.stringify({ id: s.id, task: 'vqa', question: `${sampleMarker(s.id)} What is it?`, answers: s.answers }));
    await writeFile(manifestPath, `${lines.join('\n')}\n`);
    server = await startScriptedServer({ answers: Object.fromEntries(samples.map((s) => [s.id, s.reply])), latencyMs: 1 });
    ts = await createPgliteTestStore();
  });
  afterAll(async () => {
    await server?.close();
    await ts?.dispose();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('stores each sample’s VQA accuracy and reports vqa_accuracy over the run', async () => {
    const prepared = await prepareRun(ts.store.db, configWithModel(server.baseUrl), { dataset: manifestPath, modelId: 'scripted' }, (m) => createModel(m));
    const result = await executeLocalRun(ts.store.db, prepared, { concurrency: 2, timeoutMs: 2000 });
    const expected = samples.map((s) => vqaAccuracy(s.answers, s.reply).accuracy);
    expect(expected).toEqual([1, 0, expect.closeTo(0.6, 12), 0.9]);

    const rows = await ts.store.db
      .selectFrom('scores as sc')
      .innerJoin('predictions as p', 'p.id', 'sc.prediction_id')
      .innerJoin('samples as s', 's.id', 'p.sample_id')
      .select(['s.sample_key', 'sc.value', 'sc.details'])
      .where('p.run_id', '=', prepared.run.id)
      .where('sc.metric', '=', 'vqa_accuracy')
      .orderBy('s.sample_key')
      .execute();
    expect(rows.map((r) => [r.sample_key, r.value])).toEqual(samples.map((s, i) => [s.id, expected[i]]));
    expect(JSON.stringify(rows)).not.toContain('ZQXHUMANRUN');

    expect(result.report.counts).toMatchObject({ ok: 4 });
    expect(result.report.metrics).toEqual({ vqa_accuracy: (expected[0]! + expected[1]! + expected[2]! + expected[3]!) / 4 });
    // The model saw the question, never the human answers.
    expect(server.bodies).toHaveLength(4);
    expect(JSON.stringify(server.bodies)).not.toContain('ZQXHUMANRUN');
    expect(JSON.stringify(server.bodies)).not.toContain('unanswerable');
  });
});
