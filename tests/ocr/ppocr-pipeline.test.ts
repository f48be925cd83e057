import { describe, expect, it } from 'vitest';
import type { TensorLike } from '../../experts/onnx/inference-session-like.js';
import { ctcCharset } from '../../experts/ocr/ctc-greedy-decode.js';
import { detectionPadding, PpocrPipeline } from '../../experts/ocr/ppocr-pipeline.js';
import { rgbImage, type RgbImage } from '../../experts/ocr/rgb-image.js';
import { FakeSession, fakeTensor, recOutput } from './fake-session.js';

const charset = ctcCharset('a\nb\nc');

/** White page with dark bands: each band [x0, y0, x1, y1, grey]. */
function page(width: number, height: number, bands: [number, number, number, number, number][]): RgbImage {
  const data = new Uint8Array(width * height * 3).fill(255);
  for (const [x0, y0, x1, y1, v] of bands) {
    for (let y = y0; y <= y1; y++) data.fill(v, (y * width + x0) * 3, (y * width + x1 + 1) * 3);
  }
  return rgbImage(width, height, data);
}

/** A "detector" that marks dark input pixels as text: geometry flows through padding and resizing for real. */
const thresholdDetector = (): FakeSession =>
  new FakeSession((x) => {
    const [, , h, w] = x.dims as [number, number, number, number];
    const prob = new Float32Array(h * w);
    // Channel 0 is B normalised with ImageNet stats: dark pixels are below 0.
    for (let i = 0; i < h * w; i++) prob[i] = (x.data[i] as number) < 0 ? 1 : 0;
    return { type: 'float32', data: prob, dims: [1, 1, h, w] };
  });

/** A "recogniser" that reads `a` for black lines, `b` for grey ones, `c` for anything else. */
const levelRecognizer = (confidence = 0.9): FakeSession =>
  new FakeSession((x) => {
    const [n, , , w] = x.dims as [number, number, number, number];
    const per = 3 * 48 * w;
    const out: TensorLike = recOutput(n, w / 8, 5, (b, t) => {
      let min = Infinity;
      for (let i = 0; i < per / 3; i++) min = Math.min(min, x.data[b * per + i] as number);
      const level = (min * 0.5 + 0.5) * 255;
      return t !== 1 ? 0 : level < 30 ? 1 : level < 120 ? 2 : 3;
    });
    if (confidence !== 0.9) (out.data as Float32Array).forEach((v, i, a) => (a[i] = Math.abs(v - 0.9) < 1e-6 ? confidence : v));
    return out;
  });

