/**
 * The adapter descriptors are the one place adapter facts live; these checks
 * pin the facts the old tables held (names, aliases, realtime, PCM rates) and
 * that each descriptor's loader builds the adapter it names.
 */
import { describe, expect, it } from 'vitest';
import type { ModelConfig } from '../../gateway/config/config-schema.js';
import {
  adapterDescriptors,
  adapterNames,
  adapterPcmRateHz,
  findAdapter,
  isRealtimeAdapter,
  localAsrAdapterNames,
  realtimeAdapterNames,
} from '../../gateway/models/adapters.js';
import { createModel, createRealtimeModel } from '../../gateway/models/create-model.js';
import { audioDecodeRateFor } from '../../gateway/runner/build-request.js';

const cfg = (adapter: string, extra: Partial<ModelConfig> = {}): ModelConfig => ({
  id: `m-${adapter}`,
  adapter,
  kind: 'generalist',
  model: 'some-model',
  options: {},
  ...extra,
});

describe('adapter descriptors', () => {
  it('list every built-in adapter once, with the aliases that were accepted before', () => {
    expect(adapterNames).toEqual(['openai-chat', 'openai-realtime', 'anthropic', 'gemini', 'ppocr', 'onnx-ctc', 'whisper-onnx', 'pocketsphinx', 'predictions']);
    expect(findAdapter('anthropic-messages')?.name).toBe('anthropic');
    expect(findAdapter('gemini-generate')?.name).toBe('gemini');
    expect(findAdapter('predictions-replay')?.name).toBe('predictions');
    expect(findAdapter('nope')).toBeUndefined();
  });

  it('mark only openai-realtime as realtime, and give it a realtime loader', () => {
    expect(realtimeAdapterNames).toEqual(['openai-realtime']);
    expect(isRealtimeAdapter('openai-realtime')).toBe(true);
    expect(isRealtimeAdapter('openai-chat')).toBe(false);
    expect(isRealtimeAdapter('unknown')).toBe(false);
    for (const d of adapterDescriptors) expect(typeof d.loadRealtime === 'function').toBe(d.realtime);
  });

  it('give the PCM rates the runner decodes at (24 kHz realtime, 16 kHz local ASR, none for file-bytes adapters)', () => {
    expect(Object.fromEntries(adapterDescriptors.filter((d) => d.pcmRateHz !== undefined).map((d) => [d.name, d.pcmRateHz]))).toEqual({
      'openai-realtime': 24_000,
      'onnx-ctc': 16_000,
      'whisper-onnx': 16_000,
      pocketsphinx: 16_000,
    });
    expect(adapterPcmRateHz('openai-chat')).toBeUndefined();
    expect(audioDecodeRateFor({ adapter: 'openai-realtime', kind: 'generalist' }, 'asr')).toBe(24_000);
    expect(audioDecodeRateFor({ adapter: 'pocketsphinx', kind: 'specialist' }, 'ocr')).toBe(16_000);
    expect(audioDecodeRateFor({ adapter: 'openai-chat', kind: 'generalist' }, 'asr')).toBeUndefined();
  });

  it('name the local ASR engine `evalgate transcribe` runs for exactly the three local speech experts', () => {
    expect([...localAsrAdapterNames].sort()).toEqual(['onnx-ctc', 'pocketsphinx', 'whisper-onnx']);
    for (const name of localAsrAdapterNames) expect(findAdapter(name)?.asrEngine).toBe(name);
    expect(findAdapter('ppocr')?.asrEngine).toBeUndefined();
    expect(findAdapter('openai-realtime')?.asrEngine).toBeUndefined();
  });

  it('load the adapter they name (remote adapters and PP-OCR build without I/O)', async () => {
    for (const name of ['openai-chat', 'openai-realtime', 'anthropic', 'gemini', 'ppocr']) {
      const d = findAdapter(name)!;
      const model = await createModel(cfg(name));
      expect(model.adapter).toBe(d.name);
      expect(model.capabilities.realtime).toBe(d.realtime);
    }
    // An alias loads the canonical adapter.
    expect((await createModel(cfg('gemini-generate'))).adapter).toBe('gemini');
    expect((await createRealtimeModel(cfg('openai-realtime'))).adapter).toBe('openai-realtime');
    await expect(createRealtimeModel(cfg('openai-chat'))).rejects.toMatchObject({
      code: 'EVALGATE_ERR_CONFIG_INVALID',
      message: expect.stringContaining('openai-realtime'),
    });
    await expect(createModel(cfg('nope'))).rejects.toMatchObject({
      code: 'EVALGATE_ERR_CONFIG_INVALID',
      message: expect.stringContaining('known adapters: openai-chat'),
    });
  });
});
