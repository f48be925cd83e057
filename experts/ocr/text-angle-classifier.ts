import type { InferenceSessionLike, TensorFactory } from '../onnx/inference-session-like.js';
import { inputNameAt, outputAt } from '../onnx/session-io.js';
import { rotate180, type RgbImage } from './rgb-image.js';
import { lineBatchInput } from './text-recognizer.js';

/** Angle classifier settings (PaddleOCR `predict_cls` defaults). */
export interface TextAngleClassifierOptions {
  /** Crops per model call (`cls_batch_num`). */
  readonly batchSize?: number;
  /** A crop is turned only when the `180` label scores above this (`cls_thresh`). */
  readonly thresh?: number;
}

/** Whether a crop was found upside down. */
export interface AngleDecision {
  /** True when the crop was rotated by 180°. */
  readonly rotated: boolean;
  /** Probability of the chosen label. */
  readonly score: number;
}

const CLS_HEIGHT = 48;
const CLS_WIDTH = 192;

/**
 * Runs the 0°/180° text-line classifier and returns the crops turned upright,
 * with one decision per crop. The model outputs [N, 2] probabilities for the
 * labels `0` and `180`.
 */
export async function classifyAngles(
  session: InferenceSessionLike,
  tensor: TensorFactory,
  crops: readonly RgbImage[],
  opts: TextAngleClassifierOptions & { readonly signal?: AbortSignal } = {},
): Promise<{ crops: RgbImage[]; decisions: AngleDecision[] }> {
  const batchSize = opts.batchSize ?? 6;
  const thresh = opts.thresh ?? 0.9;
  const out = [...crops];
  const decisions: AngleDecision[] = [];
  for (let start = 0; start < crops.length; start += batchSize) {
    opts.signal?.throwIfAborted();
    const batch = crops.slice(start, start + batchSize);
    const input = lineBatchInput(batch, CLS_HEIGHT, CLS_WIDTH);
    const outputs = await session.run({ [inputNameAt(session, 0)]: tensor('float32', input, [batch.length, 3, CLS_HEIGHT, CLS_WIDTH]) });
    const probs = outputAt(session, outputs, 0);
    if (!probs || !(probs.data instanceof Float32Array) || probs.dims[1] !== 2 || probs.data.length < batch.length * 2) {
      throw new Error(`Angle classifier output must be float32 [N, 2], got [${probs?.dims.join(', ') ?? ''}]`);
    }
    for (const [j, crop] of batch.entries()) {
      // In range: the output was checked above to hold two scores per crop.
      const p0 = probs.data[j * 2]!;
      const p180 = probs.data[j * 2 + 1]!;
      const rotated = p180 > p0 && p180 > thresh;
      decisions.push({ rotated, score: Math.max(p0, p180) });
      if (rotated) out[start + j] = rotate180(crop);
    }
  }
  return { crops: out, decisions };
}
