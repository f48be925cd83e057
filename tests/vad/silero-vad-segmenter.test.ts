import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { defined } from '../helpers/defined.js';
import type { InferenceSessionLike, TensorFactory, TensorLike } from '../../experts/onnx/inference-session-like.js';
import { resample } from '../../experts/audio-features/streaming-resampler.js';
import { parseWav } from '../../experts/audio-features/wav-file.js';
import { SileroVadSegmenter, createSileroVad, type VadEvent } from '../../experts/vad/silero-vad-segmenter.js';
import { hasRealdata, realdataDir } from '../helpers/realdata.js';

const realdata = `${realdataDir}/`;
const haveRealdata = hasRealdata;
if (!haveRealdata) console.warn(`skipping real-audio VAD tests: ${realdata} is missing`);

const tensor: TensorFactory = (type, data, dims) => ({ type, data, dims });

/** A session that replays scripted speech probabilities and records what it was fed. */
function scriptedSession(probs: readonly number[]): InferenceSessionLike & { inputs: Float32Array[] } {
  let i = 0;
  const inputs: Float32Array[] = [];
  return {
    inputNames: ['input', 'state', 'sr'],
    outputNames: ['output', 'stateN'],
    inputs,
    run(feeds: Record<string, TensorLike>) {
      inputs.push(Float32Array.from(feeds.input!.data as Float32Array));
      const p = probs[i++] ?? 0;
      return Promise.resolve({
        output: { type: 'float32', data: Float32Array.of(p), dims: [1, 1] },
        stateN: { type: 'float32', data: new Float32Array(256), dims: [2, 1, 128] },
      });
    },
  };
}

const W = 512;
const frames = (n: number): Float32Array => new Float32Array(n * W);
const summary = (events: readonly VadEvent[]): [string, number][] => events.map((e) => [e.type, e.sampleIndex]);

describe('SileroVadSegmenter state machine (get_speech_timestamps semantics, scripted probabilities)', () => {
  // Defaults: threshold 0.5, neg 0.35, min speech 4000 samples, min silence 1600, pad 480.
  const script = [0, 0, ...Array<number>(10).fill(0.9), 0.4, ...Array<number>(8).fill(0.1)];

  it('emits a padded start once the segment outlasts min speech, and an end after min silence', async () => {
    const vad = new SileroVadSegmenter(scriptedSession(script), tensor);
    // Start at window 2 (sample 1024); kept once (i+1)·512 − 1024 > 4000, i.e. after window 9.
    expect(await vad.push(frames(9), 16000)).toEqual([]);
    expect(summary(await vad.push(frames(1), 16000))).toEqual([['speech_start', 1024 - 480]]);
    // Window 12 (p=0.4) is between the thresholds: still speech. Silence starts at window 13
    // (sample 6656) and is long enough at window 17 (8704 − 6656 ≥ 1600).
    expect(await vad.push(frames(7), 16000)).toEqual([]);
    expect(summary(await vad.push(frames(1), 16000))).toEqual([['speech_end', 6656 + 480]]);
    expect(await vad.flush()).toEqual([]);
  });

  it('drops segments not longer than min speech', async () => {
    const vad = new SileroVadSegmenter(scriptedSession([0, ...Array<number>(5).fill(0.9), ...Array<number>(20).fill(0)]), tensor);
    expect(await vad.push(frames(26), 16000)).toEqual([]);
    expect(await vad.flush()).toEqual([]);
  });

  it('keeps speech through probabilities between neg_threshold and threshold, closing it at the end of audio on flush', async () => {
    const vad = new SileroVadSegmenter(scriptedSession([0.9, ...Array<number>(30).fill(0.4)]), tensor);
    expect(summary(await vad.push(frames(31), 16000))).toEqual([['speech_start', 0]]);
    expect(vad.speaking).toBe(true);
    expect(summary(await vad.flush())).toEqual([['speech_end', 31 * W]]);
    expect(vad.speaking).toBe(false);
  });

  it('prepends the previous window’s last 64 samples as context (OnnxWrapper)', async () => {
    const session = scriptedSession([]);
    const vad = new SileroVadSegmenter(session, tensor);
    const audio = Float32Array.from({ length: 2 * W }, (_, i) => i / 1000);
    await vad.push(audio, 16000);
    expect(session.inputs).toHaveLength(2);
    expect(session.inputs[0]?.length).toBe(576);
    expect(Array.from(session.inputs[0]!.subarray(0, 64))).toEqual(Array<number>(64).fill(0));
    expect(Array.from(session.inputs[1]!.subarray(0, 64))).toEqual(Array.from(audio.subarray(W - 64, W)));
    expect(Array.from(session.inputs[1]!.subarray(64))).toEqual(Array.from(audio.subarray(W)));
  });

  it('zero-pads the last partial window on flush', async () => {
    const session = scriptedSession([]);
    const vad = new SileroVadSegmenter(session, tensor);
    await vad.push(new Float32Array(W + 100).fill(0.25), 16000);
    expect(session.inputs).toHaveLength(1);
    await vad.flush();
    expect(session.inputs).toHaveLength(2);
    expect(session.inputs[1]?.[64 + 99]).toBe(0.25);
    expect(session.inputs[1]?.[64 + 100]).toBe(0);
  });

  it('refuses a sample-rate change mid-stream', async () => {
    const vad = new SileroVadSegmenter(scriptedSession([]), tensor);
    await vad.push(frames(1), 16000);
    await expect(vad.push(frames(1), 48000)).rejects.toThrow(/reset/);
  });
});

