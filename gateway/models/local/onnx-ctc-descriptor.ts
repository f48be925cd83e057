import type { AdapterDescriptor } from '../adapter-descriptor.js';

/** CTC ASR models on ONNX Runtime; their front end takes 16 kHz mono. */
export const onnxCtcDescriptor: AdapterDescriptor = {
  name: 'onnx-ctc',
  realtime: false,
  tasks: ['asr'],
  pcmRateHz: 16_000,
  asrEngine: 'onnx-ctc',
  load: async (c) => (await import('./onnx-ctc-model.js')).createOnnxCtcModel(c),
};
