import type { ModelConfig } from '../../config/config-schema.js';
import type { ModelV1 } from '../spec/model-v1.js';
import { LocalAsrModel } from './local-asr-model.js';

/** The `onnx-ctc` local ASR expert (scorers/asr), behind the model contract; see LocalAsrModel. */
export function createOnnxCtcModel(config: ModelConfig): ModelV1 {
  return new LocalAsrModel('onnx-ctc', config);
}
