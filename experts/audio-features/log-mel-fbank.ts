import { Fft } from './fft.js';
import { kaldiMelFilterbank, slaneyMelFilterbank, type MelFilterbank } from './mel-filterbank.js';

/**
 * Log-mel filterbank features for feature-input CTC models, in the two
 * conventions such exports are trained with:
 * - `kaldi`: kaldi-native-fbank as sherpa-onnx runs it (povey window, DC
 *   removal, pre-emphasis per frame, HTK mel, natural log, 16-bit sample scale);
 * - `nemo`: NeMo's AudioToMelSpectrogramPreprocessor (pre-emphasis over the
 *   signal, centred STFT, Hann window, Slaney mel, log(x + 2⁻²⁴), per-feature
 *   normalisation).
 */

/** Front-end parameters; unspecified fields take the style's defaults. */
export interface FbankOptions {
  /** Which reference front end to reproduce. */
  readonly style: 'kaldi' | 'nemo';
  /** Rate the model expects; input must already be at this rate. */
  readonly sampleRateHz?: number;
  /** Number of mel bins (feature dimension). */
  readonly nMels?: number;
  /** Analysis window length in milliseconds (kaldi 25, nemo 20). */
  readonly frameLengthMs?: number;
  /** Hop in milliseconds (10 for both). */
  readonly frameShiftMs?: number;
  /** FFT size; defaults to the next power of two ≥ the window (512 at 16 kHz). */
  readonly nFft?: number;
  /** Pre-emphasis coefficient (0.97 for both). */
  readonly preemph?: number;
  /** Window shape. */
  readonly window?: 'povey' | 'hann' | 'hamming';
  /** Lowest mel edge (kaldi 20 Hz, nemo 0). */
  readonly lowFreqHz?: number;
  /** Highest mel edge; ≤ 0 means Nyquist minus that many Hz (Kaldi's convention). */
  readonly highFreqHz?: number;
  /** Per-feature mean/variance normalisation over the utterance (nemo default). */
  readonly normalize?: 'none' | 'per_feature';
  /** Kaldi only: frames fully inside the signal (true) or centred with reflection (false; sherpa-onnx). */
  readonly snipEdges?: boolean;
}

/** Features, frames × mels, row-major. */
export interface Fbank {
  /** Row-major [frames × nMels]. */
  readonly data: Float32Array;
  /** Number of frames. */
  readonly frames: number;
  /** Feature dimension. */
  readonly nMels: number;
}

interface Resolved {
  readonly style: 'kaldi' | 'nemo';
  readonly sampleRateHz: number;
  readonly nMels: number;
  readonly winLength: number;
  readonly hop: number;
  readonly nFft: number;
  readonly preemph: number;
  readonly window: Float64Array;
  readonly bank: MelFilterbank;
  readonly normalize: 'none' | 'per_feature';
  readonly snipEdges: boolean;
}

function makeWindow(kind: 'povey' | 'hann' | 'hamming', n: number, periodic: boolean): Float64Array {
  const w = new Float64Array(n);
  const denom = periodic ? n : n - 1;
  for (let i = 0; i < n; i++) {
    const c = Math.cos((2 * Math.PI * i) / denom);
    w[i] = kind === 'hamming' ? 0.54 - 0.46 * c : kind === 'povey' ? Math.pow(0.5 - 0.5 * c, 0.85) : 0.5 - 0.5 * c;
  }
  return w;
}

const resolvedCache = new Map<string, Resolved>();

function resolve(o: FbankOptions): Resolved {
  const key = JSON.stringify(o);
  const hit = resolvedCache.get(key);
  if (hit) return hit;
  const kaldi = o.style === 'kaldi';
  const sampleRateHz = o.sampleRateHz ?? 16000;
  const nMels = o.nMels ?? 80;
  const winLength = Math.round(((o.frameLengthMs ?? (kaldi ? 25 : 20)) * sampleRateHz) / 1000);
  const hop = Math.round(((o.frameShiftMs ?? 10) * sampleRateHz) / 1000);
  const nFft = o.nFft ?? 2 ** Math.ceil(Math.log2(winLength));
  const nyquist = sampleRateHz / 2;
  const high = o.highFreqHz ?? 0;
  const bankOpts = {
    sampleRateHz,
    nFft,
    nMels,
    lowFreqHz: o.lowFreqHz ?? (kaldi ? 20 : 0),
    highFreqHz: high > 0 ? Math.min(high, nyquist) : nyquist + high,
  };
  // NeMo builds its window with periodic=False and centres it inside the FFT frame.
  const win = makeWindow(o.window ?? (kaldi ? 'povey' : 'hann'), winLength, false);
  const window = new Float64Array(kaldi ? winLength : nFft);
  window.set(win, kaldi ? 0 : (nFft - winLength) >> 1);
  const r: Resolved = {
    style: o.style,
    sampleRateHz,
    nMels,
    winLength,
    hop,
    nFft,
    preemph: o.preemph ?? 0.97,
    window,
    bank: kaldi ? kaldiMelFilterbank(bankOpts) : slaneyMelFilterbank(bankOpts),
    normalize: o.normalize ?? (kaldi ? 'none' : 'per_feature'),
    snipEdges: o.snipEdges ?? false,
  };
  resolvedCache.set(key, r);
  return r;
}