describe.skipIf(!haveRealdata)('Silero VAD v5 on real speech', () => {
  const jfk = (): Float32Array => parseWav(readFileSync(`${realdata}jfk.wav`)).samples;

  async function run(samples: Float32Array, rateHz: number, chunk?: (i: number) => number): Promise<VadEvent[]> {
    const vad = await createSileroVad();
    const events: VadEvent[] = [];
    if (!chunk) events.push(...(await vad.push(samples, rateHz)));
    else {
      for (let off = 0, k = 0; off < samples.length; k++) {
        const n = chunk(k);
        events.push(...(await vad.push(samples.subarray(off, off + n), rateHz)));
        off += n;
      }
    }
    events.push(...(await vad.flush()));
    return events;
  }

  const starts = (ev: readonly VadEvent[]): number[] => ev.filter((e) => e.type === 'speech_start').map((e) => e.timeS);
  const ends = (ev: readonly VadEvent[]): number[] => ev.filter((e) => e.type === 'speech_end').map((e) => e.timeS);

  it('finds the 5 speech segments of jfk.wav that whisper.cpp’s tests/test-vad.cpp expects with default parameters', async () => {
    const ev = await run(jfk(), 16000);
    expect(ev.map((e) => e.type)).toEqual(Array<string>(5).fill('speech_start,speech_end').join(',').split(','));
    // "And so my fellow Americans" begins within the first half second; "…your country." ends after 10 s.
    expect(starts(ev)[0]).toBeLessThan(0.5);
    expect(ends(ev)[4]).toBeGreaterThan(10);
    for (const e of ev) expect(e.sampleIndex).toBe(Math.round(e.timeS * 16000));
  });

  it('places boundaries where the speech is when silence is added around it', async () => {
    const speech = jfk();
    const lead = 2 * 16000 + 123;
    const padded = new Float32Array(lead + speech.length + 3 * 16000);
    padded.set(speech, lead);
    const plain = await run(speech, 16000);
    const shifted = await run(padded, 16000);
    expect(shifted.map((e) => e.type)).toEqual(plain.map((e) => e.type));
    const offS = lead / 16000;
    // Windows fall on different samples and the recurrent state differs, so a
    // boundary may move by up to three 32-ms windows.
    shifted.forEach((e, i) => expect(Math.abs(e.timeS - offS - defined(plain[i], `event #${i} of the unpadded run`).timeS)).toBeLessThan(0.1));
    expect(starts(shifted)[0]).toBeGreaterThan(offS - 0.05);
    expect(ends(shifted).at(-1)).toBeLessThan(offS + speech.length / 16000 + 0.1);
  });

  it('gives identical events whatever the chunk size', async () => {
    const speech = jfk();
    const whole = await run(speech, 16000);
    const sizes = [1, 7, 160, 333, 512, 4096, 1000];
    const chunked = await run(speech, 16000, (k) => sizes[k % sizes.length]!);
    expect(chunked).toEqual(whole);
  });

  it('resamples 48 kHz input and reports sample indices at the input rate', async () => {
    const speech = jfk();
    const at16 = await run(speech, 16000);
    const at48 = await run(resample(speech, 16000, 48000), 48000, () => 4800);
    expect(at48.map((e) => e.type)).toEqual(at16.map((e) => e.type));
    at48.forEach((e, i) => {
      expect(Math.abs(e.timeS - defined(at16[i], `event #${i} at 16 kHz`).timeS)).toBeLessThan(0.07);
      expect(e.sampleIndex).toBe(Math.round(e.timeS * 48000));
    });
  });

  it('finds no speech in digital silence or faint noise', async () => {
    expect(await run(new Float32Array(10 * 16000), 16000)).toEqual([]);
    let seed = 1;
    const noise = Float32Array.from({ length: 10 * 16000 }, () => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return (seed / 2147483648 - 0.5) * 0.002;
    });
    expect(await run(noise, 16000)).toEqual([]);
  });

  it('is reusable after flush', async () => {
    const vad = await createSileroVad();
    const speech = jfk();
    const a = [...(await vad.push(speech, 16000)), ...(await vad.flush())];
    const b = [...(await vad.push(speech, 16000)), ...(await vad.flush())];
    expect(b).toEqual(a);
  });
});
