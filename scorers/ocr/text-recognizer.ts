import type { InferenceSessionLike, TensorFactory } from '../onnx/inference-session-like.js';
import { writeChwBgr } from './chw-tensor.js';
import { ctcGreedyDecode, type DecodedText } from './ctc-greedy-decode.js';
import { resizeBilinear, type RgbImage } from './rgb-image.js';

/** Recogniser settings (PaddleOCR `predict_rec` defaults). */
export interface TextRecognizerOptions {
  /** Crops per model call (`rec_batch_num`). */
  readonly batchSize?: number;
  /** Input height the model was trained at. */
  readonly imageHeight?: number;
  /** Narrowest batch width: the training width, 320 for PP-OCRv4 (`rec_image_shape` 3,48,320). */
  readonly minImageWidth?: number;
}

const HALF = [0.5, 0.5, 0.5] as const;

/**
 * Packs line crops into one [N, 3, H, W] input (PaddleOCR `resize_norm_img`):
 * each crop is resized to height H keeping its aspect ratio (capped at W),
 * scaled to [-1, 1] and padded on the right with zeros.
 */
export function lineBatchInput(crops: readonly RgbImage[], imageHeight: number, imageWidth: number): Float32Array {
  const per = 3 * imageHeight * imageWidth;
  const input = new Float32Array(crops.length * per);
  crops.forEach((crop, i) => {
    const w = Math.min(imageWidth, Math.ceil((imageHeight * crop.width) / crop.height));
    writeChwBgr(resizeBilinear(crop, w, imageHeight), input, i * per, imageWidth, HALF, HALF);
  });
  return input;
}

/**
 * Reads text lines. Crops are sorted by aspect ratio and batched so that each
 * batch is padded only to its widest member (never below the training width),
 * which keeps padding waste small; results come back in input order.
 */
export async function recognizeCrops(
  session: InferenceSessionLike,
  tensor: TensorFactory,
  crops: readonly RgbImage[],
  charset: readonly string[],
  opts: TextRecognizerOptions & { readonly signal?: AbortSignal } = {},
): Promise<DecodedText[]> {
  const batchSize = opts.batchSize ?? 6;
  const imgH = opts.imageHeight ?? 48;
  const minW = opts.minImageWidth ?? 320;
  const order = crops.map((_, i) => i).sort((a, b) => crops[a]!.width / crops[a]!.height - crops[b]!.width / crops[b]!.height);
  const results = new Array<DecodedText>(crops.length);
  for (let start = 0; start < order.length; start += batchSize) {
    opts.signal?.throwIfAborted();
    const idx = order.slice(start, start + batchSize);
    const batch = idx.map((i) => crops[i]!);
    const maxRatio = Math.max(minW / imgH, ...batch.map((c) => c.width / c.height));
    const imgW = Math.trunc(imgH * maxRatio);
    const input = lineBatchInput(batch, imgH, imgW);
    const outputs = await session.run({ [session.inputNames[0]!]: tensor('float32', input, [batch.length, 3, imgH, imgW]) });
    const probs = outputs[session.outputNames[0]!];
    if (!probs || !(probs.data instanceof Float32Array)) throw new Error('Text recogniser returned no float32 output');
    ctcGreedyDecode(probs.data, probs.dims, charset).forEach((d, j) => (results[idx[j]!] = d));
  }
  return results;
}
