import { join } from 'node:path';
import type { ModelConfig } from '../config/config-schema.js';
import { EvalgateError } from '../errors.js';
import type { ModelV1 } from '../models/spec/model-v1.js';
import type { DuplexUpstream } from './converse-scenario.js';
import type { DuplexHearing, WordTimer } from './hear-recording.js';

/** What a duplex run plays to and listens with. */
export interface DuplexSettings {
  /** The realtime upstream under test. */
  readonly upstream: DuplexUpstream;
  /** The expert, the VAD and where recordings go. */
  readonly hearing: DuplexHearing;
  /** How long to wait after a scenario's audio for the model to finish, s. */
  readonly tailS?: number;
}

/** ASR adapters that give word timings. */
const timedExperts = ['pocketsphinx', 'onnx-ctc'];

/**
 * Refuses, before anything is created or sent, a duplex run the scenarios
 * cannot measure: the model must be a realtime upstream answering in speech
 * with its own turn detection (the scenarios test when it speaks), and the
 * expert must give word timings.
 */
export function assertDuplexReady(model: ModelConfig, asr: ModelConfig | undefined): void {
  const bad = (detail: string): EvalgateError => new EvalgateError('EVALGATE_ERR_BAD_INPUT', { detail });
  if (model.adapter !== 'openai-realtime') {
    throw bad(`duplex scenarios are played live to a realtime upstream; ${model.id} uses adapter ${model.adapter} (use openai-realtime)`);
  }
  if (model.options.outputModality !== 'audio') throw bad(`${model.id} must answer in speech for duplex scenarios: set options.outputModality "audio"`);
  const td = model.options.turnDetection;
  if (td !== 'server_vad' && td !== 'semantic_vad') {
    throw bad(
      `${model.id} must decide when to speak for duplex scenarios: set options.turnDetection "server_vad" or "semantic_vad" (it is ${JSON.stringify(td ?? 'none')})`,
    );
  }
  if (asr && !timedExperts.includes(asr.adapter)) {
    throw bad(`--asr-model ${asr.id} (adapter ${asr.adapter}) gives no word timings; duplex scenarios need pocketsphinx or an ONNX CTC export`);
  }
}

function hasWordTimer(m: ModelV1): m is ModelV1 & WordTimer {
  return typeof (m as Partial<WordTimer>).transcribeWords === 'function';
}

/** The settings of a duplex run from its loaded model and expert. */
export function duplexSettings(model: ModelV1, asr: ModelV1, cacheDir: string): DuplexSettings {
  const upstream = (model as { realtime?: DuplexUpstream }).realtime;
  if (!upstream) throw new EvalgateError('EVALGATE_ERR_BAD_INPUT', { detail: `${model.modelName} (${model.adapter}) is not a realtime upstream` });
  if (!hasWordTimer(asr)) throw new EvalgateError('EVALGATE_ERR_BAD_INPUT', { detail: `${asr.adapter} gives no word timings` });
  return {
    upstream,
    hearing: {
      asr,
      vad: async () => {
        const { createSileroVad } = await import('../../experts/vad/silero-vad-segmenter.js');
        return createSileroVad();
      },
      mediaDir: join(cacheDir, 'duplex'),
    },
  };
}
