import type { AdapterDescriptor } from '../adapter-descriptor.js';

/** Anthropic Messages API (no audio input). */
export const anthropicMessagesDescriptor: AdapterDescriptor = {
  name: 'anthropic',
  aliases: ['anthropic-messages'],
  realtime: false,
  load: async (c, d) => (await import('./anthropic-messages.js')).createAnthropicMessagesModel(c, d),
};
