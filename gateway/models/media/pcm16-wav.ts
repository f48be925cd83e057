import { encodeWav16 } from '../../../experts/audio-features/wav-file.js';

/**
 * Raw 16-bit little-endian mono PCM (spoken answers of realtime upstreams,
 * chat pcm16, Gemini's audio/L16) as a WAV file, so ffmpeg and browsers know
 * its rate. A trailing odd byte is dropped.
 */
export function pcm16AsWav(pcm: Uint8Array, sampleRateHz: number): Uint8Array {
  const view = new DataView(pcm.buffer, pcm.byteOffset, pcm.byteLength - (pcm.byteLength % 2));
  const samples = new Float32Array(view.byteLength / 2);
  for (let i = 0; i < samples.length; i++) samples[i] = view.getInt16(i * 2, true) / 32768;
  return encodeWav16(samples, sampleRateHz);
}
