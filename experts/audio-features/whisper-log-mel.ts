import { Fft } from './fft.js';
import { slaneyMelFilterbank, type MelFilterbank } from './mel-filterbank.js';

/**
 * Whisper's log-mel front end (openai/whisper `audio.py`, and HF
 * WhisperFeatureExtractor): 16 kHz, 400-point periodic Hann STFT with a
 * 160-sample hop, centred with reflection, power spectrum, Slaney mel,
 * log10 clamped at 1e-10, floored 8 below the maximum, then (x + 4) / 4.
 * One call covers one 30-second window: shorter input is zero-padded to 30 s,
 * as the feature extractor does, so the output is always nMels × 3000.
 */

/** Samples in one Whisper window (30 s at 16 kHz). */
export const WHISPER_WINDOW_SAMPLES = 480_000;
/** Frames in one Whisper window. */
export const WHISPER_WINDOW_FRAMES = 3000;
const N_FFT = 400;
const HOP = 160;

const banks = new Map<number, MelFilterbank>();
let hann: Float64Array | undefined;

/** Log-mel features of up to 30 s of 16-kHz audio, row-major [nMels × 3000]. */
export function whisperLogMel(samples: Float32Array, nMels: 80 | 128 = 80): Float32Array {
  if (samples.length > WHISPER_WINDOW_SAMPLES) throw new RangeError('whisperLogMel takes at most 30 s; split longer audio into windows');
  let bank = banks.get(nMels);
  if (!bank) {
    bank = slaneyMelFilterbank({ sampleRateHz: 16000, nFft: N_FFT, nMels, lowFreqHz: 0, highFreqHz: 8000 });
    banks.set(nMels, bank);
  }
  if (!hann) {
    hann = new Float64Array(N_FFT);
    for (let i = 0; i < N_FFT; i++) hann[i] = 0.5 - 0.5 * Math.cos((2 * Math.PI * i) / N_FFT);
  }
  const n = WHISPER_WINDOW_SAMPLES;
  const padded = new Float32Array(n);
  padded.set(samples);
  const fft = new Fft(N_FFT);
  const scratch = fft.createScratch();
  const frame = new Float64Array(N_FFT);
  const power = new Float64Array(N_FFT / 2 + 1);
  const out = new Float32Array(nMels * WHISPER_WINDOW_FRAMES);
  let max = -Infinity;
  // The STFT has 3001 frames; Whisper drops the last one.
  for (let t = 0; t < WHISPER_WINDOW_FRAMES; t++) {
    const start = t * HOP - N_FFT / 2;
    for (let i = 0; i < N_FFT; i++) {
      let j = start + i;
      if (j < 0) j = -j;
      else if (j >= n) j = 2 * (n - 1) - j;
      frame[i] = padded[j]! * hann[i]!;
    }
    fft.powerSpectrum(frame, power, scratch);
    for (let m = 0; m < nMels; m++) {
      const [lo, hi] = bank.ranges[m]!;
      let e = 0;
      for (let k = lo; k < hi; k++) e += bank.weights[m * bank.nBins + k]! * power[k]!;
      const v = Math.log10(Math.max(e, 1e-10));
      out[m * WHISPER_WINDOW_FRAMES + t] = v;
      if (v > max) max = v;
    }
  }
  const floor = max - 8;
  for (let i = 0; i < out.length; i++) out[i] = (Math.max(out[i]!, floor) + 4) / 4;
  return out;
}
