import type { AdapterDescriptor } from '../adapter-descriptor.js';

/** PP-OCRv4 on ONNX Runtime (images only). */
export const ppocrDescriptor: AdapterDescriptor = {
  name: 'ppocr',
  realtime: false,
  tasks: ['ocr'],
  load: async (c) => (await import('./ppocr-model.js')).createPpocrModel(c),
};
