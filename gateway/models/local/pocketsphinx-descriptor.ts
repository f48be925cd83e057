import type { AdapterDescriptor } from '../adapter-descriptor.js';

/** Debian's pocketsphinx_continuous; the en-us acoustic model is 16 kHz. */
export const pocketsphinxDescriptor: AdapterDescriptor = {
  name: 'pocketsphinx',
  realtime: false,
  tasks: ['asr'],
  pcmRateHz: 16_000,
  asrEngine: 'pocketsphinx',
  load: async (c) => (await import('./pocketsphinx-model.js')).createPocketsphinxModel(c),
};
