import { join } from 'node:path';
import type { VadEvent } from '../../experts/vad/silero-vad-segmenter.js';
import { encodeWav16 } from '../../experts/audio-features/wav-file.js';
import { resample } from '../../experts/audio-features/streaming-resampler.js';
import type { DuplexObservation } from '../../scorers/duplex/duplex-observation.js';
import { storeFlac } from '../runner/store-flac.js';
import type { Conversation } from './converse-scenario.js';

// The recorded model channel reduced to what Full-Duplex-Bench's rules read:
// Silero VAD spans (upstream runs silero-vad's get_speech_timestamps with its
// defaults, as createSileroVad does) and the local ASR expert's timed words
// (upstream: CrisperWhisper's `chunks`). The user's audio gets the same VAD.

/** A local ASR expert that gives word timings (pocketsphinx, ONNX CTC). */
export interface WordTimer {
  transcribeWords(
    samples: Float32Array,
    sampleRateHz: number,
    signal?: AbortSignal,
  ): Promise<{ readonly text: string; readonly words: readonly { readonly text: string; readonly startS: number; readonly endS: number }[] }>;
}

/** A speech segmenter over one whole recording. */
export interface SpanFinder {
  push(samples: Float32Array, sampleRateHz: number): Promise<VadEvent[]>;
  flush(): Promise<VadEvent[]>;
}

/** Who listens, and where recordings go. */
export interface DuplexHearing {
  /** The ASR expert giving the model's timed words. */
  readonly asr: WordTimer;
  /** Opens a VAD for one recording. */
  readonly vad: () => Promise<SpanFinder>;
  /** Folder of recordings; each run gets a subfolder. */
  readonly mediaDir: string;
}

const RATE = 16_000;
const ms = (x: number): number => Math.round(x * 1000) / 1000;

/** Speech spans of a whole recording, [start, end] s. */
export async function speechSpans(vad: SpanFinder, samples: Float32Array, rateHz: number): Promise<Array<[number, number]>> {
  const events = [...(await vad.push(samples, rateHz)), ...(await vad.flush())];
  const spans: Array<[number, number]> = [];
  let start: number | undefined;
  for (const e of events) {
    if (e.type === 'speech_start') start = e.timeS;
    else if (start !== undefined) {
      spans.push([ms(start), ms(e.timeS)]);
      start = undefined;
    }
  }
  return spans;
}

function toFloat(pcm: Int16Array): Float32Array {
  const out = new Float32Array(pcm.length);
  for (let i = 0; i < pcm.length; i++) out[i] = pcm[i]! / 32768;
  return out;
}

/** What was heard in one played scenario, and where its recording is stored. */
export interface HeardScenario {
  readonly observation: DuplexObservation;
  /** Silero VAD spans of the user's audio, [start, end] s (kept with the raw response, never with the answer). */
  readonly userSpans: Array<[number, number]>;
  /** The model channel as FLAC (16 kHz mono). */
  readonly mediaPath: string;
}

/**
 * Renders the model's channel (at least as long as the user's audio), stores
 * it as FLAC under `<mediaDir>/<runId>/`, and finds the speech spans and
 * timed words of both sides. Throws when the expert or the VAD fails.
 */
export async function hearRecording(
  conv: Conversation,
  userPcm: Int16Array,
  userRateHz: number,
  hearing: DuplexHearing,
  at: { readonly runId: string; readonly sampleKey: string; readonly signal?: AbortSignal },
): Promise<HeardScenario> {
  const model = resample(toFloat(conv.timeline.render(conv.userSeconds)), conv.timeline.rateHz, RATE);
  const user = resample(toFloat(userPcm), userRateHz, RATE);
  const mediaPath = await storeFlac(encodeWav16(model, RATE), join(hearing.mediaDir, at.runId), at.sampleKey, at.signal);
  const modelSpans = await speechSpans(await hearing.vad(), model, RATE);
  const userSpans = await speechSpans(await hearing.vad(), user, RATE);
  const heard = await hearing.asr.transcribeWords(model, RATE, at.signal);
  const first = conv.timeline.firstAudioS;
  return {
    mediaPath,
    userSpans,
    observation: {
      v: 1,
      recording_s: ms(model.length / RATE),
      model_words: heard.words.map((w) => [w.text, ms(w.startS), ms(w.endS)]),
      model_spans: modelSpans,
      first_audio_s: first === null ? null : ms(first),
      transcript: heard.text,
    },
  };
}
