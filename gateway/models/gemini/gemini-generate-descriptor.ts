import type { AdapterDescriptor } from '../adapter-descriptor.js';

/** Gemini generateContent; takes audio files inline, so no PCM rate. */
export const geminiGenerateDescriptor: AdapterDescriptor = {
  name: 'gemini',
  aliases: ['gemini-generate'],
  realtime: false,
  load: async (c, d) => (await import('./gemini-generate.js')).createGeminiGenerateModel(c, d),
};
