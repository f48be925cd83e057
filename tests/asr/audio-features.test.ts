import { describe, expect, it } from 'vitest';
import { Fft } from '../../experts/audio-features/fft.js';
import { computeFbank, fbankFrameCount } from '../../experts/audio-features/log-mel-fbank.js';
import { slaneyMelFilterbank } from '../../experts/audio-features/mel-filterbank.js';
import { StreamingResampler, resample } from '../../experts/audio-features/streaming-resampler.js';
import { encodeWav16, parseWav } from '../../experts/audio-features/wav-file.js';
import { WHISPER_WINDOW_FRAMES, whisperLogMel } from '../../experts/audio-features/whisper-log-mel.js';

function sine(freqHz: number, rateHz: number, n: number, amp = 0.5): Float32Array {
  return Float32Array.from({ length: n }, (_, i) => amp * Math.sin((2 * Math.PI * freqHz * i) / rateHz));
}

function naiveDft(re: Float64Array): { re: Float64Array; im: Float64Array } {
  const n = re.length;
  const outRe = new Float64Array(n);
  const outIm = new Float64Array(n);
  for (let k = 0; k < n; k++) {
    for (let t = 0; t < n; t++) {
      outRe[k]! += re[t]! * Math.cos((-2 * Math.PI * k * t) / n);
      outIm[k]! += re[t]! * Math.sin((-2 * Math.PI * k * t) / n);
    }
  }
  return { re: outRe, im: outIm };
}

describe('Fft', () => {
  it.each([8, 12, 400, 512, 30, 49])('matches a naive DFT for size %i', (size) => {
    const x = Float64Array.from({ length: size }, (_, i) => Math.sin(i * 0.37) + (i % 5) * 0.1);
    const fft = new Fft(size);
    const outRe = new Float64Array(size);
    const outIm = new Float64Array(size);
    fft.transform(x, new Float64Array(size), outRe, outIm);
    const ref = naiveDft(x);
    for (let k = 0; k < size; k++) {
      expect(outRe[k]).toBeCloseTo(ref.re[k]!, 8);
      expect(outIm[k]).toBeCloseTo(ref.im[k]!, 8);
    }
  });
});

describe('wav-file', () => {
  it('round-trips 16-bit PCM', () => {
    const s = sine(440, 16000, 1600);
    const back = parseWav(encodeWav16(s, 16000));
    expect(back.sampleRateHz).toBe(16000);
    expect(back.samples.length).toBe(1600);
    for (let i = 0; i < s.length; i++) expect(Math.abs(back.samples[i]! - s[i]!)).toBeLessThan(1e-4);
  });
  it('rejects non-WAV bytes with a clear message', () => {
    expect(() => parseWav(new Uint8Array(40))).toThrow(/Not a supported WAV file/);
  });
});

describe('StreamingResampler', () => {
  it.each([
    [48000, 16000],
    [44100, 16000],
    [8000, 16000],
    [22050, 16000],
  ])('%i → %i keeps a 1 kHz tone and the expected length', (from, to) => {
    const x = sine(1000, from, from); // 1 s
    const y = resample(x, from, to);
    expect(y.length).toBe(to);
    // Compare the middle against the ideal tone (edges see the zero history).
    const ideal = sine(1000, to, to);
    let err = 0;
    for (let i = 200; i < to - 200; i++) err = Math.max(err, Math.abs(y[i]! - ideal[i]!));
    expect(err).toBeLessThan(2e-3);
  });

  it('removes content above the new Nyquist frequency', () => {
    const y = resample(sine(12000, 48000, 48000), 48000, 16000);
    let peak = 0;
    for (let i = 200; i < y.length - 200; i++) peak = Math.max(peak, Math.abs(y[i]!));
    expect(peak).toBeLessThan(1e-3);
  });

  it('gives the same samples whatever the chunking', () => {
    const x = sine(700, 44100, 44100);
    const whole = resample(x, 44100, 16000);
    const r = new StreamingResampler(44100, 16000);
    const parts: Float32Array[] = [];
    for (let i = 0; i < x.length; i += 1 + (i % 997)) parts.push(r.push(x.subarray(i, Math.min(x.length, i + 1 + (i % 997)))));
    parts.push(r.flush());
    const joined = new Float32Array(parts.reduce((a, p) => a + p.length, 0));
    let o = 0;
    for (const p of parts) {
      joined.set(p, o);
      o += p.length;
    }
    expect(joined.length).toBe(whole.length);
    for (let i = 0; i < whole.length; i++) expect(joined[i]).toBeCloseTo(whole[i]!, 6);
  });
});

