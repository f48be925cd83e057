import { join } from 'node:path';
import type { EvalgateConfig, ModelConfig } from '../config/config-schema.js';
import { requireModelConfig } from '../config/find-model-config.js';
import { EvalgateError } from '../errors.js';
import { findAdapter } from '../models/adapters.js';
import { answersInSpeech } from '../models/answers-in-speech.js';
import type { ModelV1 } from '../models/spec/model-v1.js';

// A live session whose model answers in speech is scored from that speech
// (issue 17, docs/spoken-answers.md): each reply's audio is stored as FLAC with
// the session and transcribed by a local ASR expert named when the session
// opens (`asr_model` query parameter); the expert's transcript is the turn's
// answer, the model's own transcript is kept only for text–speech WER.

/** The query parameter that names a live session's ASR expert. */
export const asrModelParam = 'asr_model';

/** Who hears a spoken session's replies, and where their audio goes. */
export interface LiveHearing {
  /** Configured id of the expert. */
  readonly asrModelId: string;
  /** The local ASR expert (pocketsphinx, ONNX CTC, Whisper ONNX). */
  readonly asr: ModelV1;
  /** Folder of the spoken-answers media of live sessions; each session gets a subfolder. */
  readonly mediaDir: string;
}

/**
 * The ASR expert a session needs, checked before anything is opened: a model
 * answering in speech needs one, a model answering in text must not be given
 * one, and the expert must be a local ASR model. Undefined for a text model
 * without one.
 */
export function liveSpeechExpertFor(config: EvalgateConfig, model: ModelConfig, asrModelId: string | undefined): ModelConfig | undefined {
  const speaks = answersInSpeech(model);
  if (!speaks && asrModelId === undefined) return undefined;
  if (!speaks) {
    throw new EvalgateError('EVALGATE_ERR_BAD_INPUT', {
      detail: `${asrModelParam} is for models that answer in speech; ${model.id} answers in text`,
      param: asrModelParam,
    });
  }
  if (asrModelId === undefined) throw speechNeedsExpert(model.id);
  const asr = requireModelConfig(config, asrModelId);
  if (!findAdapter(asr.adapter)?.tasks?.includes('asr')) {
    throw new EvalgateError('EVALGATE_ERR_BAD_INPUT', {
      detail: `${asrModelParam}=${asr.id} (adapter ${asr.adapter}) is not a local ASR expert`,
      param: asrModelParam,
    });
  }
  return asr;
}

/** The refusal of a spoken model without an expert: it would be scored on its own transcript, which is never the answer. */
export function speechNeedsExpert(modelId: string): EvalgateError {
  return new EvalgateError('EVALGATE_ERR_BAD_INPUT', {
    detail: `model ${modelId} answers in speech: connect with ?${asrModelParam}=<id> naming a configured local ASR expert (pocketsphinx, ONNX CTC or Whisper ONNX) to transcribe its replies; its own transcript is never scored`,
    param: asrModelParam,
  });
}

/** Where live sessions store their replies' audio: `<cacheDir>/spoken-answers/sessions/<session id>/`. */
export function liveSpokenMediaDir(config: EvalgateConfig): string {
  return join(config.cacheDir, 'spoken-answers', 'sessions');
}
