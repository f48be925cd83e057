import { join } from 'node:path';
import type { ModelConfig } from '../config/config-schema.js';
import { EvalgateError } from '../errors.js';
import type { ModelV1 } from '../models/spec/model-v1.js';
import type { DuplexUpstream } from './converse-scenario.js';
import type { DuplexHearing, WordTimer } from './hear-recording.js';

/**
 * How scenarios are played and heard, recorded in each duplex run's config (so
 * in its identity): another pacing, tail, playback model or VAD is another run.
 */
export const duplexPlayback = 'client-playback@1 chunk=20ms tail<=10s quiet=4s vad=silero-v5(0.5,250ms,100ms,30ms)';

/** What a duplex run plays to and listens with. */
export interface DuplexSettings {
  /** The realtime upstream under test. */
  readonly upstream: DuplexUpstream;
  /** The expert, the VAD and where recordings go. */
  readonly hearing: DuplexHearing;
  /** How long to wait after a scenario's audio for the model to finish, s. */
  readonly tailS?: number;
  /** The session's instructions (the run's system prompt). */
  readonly instructions?: string;
}

/** ASR adapters that give word timings. */
const timedExperts = ['pocketsphinx', 'onnx-ctc'];

/**
 * Refuses, before anything is created or sent, a duplex run the scenarios
 * cannot measure: the model must be a realtime upstream answering in speech
 * with its own turn detection (the scenarios test when it speaks), and the
 * expert must give word timings.
 */
export function assertDuplexReady(model: ModelConfig, asr: ModelConfig | null): void {
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
  if (asr === null) throw bad(`duplex scenarios are heard by a local ASR expert giving word timings: pass --asr-model ID (pocketsphinx or an ONNX CTC export)`);
  if (!timedExperts.includes(asr.adapter)) {
    throw bad(`--asr-model ${asr.id} (adapter ${asr.adapter}) gives no word timings; duplex scenarios need pocketsphinx or an ONNX CTC export`);
  }
}

function hasWordTimer(m: ModelV1): m is ModelV1 & WordTimer {
  return typeof (m as Partial<WordTimer>).transcribeWords === 'function';
}

/**
 * The settings of a duplex run from its loaded model and expert, with the
 * expert and the VAD opened once on a short silence: a missing binary or
 * model file refuses the run here, not after each scenario was played.
 */
export async function openDuplex(model: ModelV1, asr: ModelV1, cacheDir: string, instructions: string | undefined): Promise<DuplexSettings> {
  const settings = duplexSettings(model, asr, cacheDir, instructions);
  const silence = new Float32Array(8000);
  try {
    await settings.hearing.asr.transcribeWords(silence, 16_000);
    await (await settings.hearing.vad()).flush();
  } catch (err) {
    throw new EvalgateError('EVALGATE_ERR_BAD_INPUT', { detail: `the duplex listeners could not start: ${(err as Error).message}` }, { cause: err });
  }
  return settings;
}

/** The settings of a duplex run from its loaded model and expert. */
function duplexSettings(model: ModelV1, asr: ModelV1, cacheDir: string, instructions?: string): DuplexSettings {
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
    ...(instructions !== undefined ? { instructions } : {}),
  };
}