describe('PpocrPipeline (scripted models)', () => {
  it('finds lines, reads them in reading order, and reports boxes in source pixels', async () => {
    const det = thresholdDetector();
    const rec = levelRecognizer();
    const img = page(400, 200, [
      [200, 120, 380, 140, 90], // lower line, right: grey → b
      [20, 30, 300, 50, 0], // upper line: black → a
      [20, 120, 150, 140, 0], // lower line, left: black → a
    ]);
    const result = await new PpocrPipeline({ det, rec, charset, tensor: fakeTensor }).recognizeRgb(img);
    expect(result.text).toBe('a\na b');
    expect(result.lines.map((l) => l.text)).toEqual(['a', 'a', 'b']);
    const [tl, , br] = result.lines[0]!.box;
    // The box covers the band (grown by unclip) and stays inside the image.
    expect(tl[0]).toBeLessThanOrEqual(20);
    expect(tl[1]).toBeLessThanOrEqual(30);
    expect(br[0]).toBeGreaterThanOrEqual(300);
    expect(br[1]).toBeGreaterThanOrEqual(50);
    expect(Math.min(...result.lines.flatMap((l) => l.box.flat()))).toBeGreaterThanOrEqual(0);
    // Detection ran on the padded image.
    const pad = detectionPadding(400, 200);
    expect(det.calls[0]?.dims).toEqual([1, 3, Math.round((200 + 2 * pad) / 32) * 32, Math.round((400 + 2 * pad) / 32) * 32]);
  });

  it('falls back to recognition-only when nothing is detected', async () => {
    const det = new FakeSession((x) => ({ type: 'float32', data: new Float32Array(x.dims[2]! * x.dims[3]!), dims: [1, 1, x.dims[2]!, x.dims[3]!] }));
    const rec = levelRecognizer();
    const img = page(300, 30, [[5, 5, 290, 25, 0]]);
    const result = await new PpocrPipeline({ det, rec, charset, tensor: fakeTensor }).recognizeRgb(img);
    expect(result.text).toBe('a');
    expect(result.lines[0]?.box).toEqual([
      [0, 0],
      [299, 0],
      [299, 29],
      [0, 29],
    ]);
    expect(rec.calls).toHaveLength(1);
  });

  it('reads a tight one-line crop whole instead of through its detected box', async () => {
    const rec = levelRecognizer();
    const img = page(300, 24, [[2, 2, 297, 21, 90]]);
    const result = await new PpocrPipeline({ det: thresholdDetector(), rec, charset, tensor: fakeTensor }).recognizeRgb(img);
    expect(result.text).toBe('b');
    // One recognition call, on the whole 300×24 image (ratio 12.5 → 600 wide).
    expect(rec.calls.map((c) => c.dims)).toEqual([[1, 3, 48, 600]]);
  });

  it('drops lines under drop_score', async () => {
    const img = page(400, 200, [[20, 30, 300, 50, 0]]);
    const pipeline = new PpocrPipeline({ det: thresholdDetector(), rec: levelRecognizer(0.4), charset, tensor: fakeTensor });
    expect(await pipeline.recognizeRgb(img)).toEqual({ text: '', lines: [] });
  });

  it('turns crops the classifier calls upside down before recognition', async () => {
    // One line, black on the left half and grey on the right.
    const img = page(400, 200, [
      [20, 30, 160, 50, 0],
      [161, 30, 300, 50, 90],
    ]);
    const upsideDown = new FakeSession((x) => ({
      type: 'float32',
      data: Float32Array.from({ length: x.dims[0]! * 2 }, (_, i) => (i % 2 ? 0.99 : 0.01)),
      dims: [x.dims[0]!, 2],
    }));
    const firstInk: number[] = [];
    const rec = new FakeSession((x) => {
      // The ink a few pixels past the line's start, along the middle row (past interpolated edges).
      const w = x.dims[3]!;
      const row = x.data.subarray(24 * w, 25 * w) as Float32Array;
      firstInk.push(row[row.findIndex((v) => v < 0) + 4]!);
      return recOutput(x.dims[0]!, w / 8, 5, (_, t) => (t === 1 ? 1 : 0));
    });
    await new PpocrPipeline({ det: thresholdDetector(), cls: upsideDown, rec, charset, tensor: fakeTensor }).recognizeRgb(img);
    await new PpocrPipeline({ det: thresholdDetector(), cls: upsideDown, rec, charset, tensor: fakeTensor }, { useAngleCls: false }).recognizeRgb(img);
    expect(upsideDown.calls).toHaveLength(1);
    // Turned: the line starts with the grey half; as is: with the black half.
    expect(firstInk[0]).toBeCloseTo((90 / 255 - 0.5) / 0.5, 1);
    expect(firstInk[1]).toBeCloseTo(-1, 1);
  });

  it('gives a weak line a second reading turned 180° when the classifier missed it', async () => {
    const img = page(400, 200, [
      [20, 30, 160, 50, 0],
      [161, 30, 300, 50, 90],
    ]);
    const neverTurns = new FakeSession((x) => ({
      type: 'float32',
      data: Float32Array.from({ length: x.dims[0]! * 2 }, (_, i) => (i % 2 ? 0.01 : 0.99)),
      dims: [x.dims[0]!, 2],
    }));
    // Reads "c" confidently only when the line starts with the grey half (i.e. turned).
    const rec = new FakeSession((x) => {
      const w = x.dims[3]!;
      const row = x.data.subarray(24 * w, 25 * w) as Float32Array;
      const turned = row[row.findIndex((v) => v < 0) + 4]! > -0.5;
      const out = recOutput(x.dims[0]!, w / 8, 5, (_, t) => (t === 1 ? 3 : 0));
      if (!turned) (out.data as Float32Array).forEach((v, i, a) => (a[i] = Math.abs(v - 0.9) < 1e-6 ? 0.3 : v));
      return out;
    });
    const r = await new PpocrPipeline({ det: thresholdDetector(), cls: neverTurns, rec, charset, tensor: fakeTensor }).recognizeRgb(img);
    expect(r.text).toBe('c');
    expect(r.lines[0]?.confidence).toBeCloseTo(0.9, 5);
    expect(rec.calls).toHaveLength(2);
  });

  it('honours an abort signal', async () => {
    const pipeline = new PpocrPipeline({ det: thresholdDetector(), rec: levelRecognizer(), charset, tensor: fakeTensor });
    await expect(pipeline.recognizeRgb(page(50, 50, []), { signal: AbortSignal.abort(new Error('gone')) })).rejects.toThrow('gone');
  });
});
