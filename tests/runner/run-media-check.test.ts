import { execFileSync } from 'node:child_process';
import { copyFile, mkdir, mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { configSchema, type EvalgateConfig } from '../../gateway/config/config-schema.js';
import { resolveFfmpeg } from '../../gateway/media/ffmpeg-binaries.js';
import { createModel } from '../../gateway/models/create-model.js';
import type { ModelV1 } from '../../gateway/models/spec/model-v1.js';
import { RunMediaError } from '../../gateway/runner/check-run-media.js';
import { executeLocalRun } from '../../gateway/runner/execute-run.js';
import { prepareRun, resolveDataset } from '../../gateway/runner/prepare-run.js';
import { createPgliteTestStore, type TestStore } from '../helpers/test-stores.js';

// Issue 4: "Missing or unreadable media is reported per sample, with its id, before any run starts".
describe('the pre-run media check (PGlite)', () => {
  let dir: string;
  let ts: TestStore;
  let config: EvalgateConfig;
  let calls = 0;
  const keys = ['a1', 'a2', 'a3', 'a4'];

  // Counts model calls, so a refused run provably sent nothing.
  const loadModel = async (m: Parameters<typeof createModel>[0]): Promise<ModelV1> => {
    const inner = await createModel(m);
    return {
      ...inner,
      capabilities: inner.capabilities,
      adapter: inner.adapter,
      adapterVersion: inner.adapterVersion,
      modelName: inner.modelName,
      doGenerate: (r) => (calls++, inner.doGenerate(r)),
    };
  };

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'evalgate-media-check-'));
    const { ffmpegPath } = await resolveFfmpeg();
    execFileSync(ffmpegPath, ['-v', 'error', '-f', 'lavfi', '-i', 'sine=frequency=440:duration=0.5:sample_rate=16000', join(dir, 'a1.wav')]);
    for (const k of keys.slice(1)) await copyFile(join(dir, 'a1.wav'), join(dir, `${k}.wav`));
    await writeFile(join(dir, 'asr.jsonl'), keys.map((id) => JSON.stringify({ id, task: 'asr', audio: `${id}.wav`, reference: 'a tone' })).join('\n') + '\n');
    await writeFile(join(dir, 'preds.jsonl'), keys.map((id) => JSON.stringify({ id, prediction: 'a tone' })).join('\n') + '\n');
    config = configSchema.parse({ models: [{ id: 'replay', adapter: 'predictions', kind: 'generalist', options: { path: join(dir, 'preds.jsonl') } }] });
    ts = await createPgliteTestStore();
    await resolveDataset(ts.store.db, join(dir, 'asr.jsonl')); // imported while every file is there
  }, 60_000);
  afterAll(async () => {
    await ts?.dispose();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('refuses a run whose samples have missing or unreadable media, naming each sample, path and problem; nothing is created or sent', async () => {
    await rename(join(dir, 'a3.wav'), join(dir, 'a3.moved'));
    await rm(join(dir, 'a4.wav'));
    await mkdir(join(dir, 'a4.wav')); // a directory where a file should be: unreadable
    try {
      const err = await prepareRun(ts.store.db, config, { dataset: 'asr', modelId: 'replay' }, loadModel).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(RunMediaError);
      const e = err as RunMediaError;
      expect(e.code).toBe('EVALGATE_ERR_MEDIA_NOT_FOUND');
      expect(e.problems.map((p) => [p.id, p.path, p.problem])).toEqual([
        ['a3', 'a3.wav', 'missing'],
        ['a4', 'a4.wav', 'unreadable'],
      ]);
      expect(e.message).toContain('sample a3: a3.wav: missing');
      expect(e.message).toContain('sample a4: a4.wav: unreadable');
      expect(e.message).not.toContain('sample a1');
      const runs = await ts.store.db.selectFrom('runs').select('id').execute();
      expect(runs).toEqual([]);
      expect(calls).toBe(0);

      // The check covers only the samples the run will send: the first two are fine.
      const limited = await prepareRun(ts.store.db, config, { dataset: 'asr', modelId: 'replay', limit: 2 }, loadModel);
      const result = await executeLocalRun(ts.store.db, limited, { concurrency: 2, timeoutMs: 5000 });
      expect(result.report.counts).toMatchObject({ ok: 2, failed: 0, total: 2 });
      expect(calls).toBe(2);
    } finally {
      await rm(join(dir, 'a4.wav'), { recursive: true });
      await copyFile(join(dir, 'a1.wav'), join(dir, 'a4.wav'));
      await rename(join(dir, 'a3.moved'), join(dir, 'a3.wav'));
    }
  }, 60_000);

  it('checks a resumed run against its pending samples only', async () => {
    const prepared = await prepareRun(ts.store.db, config, { dataset: 'asr', modelId: 'replay', forceNew: true, limit: 3 }, loadModel);
    await executeLocalRun(ts.store.db, prepared, { concurrency: 2, timeoutMs: 5000 });
    // a1..a3 are stored ok; losing a1 now does not block widening the run to a4, but losing a4 does.
    await rename(join(dir, 'a1.wav'), join(dir, 'a1.moved'));
    try {
      const wider = await prepareRun(ts.store.db, config, { resume: prepared.run.id, limit: 4 }, loadModel);
      expect(wider.run.id).toBe(prepared.run.id);
      await rm(join(dir, 'a4.wav'));
      const err = await prepareRun(ts.store.db, config, { resume: prepared.run.id, limit: 4 }, loadModel).catch((e: unknown) => e);
      expect((err as RunMediaError).problems.map((p) => p.id)).toEqual(['a4']);
    } finally {
      await rename(join(dir, 'a1.moved'), join(dir, 'a1.wav'));
      await copyFile(join(dir, 'a1.wav'), join(dir, 'a4.wav'));
    }
  }, 60_000);
});
