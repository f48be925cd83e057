import type { AdapterDescriptor } from '../adapter-descriptor.js';

/** Whisper on ONNX Runtime; its log-mel front end takes 16 kHz mono. */
export const whisperOnnxDescriptor: AdapterDescriptor = {
  name: 'whisper-onnx',
  realtime: false,
  tasks: ['asr'],
  pcmRateHz: 16_000,
  asrEngine: 'whisper-onnx',
  load: async (c) => (await import('./whisper-onnx-model.js')).createWhisperOnnxModel(c),
};
