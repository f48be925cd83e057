/**
 * Which frames a long-video QA model sees, as pure index arithmetic.
 *
 * Harnesses disagree on frame sampling, and the disagreement moves scores, so
 * each strategy reproduces one named reference bit for bit, including its
 * rounding quirks (NumPy/PyTorch round half to even, `int()` truncation,
 * PyTorch's float32 `linspace`):
 *
 * - `uniform`: MVBench / InternVL `get_index` — centres of N equal segments.
 * - `linspace`: lmms-eval `np.linspace(0, total - 1, N, dtype=int)` (truncated).
 * - `fps`: Qwen2-VL / Qwen2.5-VL `qwen_vl_utils.smart_nframes` followed by
 *   `torch.linspace(0, total - 1, nframes).round()`.
 * - `keyframes`: the indices of `uniform`; the decoder then snaps each one to
 *   the keyframe at or before it (the fast, approximate mode).
 *
 * No I/O here: `gateway/media/extract-frames.ts` decodes the indices.
 */

/** The sampling conventions evalgate knows by name. */
export type FrameStrategy = 'uniform' | 'linspace' | 'fps' | 'keyframes';

/** The frame strategies, for CLI validation and help text. */
export const frameStrategies: readonly FrameStrategy[] = ['uniform', 'linspace', 'fps', 'keyframes'];

/** Inputs of {@link frameIndices}; which fields matter depends on the strategy. */
export interface FrameIndexParams {
  /** Frames in the video (decord's `len(vr)`). */
  readonly totalFrames: number;
  /** The video's average frame rate (decord's `get_avg_fps()`); used by `fps` and by `uniform` with a bound. */
  readonly fps: number;
  /** N for `uniform`, `linspace` and `keyframes`. */
  readonly count?: number;
  /** `fps` only: frames sampled per second of video (Qwen's `fps`, default 2). */
  readonly targetFps?: number;
  /** `fps` only: upper cap (Qwen's `max_frames`, default min(768, totalFrames)). */
  readonly maxFrames?: number;
  /** `fps` only: lower bound (Qwen's `min_frames`, default 4). */
  readonly minFrames?: number;
  /** `uniform`/`keyframes` only: MVBench's `bound`, a [start, end] window in seconds. */
  readonly boundS?: readonly [number, number];
}

/** Raised for parameters the reference implementation would reject. */
export class FrameIndexError extends RangeError {
  override readonly name = 'FrameIndexError';
}

/** Qwen's temporal patch size: the frame count is always a multiple of it. */
export const QWEN_FRAME_FACTOR = 2;
/** Qwen's default sampling rate in frames per second. */
export const QWEN_DEFAULT_FPS = 2.0;
/** Qwen's default lower bound on sampled frames. */
export const QWEN_FPS_MIN_FRAMES = 4;
/** Qwen's default upper bound on sampled frames. */
export const QWEN_FPS_MAX_FRAMES = 768;

/** Python's `round()` / NumPy's `np.round`: ties go to the even neighbour. */
export function roundHalfEven(x: number): number {
  const floor = Math.floor(x);
  const frac = x - floor; // exact for |x| < 2^52
  if (frac < 0.5) return floor;
  if (frac > 0.5) return floor + 1;
  return floor % 2 === 0 ? floor : floor + 1;
}

function requirePositiveInt(name: string, value: number | undefined): number {
  if (value === undefined || !Number.isInteger(value) || value < 1) {
    throw new FrameIndexError(`${name} must be a positive integer, got ${String(value)}`);
  }
  return value;
}

function requirePositive(name: string, value: number): number {
  if (!Number.isFinite(value) || value <= 0) throw new FrameIndexError(`${name} must be a positive number, got ${value}`);
  return value;
}

/**
 * MVBench / InternVL `get_index(bound, fps, max_frame, first_idx=0)` with
 * `max_frame = len(vr) - 1`: the centre of each of `count` equal segments.
 */
export function uniformIndices(totalFrames: number, count: number, opts: { fps?: number; boundS?: readonly [number, number] } = {}): number[] {
  requirePositiveInt('totalFrames', totalFrames);
  requirePositiveInt('count', count);
  const maxFrame = totalFrames - 1;
  let startIdx = 0;
  let endIdx = maxFrame;
  const usableFps = opts.fps !== undefined && Number.isFinite(opts.fps) && opts.fps > 0;
  if (opts.boundS || usableFps) {
    // Without a bound the references use (-100000, 100000) s, which only bites past ~28 h of video.
    const fps = requirePositive('fps', opts.fps ?? Number.NaN);
    const [from, to] = opts.boundS ?? [-100_000, 100_000];
    startIdx = Math.max(0, roundHalfEven(from * fps));
    endIdx = Math.min(roundHalfEven(to * fps), maxFrame);
  }
  const segSize = (endIdx - startIdx) / count;
  const out: number[] = [];
  for (let idx = 0; idx < count; idx++) {
    // int(start_idx + seg_size / 2 + np.round(seg_size * idx)): int() truncates toward zero.
    out.push(Math.trunc(startIdx + segSize / 2 + roundHalfEven(segSize * idx)));
  }
  return out;
}

/**
 * NumPy `np.linspace(start, stop, num)` in float64, exactly as NumPy computes
 * it (`arange(num) * step + start`, last element forced to `stop`).
 */
