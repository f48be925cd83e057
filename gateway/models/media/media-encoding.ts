import { readFile } from 'node:fs/promises';
import { parseWav, encodeWav16 } from '../../../experts/audio-features/wav-file.js';
import { resample } from '../../../experts/audio-features/streaming-resampler.js';
import { EvalgateError } from '../../errors.js';
import type { ModelInputPart } from '../spec/model-v1.js';

/** An audio input part. */
export type AudioPart = Extract<ModelInputPart, { type: 'audio' }>;
/** An image input part. */
export type ImagePart = Extract<ModelInputPart, { type: 'image' }>;
/** A video input part. */
export type VideoPart = Extract<ModelInputPart, { type: 'video' }>;

/** Standard base64 (no data: prefix) of some bytes. */
export function toBase64(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
}

/** A `data:` URL for some bytes. */
export function dataUrl(mimeType: string, bytes: Uint8Array): string {
  return `data:${mimeType};base64,${toBase64(bytes)}`;
}

function isWavMime(mimeType: string): boolean {
  return /^audio\/(x-)?wav(e)?$|^audio\/vnd\.wave$/i.test(mimeType);
}

/**
 * The part as WAV bytes: the original bytes when they already are WAV,
 * otherwise 16-bit PCM encoded from the decoded samples. Providers that take
 * `format: "wav"` reject anything else, so a part with neither fails here.
 */
export function audioAsWav(part: AudioPart): Uint8Array {
  if (isWavMime(part.mimeType)) return part.data;
  if (part.samples && part.sampleRateHz) return encodeWav16(part.samples, part.sampleRateHz);
  throw new EvalgateError('EVALGATE_ERR_BAD_INPUT', {
    detail: `audio part is ${part.mimeType} without decoded samples; decode it to WAV (the runner does this with ffmpeg)`,
  });
}

/** Mono float samples of the part, decoding WAV bytes when the runner did not decode them. */
export function audioSamples(part: AudioPart): { readonly samples: Float32Array; readonly sampleRateHz: number } {
  if (part.samples && part.sampleRateHz) return { samples: part.samples, sampleRateHz: part.sampleRateHz };
  if (isWavMime(part.mimeType)) {
    const wav = parseWav(part.data);
    return { samples: wav.samples, sampleRateHz: wav.sampleRateHz };
  }
  throw new EvalgateError('EVALGATE_ERR_BAD_INPUT', {
    detail: `audio part is ${part.mimeType} without decoded samples; only WAV bytes can be decoded without ffmpeg`,
  });
}

/** Float samples in [-1, 1] to little-endian PCM16 (clipped). */
export function floatToPcm16(samples: Float32Array): Int16Array {
  const out = new Int16Array(samples.length);
  for (let i = 0; i < samples.length; i++) {
    const v = Math.max(-1, Math.min(1, samples[i]!));
    out[i] = Math.round(v < 0 ? v * 32768 : v * 32767);
  }
  return out;
}

/** The part as PCM16 at `targetRateHz` (resampled with the scorers' windowed-sinc resampler). */
export function audioAsPcm16(part: AudioPart, targetRateHz: number): Int16Array {
  const { samples, sampleRateHz } = audioSamples(part);
  return floatToPcm16(resample(samples, sampleRateHz, targetRateHz));
}

/** Little-endian bytes of PCM16 samples, for base64 on the wire. */
export function pcm16Bytes(pcm: Int16Array): Uint8Array {
  // Int16Array is platform-endian; every platform Node 20 supports is little-endian, as the wire format is.
  return new Uint8Array(pcm.buffer, pcm.byteOffset, pcm.byteLength);
}

/** Reads a video part's file (for inline/base64 transports). */
export async function readVideo(part: VideoPart, signal?: AbortSignal): Promise<Uint8Array> {
  try {
    return await readFile(part.path, { signal });
  } catch (err) {
    if (signal?.aborted) throw err;
    throw new EvalgateError('EVALGATE_ERR_MEDIA_NOT_FOUND', { path: part.path }, { cause: err });
  }
}

/** Formats a frame timestamp the way prompts show it (`12.5s`). */
export function formatSeconds(s: number): string {
  return `${Number(s.toFixed(2))}s`;
}

/**
 * The sentence that tells a model which timestamps its frames come from, or
 * undefined when no image carries one (plain multi-image input).
 */
export function frameTimestampsText(images: readonly ImagePart[]): string | undefined {
  const stamps = images.map((p) => p.timestampS);
  if (stamps.every((t) => t === undefined)) return undefined;
  const list = stamps.map((t) => (t === undefined ? '?' : formatSeconds(t))).join(', ');
  return `The following ${images.length} frames were sampled from the video at ${list}.`;
}
