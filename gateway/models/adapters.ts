import type { AdapterDescriptor } from './adapter-descriptor.js';
import { anthropicMessagesDescriptor } from './anthropic/anthropic-messages-descriptor.js';
import { geminiGenerateDescriptor } from './gemini/gemini-generate-descriptor.js';
import { onnxCtcDescriptor } from './local/onnx-ctc-descriptor.js';
import { pocketsphinxDescriptor } from './local/pocketsphinx-descriptor.js';
import { ppocrDescriptor } from './local/ppocr-descriptor.js';
import { whisperOnnxDescriptor } from './local/whisper-onnx-descriptor.js';
import { openAiChatDescriptor } from './openai/openai-chat-descriptor.js';
import { openAiRealtimeDescriptor } from './openai/openai-realtime-descriptor.js';
import { predictionsDescriptor } from './replay/predictions-descriptor.js';

/**
 * Every built-in adapter, in the order they are listed to users. The lookups
 * below are derived from this list; add an adapter by adding its descriptor
 * here. Importing this module loads no adapter (the loaders are lazy).
 */
export const adapterDescriptors: readonly AdapterDescriptor[] = Object.freeze([
  openAiChatDescriptor,
  openAiRealtimeDescriptor,
  anthropicMessagesDescriptor,
  geminiGenerateDescriptor,
  ppocrDescriptor,
  onnxCtcDescriptor,
  whisperOnnxDescriptor,
  pocketsphinxDescriptor,
  predictionsDescriptor,
]);

const byName = new Map<string, AdapterDescriptor>();
for (const d of adapterDescriptors) {
  for (const name of [d.name, ...(d.aliases ?? [])]) {
    // Two descriptors claiming one name would make the lookup depend on list order.
    if (byName.has(name)) throw new Error(`adapter name "${name}" is declared twice`);
    byName.set(name, d);
  }
}

/** The descriptor an adapter name (or alias) refers to, or undefined. */
export function findAdapter(name: string): AdapterDescriptor | undefined {
  return byName.get(name);
}

/** Canonical adapter names (aliases excluded). */
export const adapterNames: readonly string[] = Object.freeze(adapterDescriptors.map((d) => d.name));

/** Adapters that can serve the live gateway as realtime upstreams. */
export const realtimeAdapterNames: readonly string[] = Object.freeze(adapterDescriptors.filter((d) => d.realtime).map((d) => d.name));

/** Whether an adapter name (or alias) is a realtime adapter. */
export function isRealtimeAdapter(name: string): boolean {
  return findAdapter(name)?.realtime ?? false;
}

/** Adapters backed by a local speech-recognition engine (`evalgate transcribe` runs these). */
export const localAsrAdapterNames: readonly string[] = Object.freeze(adapterDescriptors.filter((d) => d.asrEngine).map((d) => d.name));

/** The decoded-PCM rate an adapter (or alias) consumes, or undefined when it takes file bytes. */
export function adapterPcmRateHz(name: string): number | undefined {
  return findAdapter(name)?.pcmRateHz;
}
