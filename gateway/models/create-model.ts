import type { ModelConfig } from '../config/config-schema.js';
import { EvalgateError } from '../errors.js';
import type { AdapterDeps } from './adapter-support.js';
import type { ModelV1 } from './spec/model-v1.js';
import type { RealtimeModelV1 } from './spec/realtime-model-v1.js';

/** Dependencies every adapter may take; all optional. */
export type CreateModelDeps = AdapterDeps;

type Loader = (config: ModelConfig, deps: CreateModelDeps) => Promise<ModelV1>;

// Each adapter is imported only when a model uses it, so that listing models
// or running an HTTP model never loads onnxruntime, sharp or ws.
const loaders: Readonly<Record<string, Loader>> = {
  'openai-chat': async (c, d) => (await import('./openai/openai-chat.js')).createOpenAiChatModel(c, d),
  'openai-realtime': async (c, d) => (await import('./openai/openai-realtime.js')).createOpenAiRealtimeBatchModel(c, d),
  anthropic: async (c, d) => (await import('./anthropic/anthropic-messages.js')).createAnthropicMessagesModel(c, d),
  gemini: async (c, d) => (await import('./gemini/gemini-generate.js')).createGeminiGenerateModel(c, d),
ppocr: async (c) => (await import('./local/ppocr-model.js')).createPpocrModel(c),
'onnx-ctc': async (c) => (await import('./local/onnx-ctc-model.js')).createOnnxCtcModel(c),
'whisper-onnx': async (c) => (await import('./local/whisper-onnx-model.js')).createWhisperOnnxModel(c),
pocketsphinx: async (c) => (await import('./local/pocketsphinx-model.js')).createPocketsphinxModel(c),
  predictions: async (c) => (await import('./replay/predictions-model.js')).createPredictionsModel(c),
};

/** Alternative spellings accepted in `adapter` (the file names). */
const aliases: Readonly<Record<string, string>> = {
  'anthropic-messages': 'anthropic',
  'gemini-generate': 'gemini',
  'predictions-replay': 'predictions',
};

/** Adapter names `createModel` understands. */
export const adapterNames: readonly string[] = Object.keys(loaders);

/** Adapter names `createRealtimeModel` understands. */
export const realtimeAdapterNames: readonly string[] = ['openai-realtime'];

function canonical(config: ModelConfig): string {
  const name = aliases[config.adapter] ?? config.adapter;
  if (!Object.hasOwn(loaders, name)) {
    throw new EvalgateError('EVALGATE_ERR_CONFIG_INVALID', {
      source: `model ${config.id}`,
      detail: `unknown adapter "${config.adapter}"; known adapters: ${adapterNames.join(', ')}`,
    });
  }
  return name;
}

/**
 * Builds the adapter a model config names. Options are validated here (a bad
 * option type fails now, naming the field); secrets are not read until a call
 * is made, and local weights load on first use.
 */
export async function createModel(config: ModelConfig, deps: CreateModelDeps = {}): Promise<ModelV1> {
  return loaders[canonical(config)]!(config, deps);
}

/** Builds a realtime (streaming audio in, events out) model for the live gateway. */
export async function createRealtimeModel(config: ModelConfig, deps: CreateModelDeps = {}): Promise<RealtimeModelV1> {
  const name = canonical(config);
  if (!realtimeAdapterNames.includes(name)) {
    throw new EvalgateError('EVALGATE_ERR_CONFIG_INVALID', {
      source: `model ${config.id}`,
      detail: `adapter "${config.adapter}" is not a realtime adapter; realtime adapters: ${realtimeAdapterNames.join(', ')}`,
    });
  }
  const { createOpenAiRealtimeModel } = await import('./openai/openai-realtime.js');
  return createOpenAiRealtimeModel(config, deps);
}
