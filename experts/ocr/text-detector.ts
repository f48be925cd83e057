import type { InferenceSessionLike, TensorFactory } from '../onnx/inference-session-like.js';
import { inputNameAt, outputAt } from '../onnx/session-io.js';
import { writeChwBgr } from './chw-tensor.js';
import { dbPostProcess, type DbPostProcessOptions, type DetectedBox } from './db-postprocess.js';
import { resizeBilinear, type RgbImage } from './rgb-image.js';

/** How the detector input is sized (PaddleOCR `DetResizeForTest`). */
export interface DetResizeOptions {
  /** Side limit in pixels (`det_limit_side_len`). */
  readonly limitSideLen?: number;
  /** `max`: shrink so the long side ≤ limit; `min`: grow so the short side ≥ limit. */
  readonly limitType?: 'max' | 'min';
}

/** Detector settings: input sizing plus DB post-processing. */
export interface TextDetectorOptions extends DetResizeOptions, DbPostProcessOptions {}

// ImageNet statistics, applied to B, G, R in that order as PaddleOCR does.
const DET_MEAN = [0.485, 0.456, 0.406] as const;
const DET_STD = [0.229, 0.224, 0.225] as const;

/** The detector input size: scaled by the side limit, then rounded to multiples of 32 (at least 32). */
export function detResizeSize(width: number, height: number, opts: DetResizeOptions = {}): { width: number; height: number } {
  const limit = opts.limitSideLen ?? 960;
  const type = opts.limitType ?? 'max';
  let ratio = 1;
  if (type === 'max' && Math.max(width, height) > limit) ratio = limit / Math.max(width, height);
  else if (type === 'min' && Math.min(width, height) < limit) ratio = limit / Math.min(width, height);
  const round32 = (v: number): number => Math.max(Math.round(Math.trunc(v * ratio) / 32) * 32, 32);
  return { width: round32(width), height: round32(height) };
}

/** Runs the DB text detector on one image and returns its text boxes in image pixels. */
export async function detectText(session: InferenceSessionLike, tensor: TensorFactory, img: RgbImage, opts: TextDetectorOptions = {}): Promise<DetectedBox[]> {
  const size = detResizeSize(img.width, img.height, opts);
  const resized = resizeBilinear(img, size.width, size.height);
  const input = new Float32Array(3 * size.width * size.height);
  writeChwBgr(resized, input, 0, size.width, DET_MEAN, DET_STD);
  const outputs = await session.run({ [inputNameAt(session, 0)]: tensor('float32', input, [1, 3, size.height, size.width]) });
  const map = outputAt(session, outputs, 0);
  if (!map || !(map.data instanceof Float32Array)) throw new Error('Text detector returned no float32 probability map');
  const [, , mapH, mapW] = map.dims as [number, number, number, number];
  if (map.dims.length !== 4 || mapH !== size.height || mapW !== size.width) {
    throw new Error(`Text detector output is [${map.dims.join(', ')}], expected [1, 1, ${size.height}, ${size.width}]`);
  }
  return dbPostProcess(map.data.subarray(0, mapH * mapW), mapW, mapH, img.width, img.height, opts);
}