export function numpyLinspace(start: number, stop: number, num: number): number[] {
  if (num <= 0) return [];
  if (num === 1) return [start];
  const step = (stop - start) / (num - 1);
  const out: number[] = [];
  for (let i = 0; i < num; i++) out.push(i * step + start);
  out[num - 1] = stop;
  return out;
}

/** lmms-eval: `np.linspace(0, total_frame_num - 1, N, dtype=int)` (truncation). */
export function linspaceIndices(totalFrames: number, count: number): number[] {
  requirePositiveInt('totalFrames', totalFrames);
  requirePositiveInt('count', count);
  return numpyLinspace(0, totalFrames - 1, count).map((v) => Math.trunc(v));
}

/**
 * PyTorch's CPU `torch.linspace(start, end, steps)` in the default float32, as
 * torch 2.11 computes it on AVX2/AVX512 machines: the first half counts up
 * from `start`, the second half down from `end`, and the compiler fuses each
 * `start + step·i` / `end − step·k` into one multiply-add rounded to float32
 * once. (Rounding the product first, as a build without FMA does, moves about
 * 1% of Qwen's indices for hour-long videos by one frame: measured against
 * torch 2.11 on an AVX512 machine.) With `start = 0` and integer-valued ends,
 * as frame indices have, the double-precision arithmetic below is exact (a
 * float32 times an integer below 2^24 needs at most 48 bits, and the sum
 * stays within 53), so one `fround` is that single rounding; for arbitrary
 * `start` it is not guaranteed.
 */
export function torchLinspaceF32(start: number, end: number, steps: number): number[] {
  if (steps <= 0) return [];
  const f = Math.fround;
  const s = f(start);
  const e = f(end);
  if (steps === 1) return [s];
  const step = f(f(e - s) / f(steps - 1));
  const halfway = Math.floor(steps / 2);
  const out: number[] = [];
  for (let idx = 0; idx < steps; idx++) {
    out.push(idx < halfway ? f(s + step * idx) : f(e - step * (steps - idx - 1)));
  }
  return out;
}

/** Options of {@link qwenSmartNframes}, named as in qwen_vl_utils. */
export interface QwenNframesOptions {
  /** Frames per second to sample (`fps`, default 2.0). */
  readonly targetFps?: number;
  /** `min_frames` (default 4). */
  readonly minFrames?: number;
  /** `max_frames` (default min(768, totalFrames)). */
  readonly maxFrames?: number;
}

/**
 * qwen_vl_utils `smart_nframes(ele, total_frames, video_fps)` in `fps` mode
 * (Qwen2.5-VL's version): clamp `total / video_fps * fps` to
 * [ceil2(min_frames), floor2(max_frames)] and to `total`, then floor to a
 * multiple of FRAME_FACTOR = 2. Rejects results outside [2, total] as Qwen does.
 */
export function qwenSmartNframes(totalFrames: number, videoFps: number, opts: QwenNframesOptions = {}): number {
  requirePositiveInt('totalFrames', totalFrames);
  requirePositive('fps of the video', videoFps);
  const fps = requirePositive('targetFps', opts.targetFps ?? QWEN_DEFAULT_FPS);
  const factor = QWEN_FRAME_FACTOR;
  const minFrames = Math.ceil((opts.minFrames ?? QWEN_FPS_MIN_FRAMES) / factor) * factor;
  const maxFrames = Math.floor((opts.maxFrames ?? Math.min(QWEN_FPS_MAX_FRAMES, totalFrames)) / factor) * factor;
  let nframes = (totalFrames / videoFps) * fps;
  nframes = Math.min(Math.min(Math.max(nframes, minFrames), maxFrames), totalFrames);
  nframes = Math.floor(nframes / factor) * factor;
  if (!(factor <= nframes && nframes <= totalFrames)) {
    throw new FrameIndexError(`nframes should be in the interval [${factor}, ${totalFrames}], but got ${nframes}`);
  }
  return nframes;
}

/** Qwen2-VL `fps` sampling: `torch.linspace(0, total - 1, smart_nframes(...)).round().long()`. */
export function qwenFpsIndices(totalFrames: number, videoFps: number, opts: QwenNframesOptions = {}): number[] {
  const nframes = qwenSmartNframes(totalFrames, videoFps, opts);
  return torchLinspaceF32(0, totalFrames - 1, nframes).map(roundHalfEven);
}

/**
 * The frame indices (0-based, presentation order, possibly repeated) that
 * `strategy` prescribes. Throws {@link FrameIndexError} on parameters the
 * reference would reject.
 */
export function frameIndices(strategy: FrameStrategy, params: FrameIndexParams): number[] {
  switch (strategy) {
    case 'uniform':
    case 'keyframes':
      return uniformIndices(params.totalFrames, params.count ?? Number.NaN, { fps: params.fps, boundS: params.boundS });
    case 'linspace':
      return linspaceIndices(params.totalFrames, params.count ?? Number.NaN);
    case 'fps':
      return qwenFpsIndices(params.totalFrames, params.fps, {
        targetFps: params.targetFps,
        minFrames: params.minFrames,
        maxFrames: params.maxFrames,
      });
    default: {
      const unknown: never = strategy;
      throw new FrameIndexError(`unknown frame strategy ${String(unknown)}; use one of ${frameStrategies.join(', ')}`);
    }
  }
}
