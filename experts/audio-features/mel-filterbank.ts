/**
 * Triangular mel filter banks over FFT bins, in the two conventions ASR
 * front ends use: Kaldi's (HTK mel scale, triangles in the mel domain, no
 * area normalisation; used by sherpa-onnx / kaldi-native-fbank) and
 * librosa's Slaney variant with area normalisation (used by Whisper and NeMo).
 */

/** A dense [nMels × nBins] filter matrix, row-major. */
export interface MelFilterbank {
  /** Number of mel filters (rows). */
  readonly nMels: number;
  /** Number of FFT bins (columns) = nFft/2 + 1. */
  readonly nBins: number;
  /** Filter weights, row-major. */
  readonly weights: Float32Array;
  /** For each filter, the first and one-past-last non-zero bin (so products skip zeros). */
  readonly ranges: readonly (readonly [number, number])[];
}

/** Parameters shared by both conventions. */
export interface MelFilterbankOptions {
  /** Sample rate of the analysed audio. */
  readonly sampleRateHz: number;
  /** FFT length. */
  readonly nFft: number;
  /** Number of mel filters. */
  readonly nMels: number;
  /** Lowest filter edge. */
  readonly lowFreqHz: number;
  /** Highest filter edge (≤ Nyquist). */
  readonly highFreqHz: number;
}

function withRanges(nMels: number, nBins: number, weights: Float32Array): MelFilterbank {
  const ranges: [number, number][] = [];
  for (let m = 0; m < nMels; m++) {
    let lo = nBins;
    let hi = 0;
    for (let k = 0; k < nBins; k++) {
      if (weights[m * nBins + k] !== 0) {
        lo = Math.min(lo, k);
        hi = k + 1;
      }
    }
    ranges.push(lo < hi ? [lo, hi] : [0, 0]);
  }
  return { nMels, nBins, weights, ranges };
}

/** Kaldi's `MelBanks` (mel = 1127·ln(1 + f/700)), as in compute-fbank-feats and kaldi-native-fbank. */
export function kaldiMelFilterbank(o: MelFilterbankOptions): MelFilterbank {
  const nBins = (o.nFft >> 1) + 1;
  const mel = (f: number): number => 1127 * Math.log(1 + f / 700);
  const lowMel = mel(o.lowFreqHz);
  const highMel = mel(o.highFreqHz);
  const delta = (highMel - lowMel) / (o.nMels + 1);
  const binHz = o.sampleRateHz / o.nFft;
  const weights = new Float32Array(o.nMels * nBins);
  for (let m = 0; m < o.nMels; m++) {
    const left = lowMel + m * delta;
    const center = left + delta;
    const right = center + delta;
    // Kaldi leaves the Nyquist bin out of the filters.
    for (let k = 0; k < nBins - 1; k++) {
      const f = mel(binHz * k);
      if (f > left && f < right) {
        weights[m * nBins + k] = f <= center ? (f - left) / (center - left) : (right - f) / (right - center);
      }
    }
  }
  return withRanges(o.nMels, nBins, weights);
}

function slaneyHzToMel(f: number): number {
  const fSp = 200 / 3;
  const minLogHz = 1000;
  const logStep = Math.log(6.4) / 27;
  return f >= minLogHz ? minLogHz / fSp + Math.log(f / minLogHz) / logStep : f / fSp;
}

function slaneyMelToHz(m: number): number {
  const fSp = 200 / 3;
  const minLogHz = 1000;
  const minLogMel = minLogHz / fSp;
  const logStep = Math.log(6.4) / 27;
  return m >= minLogMel ? minLogHz * Math.exp(logStep * (m - minLogMel)) : fSp * m;
}

/** librosa.filters.mel(sr, n_fft, n_mels, fmin, fmax, htk=False, norm='slaney'). */
export function slaneyMelFilterbank(o: MelFilterbankOptions): MelFilterbank {
  const nBins = (o.nFft >> 1) + 1;
  const lo = slaneyHzToMel(o.lowFreqHz);
  const hi = slaneyHzToMel(o.highFreqHz);
  const melHz = Array.from({ length: o.nMels + 2 }, (_, i) => slaneyMelToHz(lo + ((hi - lo) * i) / (o.nMels + 1)));
  const weights = new Float32Array(o.nMels * nBins);
  for (let m = 0; m < o.nMels; m++) {
    const f0 = melHz[m]!;
    const f1 = melHz[m + 1]!;
    const f2 = melHz[m + 2]!;
    const enorm = 2 / (f2 - f0);
    for (let k = 0; k < nBins; k++) {
      const f = (k * o.sampleRateHz) / o.nFft;
      const w = Math.max(0, Math.min((f - f0) / (f1 - f0), (f2 - f) / (f2 - f1)));
      weights[m * nBins + k] = w * enorm;
    }
  }
  return withRanges(o.nMels, nBins, weights);
}
