import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { createModel } from '../../gateway/models/create-model.js';
import type { ModelConfig } from '../../gateway/config/config-schema.js';
import { isLocalAsrModel } from '../../gateway/models/local/local-asr-model.js';
import { ModelCallError } from '../../gateway/models/spec/model-call-error.js';
import { HELLO_WORLD, spell, waveformCtcDir } from '../asr/tiny-ctc-model.js';

let havePocketsphinx = true;
try {
  execFileSync('sh', ['-c', 'command -v pocketsphinx_continuous'], { stdio: 'ignore' });
} catch {
  havePocketsphinx = false;
}
if (!havePocketsphinx) console.warn('[models] skipping the pocketsphinx abort test: pocketsphinx_continuous is not on PATH');

const cfg = (id: string, adapter: string, options: Record<string, unknown> = {}): ModelConfig => ({ id, adapter, kind: 'specialist', options });

describe('LocalAsrModel.transcribeWords', () => {
  it('returns the ONNX CTC engine’s word times through the model contract', async () => {
    const model = await createModel(cfg('ctc', 'onnx-ctc', { modelDir: waveformCtcDir() }));
    expect(isLocalAsrModel(model)).toBe(true);
    if (!isLocalAsrModel(model)) return;
    expect(model.givesWordTimes).toBe(true);
    const silence = Array<string>(25).fill('<pad>');
    const r = await model.transcribeWords(spell([...silence, ...HELLO_WORLD]), 16000);
    expect(r.text).toBe('HELLO WORLD');
    expect(r.words).toEqual([
      { text: 'HELLO', startS: 0.5, endS: 0.68 },
      { text: 'WORLD', startS: 0.7, endS: 0.82 },
    ]);
  });

  it('refuses whisper-onnx as a configuration error naming the model, without loading it', async () => {
    const model = await createModel(cfg('my-whisper', 'whisper-onnx', { modelDir: '/nonexistent/whisper' }));
    if (!isLocalAsrModel(model)) throw new Error('not a LocalAsrModel');
    expect(model.givesWordTimes).toBe(false);
    await expect(model.transcribeWords(new Float32Array(16000), 16000)).rejects.toMatchObject({
      code: 'EVALGATE_ERR_CONFIG_INVALID',
      message: expect.stringMatching(/model my-whisper.*whisper-onnx gives no word timings; use a pocketsphinx model or an ONNX CTC export/),
    });
  });

  it('is not claimed by remote models', async () => {
    const model = await createModel({ ...cfg('remote', 'openai-chat'), model: 'gpt-4o-audio-preview', baseUrl: 'http://127.0.0.1:9' });
    expect(model.adapter).toBe('openai-chat');
    expect(isLocalAsrModel(model)).toBe(false);
    expect(isLocalAsrModel({ transcribeWords: () => undefined })).toBe(false);
  });

  it('reports a failing engine as a failed call, and an abort as a retryable one', async () => {
    const missing = await createModel(cfg('ps', 'pocketsphinx', { binary: 'pocketsphinx_continuous_not_here' }));
    if (!isLocalAsrModel(missing)) throw new Error('not a LocalAsrModel');
    const err = await missing.transcribeWords(new Float32Array(1600), 16000).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ModelCallError);
    expect((err as Error).message).toMatch(/apt-get install pocketsphinx/);

    if (!havePocketsphinx) return;
    const model = await createModel(cfg('ps', 'pocketsphinx'));
    if (!isLocalAsrModel(model)) throw new Error('not a LocalAsrModel');
    const ac = new AbortController();
    const p = model.transcribeWords(new Float32Array(16000 * 20), 16000, ac.signal);
    setTimeout(() => ac.abort(new Error('stop now')), 50);
    const aborted = await p.catch((e: unknown) => e);
    expect(aborted).toBeInstanceOf(ModelCallError);
    expect((aborted as ModelCallError).retryable).toBe(true);
  });
});
