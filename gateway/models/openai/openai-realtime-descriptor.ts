import type { AdapterDescriptor } from '../adapter-descriptor.js';

/** OpenAI Realtime over WebSocket; the upstream takes 24 kHz PCM16. */
export const openAiRealtimeDescriptor: AdapterDescriptor = {
  name: 'openai-realtime',
  realtime: true,
  pcmRateHz: 24_000,
  load: async (c, d) => (await import('./openai-realtime.js')).createOpenAiRealtimeBatchModel(c, d),
  loadRealtime: async (c, d) => (await import('./openai-realtime.js')).createOpenAiRealtimeModel(c, d),
};
