/**
 * A pure RIFF/WAVE parser and a 16-bit PCM writer. The CLI decodes real media
 * with ffmpeg; this exists so the scorers can read plain WAV bytes without a
 * subprocess and so pocketsphinx (which only reads WAV) can be fed.
 */

/** Decoded WAV audio, down-mixed to mono. */
export interface WavAudio {
  /** Mono samples in [-1, 1]. */
  readonly samples: Float32Array;
  /** Sample rate of `samples`. */
  readonly sampleRateHz: number;
  /** Channel count of the file before down-mixing. */
  readonly channels: number;
  /** Duration of the audio in seconds. */
  readonly durationS: number;
}

/** Raised for bytes that are not a WAV file this parser understands. */
export class WavFormatError extends Error {
  constructor(detail: string) {
    super(`Not a supported WAV file: ${detail}. Supported: PCM 8/16/24/32-bit integer or 32/64-bit float.`);
    this.name = 'WavFormatError';
  }
}

const FORMAT_PCM = 1;
const FORMAT_FLOAT = 3;
const FORMAT_EXTENSIBLE = 0xfffe;

/** Parses a WAV file (PCM integer or IEEE float, any channel count) into mono float samples. */
export function parseWav(bytes: Uint8Array): WavAudio {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  // subarray clamps at the end, so a truncated tag reads short and matches nothing.
  const tag = (off: number): string => String.fromCharCode(...bytes.subarray(off, off + 4));
  if (bytes.byteLength < 12 || tag(0) !== 'RIFF' || tag(8) !== 'WAVE') throw new WavFormatError('missing RIFF/WAVE header');
  let format = -1;
  let channels = 0;
  let sampleRateHz = 0;
  let bitsPerSample = 0;
  let dataOffset = -1;
  let dataLength = 0;
  let off = 12;
  while (off + 8 <= bytes.byteLength) {
    const id = tag(off);
    const size = view.getUint32(off + 4, true);
    const body = off + 8;
    if (id === 'fmt ') {
      format = view.getUint16(body, true);
      channels = view.getUint16(body + 2, true);
      sampleRateHz = view.getUint32(body + 4, true);
      bitsPerSample = view.getUint16(body + 14, true);
      // WAVE_FORMAT_EXTENSIBLE carries the real format in its sub-format GUID.
      if (format === FORMAT_EXTENSIBLE && size >= 26) format = view.getUint16(body + 24, true);
    } else if (id === 'data') {
      dataOffset = body;
      // Streams written before their length was known say 0 or 0xffffffff.
      dataLength = size === 0 || size === 0xffffffff ? bytes.byteLength - body : Math.min(size, bytes.byteLength - body);
      break;
    }
    off = body + size + (size % 2);
  }
  if (format < 0) throw new WavFormatError('no fmt chunk');
  if (dataOffset < 0) throw new WavFormatError('no data chunk');
  if (channels < 1 || sampleRateHz < 1) throw new WavFormatError(`bad fmt chunk (channels=${channels}, rate=${sampleRateHz})`);
  const bytesPerSample = bitsPerSample / 8;
  const read = sampleReader(view, format, bitsPerSample);
  const frames = Math.floor(dataLength / (bytesPerSample * channels));
  const samples = new Float32Array(frames);
  for (let i = 0; i < frames; i++) {
    let acc = 0;
    const base = dataOffset + i * bytesPerSample * channels;
    for (let c = 0; c < channels; c++) acc += read(base + c * bytesPerSample);
    samples[i] = acc / channels;
  }
  return { samples, sampleRateHz, channels, durationS: frames / sampleRateHz };
}

function sampleReader(view: DataView, format: number, bits: number): (off: number) => number {
  if (format === FORMAT_PCM) {
    if (bits === 8) return (o) => (view.getUint8(o) - 128) / 128;
    if (bits === 16) return (o) => view.getInt16(o, true) / 32768;
    if (bits === 24) return (o) => (view.getUint8(o) | (view.getUint8(o + 1) << 8) | (view.getInt8(o + 2) << 16)) / 8388608;
    if (bits === 32) return (o) => view.getInt32(o, true) / 2147483648;
  }
  if (format === FORMAT_FLOAT) {
    if (bits === 32) return (o) => view.getFloat32(o, true);
    if (bits === 64) return (o) => view.getFloat64(o, true);
  }
  throw new WavFormatError(`format ${format} with ${bits} bits per sample`);
}

/** Encodes mono samples in [-1, 1] as a 16-bit PCM WAV file (values outside are clipped). */
export function encodeWav16(samples: Float32Array, sampleRateHz: number): Uint8Array {
  const out = new Uint8Array(44 + samples.length * 2);
  const view = new DataView(out.buffer);
  const writeTag = (o: number, s: string): void => {
    for (let i = 0; i < 4; i++) out[o + i] = s.charCodeAt(i);
  };
  writeTag(0, 'RIFF');
  view.setUint32(4, 36 + samples.length * 2, true);
  writeTag(8, 'WAVE');
  writeTag(12, 'fmt ');
  view.setUint32(16, 16, true);
  view.setUint16(20, FORMAT_PCM, true);
  view.setUint16(22, 1, true);
  view.setUint32(24, sampleRateHz, true);
  view.setUint32(28, sampleRateHz * 2, true);
  view.setUint16(32, 2, true);
  view.setUint16(34, 16, true);
  writeTag(36, 'data');
  view.setUint32(40, samples.length * 2, true);
  for (let i = 0; i < samples.length; i++) {
    // The inverse of the parser's /32768, so 16-bit audio round-trips exactly.
    view.setInt16(44 + i * 2, Math.max(-32768, Math.min(32767, Math.round(samples[i]! * 32768))), true);
  }
  return out;
}
