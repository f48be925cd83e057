import type { AdapterDescriptor } from '../adapter-descriptor.js';

/** OpenAI-compatible chat completions (GPT-4o, vLLM, SGLang); sends file bytes, so no PCM rate. */
export const openAiChatDescriptor: AdapterDescriptor = {
  name: 'openai-chat',
  realtime: false,
  load: async (c, d) => (await import('./openai-chat.js')).createOpenAiChatModel(c, d),
};