describe('log-mel front ends', () => {
  it('frame counts follow Kaldi (snip_edges true/false) and NeMo (centred)', () => {
    expect(fbankFrameCount(16000, { style: 'kaldi', snipEdges: true })).toBe(98);
    expect(fbankFrameCount(16000, { style: 'kaldi' })).toBe(100);
    expect(fbankFrameCount(16000, { style: 'nemo' })).toBe(101);
    expect(computeFbank(new Float32Array(16000), { style: 'kaldi' }).frames).toBe(100);
  });

  it('a 1 kHz tone peaks in the mel bin that covers 1 kHz', () => {
    const feats = computeFbank(sine(1000, 16000, 16000), { style: 'kaldi', nMels: 80 });
    const row = feats.data.subarray(50 * 80, 51 * 80);
    const argmax = row.indexOf(Math.max(...row));
    // HTK mel of 1 kHz with 80 bins from 20 Hz to 8 kHz lies near bin 22.
    const mel = (f: number): number => 1127 * Math.log(1 + f / 700);
    const expected = Math.round((mel(1000) - mel(20)) / ((mel(8000) - mel(20)) / 81)) - 1;
    expect(Math.abs(argmax - expected)).toBeLessThanOrEqual(1);
  });

  it('NeMo per-feature normalisation gives zero mean per bin', () => {
    const feats = computeFbank(sine(440, 16000, 8000), { style: 'nemo', nMels: 64 });
    expect(feats.nMels).toBe(64);
    let mean = 0;
    for (let t = 0; t < feats.frames; t++) mean += feats.data[t * 64 + 10]!;
    expect(Math.abs(mean / feats.frames)).toBeLessThan(1e-4);
  });

  it('Slaney filters match librosa: unit area per Hz (each filter integrates to about 1)', () => {
    const bank = slaneyMelFilterbank({ sampleRateHz: 16000, nFft: 400, nMels: 80, lowFreqHz: 0, highFreqHz: 8000 });
    // librosa's slaney norm scales each triangle by 2/(f2 − f0): its area in Hz is 1.
    const binHz = 16000 / 400;
    for (const m of [20, 40, 79]) {
      let area = 0;
      for (let k = 0; k < bank.nBins; k++) area += bank.weights[m * bank.nBins + k]! * binHz;
      expect(area).toBeGreaterThan(0.8);
      expect(area).toBeLessThan(1.2);
    }
  });

  it('whisperLogMel gives nMels × 3000 values in Whisper’s range', () => {
    const mel = whisperLogMel(sine(1000, 16000, 16000), 80);
    expect(mel.length).toBe(80 * WHISPER_WINDOW_FRAMES);
    let max = -Infinity;
    let min = Infinity;
    for (const v of mel) {
      max = Math.max(max, v);
      min = Math.min(min, v);
    }
    expect(max - min).toBeLessThanOrEqual(2 + 1e-6); // 8 decades / 4
    // Silence gets the floor: all frames after 1 s are the minimum.
    expect(mel[40 * WHISPER_WINDOW_FRAMES + 2000]).toBeCloseTo(min, 5);
    expect(whisperLogMel(new Float32Array(100), 128).length).toBe(128 * WHISPER_WINDOW_FRAMES);
  });
});