/** Number of frames `computeFbank` returns for `numSamples` input samples. */
export function fbankFrameCount(numSamples: number, o: FbankOptions): number {
  const r = resolve(o);
  if (r.style === 'nemo') return Math.floor(numSamples / r.hop) + 1;
  if (r.snipEdges) return numSamples < r.winLength ? 0 : 1 + Math.floor((numSamples - r.winLength) / r.hop);
  return Math.floor((numSamples + (r.hop >> 1)) / r.hop);
}

function reflect(i: number, n: number): number {
  // Kaldi's ExtractWindow mirrors out-of-range indices about the signal edges.
  while (i < 0 || i >= n) i = i < 0 ? -i - 1 : 2 * n - 1 - i;
  return i;
}

/** Computes log-mel features of mono samples already at `sampleRateHz`. */
export function computeFbank(samples: Float32Array, o: FbankOptions): Fbank {
  const r = resolve(o);
  const frames = fbankFrameCount(samples.length, o);
  const { nFft, winLength, hop, nMels, bank } = r;
  const fft = new Fft(nFft);
  const scratch = fft.createScratch();
  const frame = new Float64Array(nFft);
  const power = new Float64Array((nFft >> 1) + 1);
  const data = new Float32Array(frames * nMels);
  const n = samples.length;
  let signal = samples;
  if (r.style === 'nemo' && r.preemph > 0) {
    signal = new Float32Array(n);
    if (n > 0) signal[0] = samples[0]!;
    for (let i = 1; i < n; i++) signal[i] = samples[i]! - r.preemph * samples[i - 1]!;
  }
  const floorLog = r.style === 'kaldi' ? 1.1920928955078125e-7 : 0;
  for (let t = 0; t < frames; t++) {
    frame.fill(0);
    if (r.style === 'kaldi') {
      const start = r.snipEdges ? t * hop : t * hop + (hop >> 1) - (winLength >> 1);
      let mean = 0;
      for (let i = 0; i < winLength; i++) {
        const j = start + i;
        // Kaldi models were trained on 16-bit integer sample values.
        const v = 32768 * signal[j >= 0 && j < n ? j : reflect(j, n)]!;
        frame[i] = v;
        mean += v;
      }
      mean /= winLength;
      for (let i = 0; i < winLength; i++) frame[i]! -= mean;
      for (let i = winLength - 1; i > 0; i--) frame[i]! -= r.preemph * frame[i - 1]!;
      frame[0]! -= r.preemph * frame[0]!;
      for (let i = 0; i < winLength; i++) frame[i]! *= r.window[i]!;
    } else {
      // torch.stft(center=True, pad_mode='constant'): frame t is centred on sample t·hop.
      const start = t * hop - (nFft >> 1);
      for (let i = 0; i < nFft; i++) {
        const j = start + i;
        if (j >= 0 && j < n) frame[i] = signal[j]! * r.window[i]!;
      }
    }
    fft.powerSpectrum(frame, power, scratch);
    for (let m = 0; m < nMels; m++) {
      const [lo, hi] = bank.ranges[m]!;
      let e = 0;
      for (let k = lo; k < hi; k++) e += bank.weights[m * bank.nBins + k]! * power[k]!;
      data[t * nMels + m] = r.style === 'kaldi' ? Math.log(Math.max(e, floorLog)) : Math.log(e + 5.960464477539063e-8);
    }
  }
  if (r.normalize === 'per_feature' && frames > 0) normalizePerFeature(data, frames, nMels);
  return { data, frames, nMels };
}

/** NeMo's normalize_batch(per_feature): (x − mean) / (std + 1e-5), std with N − 1. */
function normalizePerFeature(data: Float32Array, frames: number, nMels: number): void {
  for (let m = 0; m < nMels; m++) {
    let mean = 0;
    for (let t = 0; t < frames; t++) mean += data[t * nMels + m]!;
    mean /= frames;
    let v = 0;
    for (let t = 0; t < frames; t++) v += (data[t * nMels + m]! - mean) ** 2;
    const std = Math.sqrt(v / Math.max(1, frames - 1)) + 1e-5;
    for (let t = 0; t < frames; t++) data[t * nMels + m] = (data[t * nMels + m]! - mean) / std;
  }
}
