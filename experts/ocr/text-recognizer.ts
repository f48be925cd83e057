import type { InferenceSessionLike, TensorFactory } from '../onnx/inference-session-like.js';
import { inputNameAt, outputAt } from '../onnx/session-io.js';
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
  /**
   * A batch stops growing when crops × padded width would pass this many
   * columns. On CPU, onnxruntime runs the recogniser slower per column in
   * large batches of long lines (6 lines of 640+ columns take longer than 6
   * single calls), while short crops still gain from sharing a call; default
   * 1024. Use `Infinity` on GPU, where batches are what make it fast.
   */
  readonly maxBatchColumns?: number;
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
 * which keeps padding waste small; batches are capped by count and by total
 * columns. Results come back in input order.
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
  const order = crops.map((crop, index) => ({ crop, index, ratio: crop.width / crop.height })).sort((a, b) => a.ratio - b.ratio);
  const maxColumns = opts.maxBatchColumns ?? 1024;
  const results = new Array<DecodedText>(crops.length);
  const widthOf = (ratio: number): number => Math.trunc(imgH * Math.max(minW / imgH, ratio));
  for (let start = 0; start < order.length;) {
    opts.signal?.throwIfAborted();
    // Sorted by ratio, so the last crop added is the widest of the batch.
    let end = start + 1;
    while (end < order.length && end - start < batchSize && (end - start + 1) * widthOf(order[end]!.ratio) <= maxColumns) end++;
    const lines = order.slice(start, end);
    start = end;
    const batch = lines.map((l) => l.crop);
    // lines is never empty: end > start.
    const imgW = widthOf(lines[lines.length - 1]!.ratio);
    const input = lineBatchInput(batch, imgH, imgW);
    const outputs = await session.run({ [inputNameAt(session, 0)]: tensor('float32', input, [batch.length, 3, imgH, imgW]) });
    const probs = outputAt(session, outputs, 0);
    if (!probs || !(probs.data instanceof Float32Array)) throw new Error('Text recogniser returned no float32 output');
    const decoded = ctcGreedyDecode(probs.data, probs.dims, charset);
    if (decoded.length !== lines.length) throw new Error(`Text recogniser returned ${decoded.length} rows for a batch of ${lines.length}`);
    decoded.forEach((d, j) => (results[lines[j]!.index] = d));
  }
  return results;
}
