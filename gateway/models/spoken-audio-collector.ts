import type { SpokenAudio } from './spec/model-v1.js';

/**
 * Gathers a spoken answer as its chunks arrive (chat-completions audio
 * deltas, realtime `response.audio.delta` / `response.output_audio.delta`,
 * Gemini audio parts): the bytes, each chunk's arrival time, and the model's
 * own transcript pieces. Adapters own one per answer.
 */
export class SpokenAudioCollector {
  readonly #mimeType: string;
  readonly #sampleRateHz?: number;
  readonly #parts: Uint8Array[] = [];
  readonly #chunks: { byteOffset: number; arrivedMs: number }[] = [];
  #bytes = 0;
  #transcript: string | undefined;

  constructor(mimeType: string, sampleRateHz?: number) {
    this.#mimeType = mimeType;
    this.#sampleRateHz = sampleRateHz;
  }

  /** One chunk of audio, `arrivedMs` after the request was sent. Empty chunks are ignored. */
  add(data: Uint8Array, arrivedMs: number): void {
    if (data.byteLength === 0) return;
    this.#chunks.push({ byteOffset: this.#bytes, arrivedMs });
    this.#parts.push(data);
    this.#bytes += data.byteLength;
  }

  /** A piece of the model's own transcript (appended). */
  addTranscript(piece: string): void {
    this.#transcript = (this.#transcript ?? '') + piece;
  }

  /** The spoken answer, or undefined when no audio byte came. */
  result(): SpokenAudio | undefined {
    if (this.#bytes === 0) return undefined;
    return {
      data: Buffer.concat(this.#parts, this.#bytes),
      mimeType: this.#mimeType,
      ...(this.#sampleRateHz !== undefined ? { sampleRateHz: this.#sampleRateHz } : {}),
      chunks: [...this.#chunks],
      ...(this.#transcript !== undefined ? { selfTranscript: this.#transcript } : {}),
    };
  }
}
