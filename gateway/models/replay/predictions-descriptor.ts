import type { AdapterDescriptor } from '../adapter-descriptor.js';

/** Replays stored predictions from a JSONL file (no media is read). */
export const predictionsDescriptor: AdapterDescriptor = {
  name: 'predictions',
  aliases: ['predictions-replay'],
  realtime: false,
  load: async (c) => (await import('./predictions-model.js')).createPredictionsModel(c),
};
