import { EvalgateError } from '../errors.js';
import { decodeStrictBase64 } from './strict-base64.js';

/** PCM16 mono little-endian audio at one of the accepted rates. */
export interface AudioFormat {
  /** Always `pcm16` (16-bit signed little-endian mono). */
  readonly encoding: 'pcm16';
  /** 24000 (OpenAI Realtime) or 16000 (evalgate extension). */
  readonly sampleRateHz: number;
}

/** Rates a session may use: the Realtime API's 24 kHz and the ASR-native 16 kHz. */
export const acceptedSampleRatesHz: readonly number[] = [24000, 16000];

export const defaultAudioFormat: AudioFormat = Object.freeze({ encoding: 'pcm16', sampleRateHz: 24000 });

/** Checks a requested format, throwing EVALGATE_ERR_WS_BAD_AUDIO for anything else. */
export function checkAudioFormat(encoding: unknown, sampleRateHz: unknown, param: string): AudioFormat {
  if (encoding !== 'pcm16' && encoding !== 'audio/pcm') {
    throw new EvalgateError('EVALGATE_ERR_WS_BAD_AUDIO', {
      detail: `${param}: unsupported audio format ${JSON.stringify(encoding)}; use pcm16 (audio/pcm)`,
    });
  }
  const rate = sampleRateHz ?? 24000;
  if (typeof rate !== 'number' || !acceptedSampleRatesHz.includes(rate)) {
    throw new EvalgateError('EVALGATE_ERR_WS_BAD_AUDIO', {
      detail: `${param}: unsupported sample rate ${JSON.stringify(rate)}; use 24000 or 16000`,
    });
  }
  return { encoding: 'pcm16', sampleRateHz: rate };
}

/** Decodes base64 PCM16 (strict base64, see decodeStrictBase64) without a per-frame copy. */
export function decodeBase64Pcm16(raw: unknown): Int16Array {
  if (typeof raw !== 'string') {
    throw new EvalgateError('EVALGATE_ERR_WS_BAD_AUDIO', { detail: '`audio` must be a base64 string' });
  }
  const bytes = decodeStrictBase64(raw);
  if (!bytes) throw new EvalgateError('EVALGATE_ERR_WS_BAD_AUDIO', { detail: '`audio` is not valid base64' });
  if (bytes.byteLength % 2 !== 0) {
    throw new EvalgateError('EVALGATE_ERR_WS_BAD_AUDIO', { detail: `PCM16 needs an even number of bytes (got ${bytes.byteLength})` });
  }
  // The decoded buffer is ours alone (never reused by Node), so an aligned one is viewed, not copied.
  if (bytes.byteOffset % 2 === 0) return new Int16Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 2);
  return bytesToPcm16(bytes);
}

/** Views little-endian PCM16 bytes as samples (copying when unaligned); odd lengths are bad audio. */
export function bytesToPcm16(bytes: Uint8Array): Int16Array {
  if (bytes.byteLength % 2 !== 0) {
    throw new EvalgateError('EVALGATE_ERR_WS_BAD_AUDIO', { detail: `PCM16 needs an even number of bytes (got ${bytes.byteLength})` });
  }
  const copy = new Uint8Array(bytes.byteLength);
  copy.set(bytes);
  return new Int16Array(copy.buffer, 0, copy.byteLength / 2);
}

/**
 * A 16-bit mono WAV straight from PCM16 chunks: the header, then the samples'
 * bytes copied as they are (Node runs little-endian here, as WAV is).
 */
export function pcm16Wav(chunks: readonly Int16Array[], totalSamples: number, sampleRateHz: number): Uint8Array {
  const dataBytes = totalSamples * 2;
  const out = new Uint8Array(44 + dataBytes);
  const view = new DataView(out.buffer);
  out.set([0x52, 0x49, 0x46, 0x46], 0); // RIFF
  view.setUint32(4, 36 + dataBytes, true);
  out.set([0x57, 0x41, 0x56, 0x45, 0x66, 0x6d, 0x74, 0x20], 8); // WAVEfmt␠
  view.setUint32(16, 16, true);
  view.setUint16(20, 1, true); // PCM
  view.setUint16(22, 1, true);
  view.setUint32(24, sampleRateHz, true);
  view.setUint32(28, sampleRateHz * 2, true);
  view.setUint16(32, 2, true);
  view.setUint16(34, 16, true);
  out.set([0x64, 0x61, 0x74, 0x61], 36); // data
  view.setUint32(40, dataBytes, true);
  let off = 44;
  for (const c of chunks) {
    out.set(new Uint8Array(c.buffer, c.byteOffset, c.byteLength), off);
    off += c.byteLength;
  }
  return out;
}

/** PCM16 → float in [-1, 1). */
export function pcm16ToFloat32(pcm: Int16Array): Float32Array {
  const out = new Float32Array(pcm.length);
  for (let i = 0; i < pcm.length; i++) out[i] = pcm[i]! / 32768;
  return out;
}

/** Float → PCM16 with clipping. */
export function float32ToPcm16(samples: Float32Array): Int16Array {
  const out = new Int16Array(samples.length);
  for (let i = 0; i < samples.length; i++) {
    const v = Math.max(-1, Math.min(1, samples[i]!));
    out[i] = v < 0 ? Math.round(v * 32768) : Math.round(v * 32767);
  }
  return out;
}

/** Concatenates chunks into one array. */
export function concatPcm16(chunks: readonly Int16Array[], total: number): Int16Array {
  const out = new Int16Array(total);
  let off = 0;
  for (const c of chunks) {
    out.set(c, off);
    off += c.length;
  }
  return out;
}
