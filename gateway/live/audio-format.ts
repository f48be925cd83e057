import { EvalgateError } from '../errors.js';

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

const base64Re = /^[A-Za-z0-9+/]*={0,2}$/;

/** Decodes base64 PCM16; Node's decoder silently skips junk, so the alphabet and length are checked first. */
export function decodeBase64Pcm16(audio: unknown): Int16Array {
  if (typeof audio !== 'string') {
    throw new EvalgateError('EVALGATE_ERR_WS_BAD_AUDIO', { detail: '`audio` must be a base64 string' });
  }
  if (audio.length % 4 !== 0 || !base64Re.test(audio)) {
    throw new EvalgateError('EVALGATE_ERR_WS_BAD_AUDIO', { detail: '`audio` is not valid base64' });
  }
  return bytesToPcm16(Buffer.from(audio, 'base64'));
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
