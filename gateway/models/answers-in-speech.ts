import type { ModelConfig } from '../config/config-schema.js';

/**
 * Whether a configured model is asked to answer in speech: openai-chat and
 * gemini with `options.outputAudio`, openai-realtime with `options.outputModality:
 * "audio"`. Such a model's answers are scored from their audio, so a run
 * needs a local ASR expert to hear them (`--asr-model`).
 */
export function answersInSpeech(model: ModelConfig): boolean {
  if (model.adapter === 'openai-chat') return model.options.outputAudio !== undefined;
  if (model.adapter === 'openai-realtime') return model.options.outputModality === 'audio';
  if (model.adapter === 'gemini') return model.options.outputAudio !== undefined;
  return false;
}
