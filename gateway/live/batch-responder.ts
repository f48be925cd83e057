import type { ModelInputPart, ModelRequest, ModelV1 } from '../models/spec/model-v1.js';
import { concatPcm16, pcm16ToFloat32, pcm16Wav } from './audio-format.js';
import type { Responder, ResponderAnswer, ResponderTurn } from './responder.js';
import { runBatchResponse } from './run-batch-response.js';

/** The request a batch model gets for a turn: its audio as one WAV part, then its other parts. */
export function batchRequest(turn: ResponderTurn): Omit<ModelRequest, 'signal'> {
  const parts: ModelInputPart[] = [];
  if (turn.audioSamples > 0) {
    const rate = turn.sampleRateHz;
    const chunks = turn.audio;
    const total = turn.audioSamples;
    let samples: Float32Array | undefined;
    parts.push({
      type: 'audio',
      data: pcm16Wav(chunks, total, rate),
      mimeType: 'audio/wav',
      // Decoded only for adapters that read them (local specialists); HTTP adapters send the WAV.
      get samples(): Float32Array {
        return (samples ??= pcm16ToFloat32(concatPcm16(chunks, total)));
      },
      sampleRateHz: rate,
      durationS: total / rate,
    });
  }
  parts.push(...turn.parts);
  return { parts, ...(turn.system ? { system: turn.system } : {}) };
}

/**
 * A request/response model behind a live session (the batch + VAD →
 * streaming composition): one request per turn; audio reaches it only inside
 * the turn.
 */
export class BatchResponder implements Responder {
  readonly #model: ModelV1;

  constructor(model: ModelV1) {
    this.#model = model;
  }

  setInputFormat(): void {
    // Each turn carries its own rate.
  }

  appendAudio(): void {
    // The model hears the audio with the turn it belongs to.
  }

  clearAudio(): void {
    // Nothing was sent anywhere.
  }

  async respond(turn: ResponderTurn, signal: AbortSignal, onDelta: (delta: string) => void): Promise<ResponderAnswer> {
    return runBatchResponse(this.#model, batchRequest(turn), signal, onDelta);
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}
