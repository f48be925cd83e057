import { describe, expect, it } from 'vitest';
import {
  FrameIndexError,
  frameIndices,
  linspaceIndices,
  numpyLinspace,
  qwenFpsIndices,
  qwenSmartNframes,
  roundHalfEven,
  torchLinspaceF32,
  uniformIndices,
} from '../../scorers/frames/frame-indices.js';

// Expected values come from the reference code run with NumPy 2.x: MVBench/InternVL get_index,
// lmms-eval np.linspace(..., dtype=int), qwen_vl_utils.smart_nframes + float32 torch.linspace(...).round().
describe('uniform (MVBench / InternVL get_index)', () => {
  it('reproduces the published yoga.mp4 example (300 frames, N=16)', () => {
    expect(uniformIndices(300, 16)).toEqual([9, 28, 46, 65, 84, 102, 121, 140, 159, 177, 196, 215, 233, 252, 271, 289]);
    expect(frameIndices('uniform', { totalFrames: 300, fps: 30, count: 16 })).toEqual(uniformIndices(300, 16));
    // With no bound MVBench's get_index uses (-100000, 100000) s: a 1 fps video of 191856 frames is cut at frame 100000.
    expect(uniformIndices(191856, 2, { fps: 1 })).toEqual([25000, 75000]);
    expect(uniformIndices(191856, 2)).toEqual([47963, 143891]);
  });
  it('matches get_index on other counts, including more frames than the video has', () => {
    expect(uniformIndices(15000, 32).slice(0, 6)).toEqual([234, 703, 1171, 1640, 2109, 2578]);
    expect(uniformIndices(15000, 32).at(-1)).toBe(14764);
    expect(uniformIndices(8, 16)).toEqual([0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 4, 5, 5, 6, 6, 7]);
    expect(uniformIndices(1000, 7)).toEqual([71, 214, 356, 499, 642, 785, 927]);
  });
  it('honours a time bound like MVBench', () => {
    // bound (2 s, 4 s) at 30 fps: start_idx 60, end_idx 120, seg 15.
    expect(uniformIndices(300, 4, { fps: 30, boundS: [2, 4] })).toEqual([67, 82, 97, 112]);
  });
  it('keyframes asks for the uniform indices (the decoder snaps them)', () => {
    expect(frameIndices('keyframes', { totalFrames: 300, fps: 30, count: 16 })).toEqual(uniformIndices(300, 16));
  });
});

describe('linspace (lmms-eval)', () => {
  it('truncates np.linspace(0, total - 1, N)', () => {
    expect(linspaceIndices(300, 16)).toEqual([0, 19, 39, 59, 79, 99, 119, 139, 159, 179, 199, 219, 239, 259, 279, 299]);
    expect(linspaceIndices(10, 4)).toEqual([0, 3, 6, 9]);
    const long = linspaceIndices(15000, 32);
    expect(long.slice(0, 8)).toEqual([0, 483, 967, 1451, 1935, 2419, 2903, 3386]);
    expect(long.at(-1)).toBe(14999);
  });
  it('computes like NumPy (i * step + start, last element = stop)', () => {
    expect(numpyLinspace(0, 1, 4)).toEqual([0, 1 / 3, 2 / 3, 1]);
    expect(numpyLinspace(0, 9, 1)).toEqual([0]);
  });
});

describe('fps (Qwen2-VL / Qwen2.5-VL smart_nframes)', () => {
  it('samples 2 fps by default, a multiple of FRAME_FACTOR=2', () => {
    expect(qwenSmartNframes(300, 30)).toBe(20);
    expect(qwenFpsIndices(300, 30)).toEqual([0, 16, 31, 47, 63, 79, 94, 110, 126, 142, 157, 173, 189, 205, 220, 236, 252, 268, 283, 299]);
  });
  it('caps at max_frames (768 by default) and raises short clips to min_frames', () => {
    expect(qwenSmartNframes(90000, 25)).toBe(768);
    expect(qwenSmartNframes(50, 25)).toBe(4);
    expect(qwenFpsIndices(50, 25)).toEqual([0, 16, 33, 49]);
    expect(frameIndices('fps', { totalFrames: 300, fps: 30, targetFps: 1, maxFrames: 8 })).toEqual([0, 43, 85, 128, 171, 214, 256, 299]);
    const long = qwenFpsIndices(90000, 25);
    expect(long.slice(0, 5)).toEqual([0, 117, 235, 352, 469]);
    expect(long.slice(-3)).toEqual([89764, 89882, 89999]);
  });
  it('floors odd caps to the frame factor and rejects what Qwen rejects', () => {
    expect(qwenSmartNframes(300, 30, { targetFps: 1, maxFrames: 7 })).toBe(6);
    expect(() => qwenSmartNframes(1, 30)).toThrow(FrameIndexError);
  });
  it('computes torch.linspace as the vectorised (FMA) CPU kernel does: values torch 2.11 gave on an AVX512 machine', () => {
    // One rounding per value; rounding step·i first would give 74064 and 8490.
    expect(qwenSmartNframes(108000, 30)).toBe(768);
    expect(qwenFpsIndices(108000, 30)[526]).toBe(74065);
    expect(qwenSmartNframes(10956, 30)).toBe(730);
    expect(qwenFpsIndices(10956, 30)[565]).toBe(8491);
  });
  it('rounds float32 torch.linspace ties half to even', () => {
    // linspace(0, 7, 7)[3] is exactly 3.5 in float32; torch.round gives 4.
    expect(torchLinspaceF32(0, 7, 7)[3]).toBe(3.5);
    expect(torchLinspaceF32(0, 7, 7).map(roundHalfEven)).toEqual([0, 1, 2, 4, 5, 6, 7]);
  });
});

describe('helpers and validation', () => {
  it('rounds half to even like Python and NumPy', () => {
    expect([0.5, 1.5, 2.5, -0.5, -1.5, 2.4999, 2.5001].map(roundHalfEven)).toEqual([0, 2, 2, 0, -2, 2, 3]);
  });
  it('rejects bad counts with a clear message', () => {
    expect(() => frameIndices('uniform', { totalFrames: 300, fps: 30 })).toThrow(/count must be a positive integer/);
    expect(() => frameIndices('linspace', { totalFrames: 0, fps: 30, count: 4 })).toThrow(/totalFrames/);
  });
});
