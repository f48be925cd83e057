import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createModel } from '../../gateway/models/create-model.js';
import { ModelCallError } from '../../gateway/models/spec/model-call-error.js';
import type { PredictionsModel } from '../../gateway/models/replay/predictions-model.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'evalgate-pred-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function file(name: string, text: string): Promise<string> {
  const p = join(dir, name);
  await writeFile(p, text);
  return p;
}

const cfg = (path: string) => ({ id: 'replay', adapter: 'predictions', kind: 'generalist' as const, options: { path } });

describe('predictions replay', () => {
  it('answers each sample with its line, keyed by providerOptions.sampleId', async () => {
    const path = await file('p.jsonl', '{"id":"a","prediction":"hello"}\n\n{"id":"b","prediction":"B"}\r\n');
    const model = await createModel(cfg(path));
    await expect(model.doGenerate({ parts: [], providerOptions: { sampleId: 'b' } })).resolves.toMatchObject({ text: 'B', warnings: [] });
    await expect(model.doGenerate({ parts: [], providerOptions: { sampleId: 'a' } })).resolves.toMatchObject({ text: 'hello' });
    expect(await (model as PredictionsModel).sampleIds()).toEqual(['a', 'b']);
  });

  it('fails a sample with no line (non-retryable), never answering empty', async () => {
    const path = await file('q.jsonl', '{"id":"a","prediction":""}\n');
    const model = await createModel(cfg(path));
    await expect(model.doGenerate({ parts: [], providerOptions: { sampleId: 'a' } })).resolves.toMatchObject({ text: '' });
    const err = await model.doGenerate({ parts: [], providerOptions: { sampleId: 'zz' } }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ModelCallError);
    expect(err).toMatchObject({ retryable: false, message: expect.stringContaining('"zz"') });
    await expect(model.doGenerate({ parts: [] })).rejects.toMatchObject({ code: 'EVALGATE_ERR_BAD_INPUT' });
  });

  it('names the line of a malformed file or a repeated id', async () => {
    const bad = await file('bad.jsonl', '{"id":"a","prediction":"x"}\n{"id":"a","prediction":"y"}\n');
    await expect((await createModel(cfg(bad))).doGenerate({ parts: [], providerOptions: { sampleId: 'a' } })).rejects.toMatchObject({
      code: 'EVALGATE_ERR_MANIFEST_INVALID',
      message: expect.stringContaining(':2: id: "a" appears twice'),
    });
    const notJson = await file('nj.jsonl', '{"id":"a","prediction":"x"}\n{oops\n');
    await expect((await createModel(cfg(notJson))).doGenerate({ parts: [], providerOptions: { sampleId: 'a' } })).rejects.toMatchObject({
      message: expect.stringContaining(':2: (line): not JSON'),
    });
    const noPred = await file('np.jsonl', '{"id":"a","answer":"x"}\n');
    await expect((await createModel(cfg(noPred))).doGenerate({ parts: [], providerOptions: { sampleId: 'a' } })).rejects.toMatchObject({
      message: expect.stringContaining(':1: prediction: must be a string'),
    });
  });

  it('needs options.path', async () => {
    await expect(createModel({ id: 'r', adapter: 'predictions', kind: 'generalist', options: {} })).rejects.toMatchObject({
      code: 'EVALGATE_ERR_CONFIG_INVALID',
    });
  });
});
