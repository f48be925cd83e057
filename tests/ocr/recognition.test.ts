import { describe, expect, it } from 'vitest';
import { ctcCharset, ctcGreedyDecode } from '../../experts/ocr/ctc-greedy-decode.js';
import { rgbImage, type RgbImage } from '../../experts/ocr/rgb-image.js';
import { classifyAngles } from '../../experts/ocr/text-angle-classifier.js';
import { lineBatchInput, recognizeCrops } from '../../experts/ocr/text-recognizer.js';
import { FakeSession, fakeTensor, recOutput } from './fake-session.js';

const charset = ctcCharset('a\nb\nc\n');
const solid = (w: number, h: number, v: number): RgbImage => rgbImage(w, h, new Uint8Array(w * h * 3).fill(v));

describe('ctcCharset', () => {
  it('is blank + keys + space, with or without a final newline, CRLF stripped', () => {
    expect(charset).toEqual(['', 'a', 'b', 'c', ' ']);
    expect(ctcCharset('a\r\nb')).toEqual(['', 'a', 'b', ' ']);
  });
});

describe('ctcGreedyDecode', () => {
  it('merges repeats, drops blanks, keeps repeats separated by a blank', () => {
    // a a _ a b b _ _ space c  →  "aab c"
    const seq = [1, 1, 0, 1, 2, 2, 0, 0, 4, 3];
    const out = recOutput(1, seq.length, 5, (_, t) => seq[t]!);
    const [d] = ctcGreedyDecode(out.data as Float32Array, out.dims, charset);
    expect(d!.text).toBe('aab c');
    expect(d!.confidence).toBeCloseTo(0.9, 5);
  });

  it('gives confidence 0 for an all-blank line', () => {
    const out = recOutput(1, 4, 5, () => 0);
    expect(ctcGreedyDecode(out.data as Float32Array, out.dims, charset)[0]).toEqual({ text: '', confidence: 0 });
  });

  it('refuses a model whose class count does not match the key file', () => {
    const out = recOutput(1, 2, 7, () => 0);
    expect(() => ctcGreedyDecode(out.data as Float32Array, out.dims, charset)).toThrow(/7 classes/);
  });
});

describe('lineBatchInput (resize_norm_img)', () => {
  it('keeps the aspect ratio at height 48, scales to [-1, 1], pads zeros on the right', () => {
    const input = lineBatchInput([solid(20, 10, 255)], 48, 320);
    // 20×10 → 96×48: columns 0..95 are 1, the rest 0.
    expect(input[95]).toBe(1);
    expect(input[96]).toBe(0);
    expect(input.length).toBe(3 * 48 * 320);
  });
});

describe('recognizeCrops', () => {
  it('batches by aspect ratio, never narrower than 320, and returns results in input order', async () => {
    // Each crop's grey level tells the fake which text it is.
    const crops = [solid(400, 20, 10), solid(30, 30, 20), solid(100, 20, 30)];
    const rec = new FakeSession((x) => {
      const [n, , , w] = x.dims as [number, number, number, number];
      const per = 3 * 48 * w;
      return recOutput(n, w / 8, 5, (b, t) => {
        const level = Math.round(((x.data[b * per] as number) * 0.5 + 0.5) * 255);
        return t === 0 ? level / 10 : 0;
      });
    });
    const out = await recognizeCrops(rec, fakeTensor, crops, charset, { batchSize: 2 });
    expect(out.map((d) => d.text)).toEqual(['a', 'b', 'c']);
    // Sorted by ratio: [30×30, 100×20] then [400×20].
    expect(rec.calls.map((c) => c.dims)).toEqual([
      [2, 3, 48, 320],
      [1, 3, 48, 960],
    ]);
  });

  it('caps a batch by total columns', async () => {
    const rec = new FakeSession((x) => recOutput(x.dims[0]!, x.dims[3]! / 8, 5, () => 0));
    // Ratio 10 → 480 columns each: two fit in 1024, three do not.
    await recognizeCrops(rec, fakeTensor, [solid(200, 20, 0), solid(200, 20, 0), solid(200, 20, 0)], charset);
    expect(rec.calls.map((c) => c.dims[0])).toEqual([2, 1]);
    rec.calls.length = 0;
    await recognizeCrops(rec, fakeTensor, [solid(200, 20, 0), solid(200, 20, 0), solid(200, 20, 0)], charset, { maxBatchColumns: Infinity });
    expect(rec.calls.map((c) => c.dims[0])).toEqual([3]);
  });

  it('stops between batches when aborted', async () => {
    const ac = new AbortController();
    const rec = new FakeSession((x) => {
      ac.abort(new Error('stop'));
      return recOutput(x.dims[0]!, 40, 5, () => 0);
    });
    await expect(recognizeCrops(rec, fakeTensor, [solid(10, 10, 0), solid(10, 10, 0)], charset, { batchSize: 1, signal: ac.signal })).rejects.toThrow('stop');
    expect(rec.calls).toHaveLength(1);
  });
});

describe('classifyAngles', () => {
  it('turns only crops whose 180 label beats the threshold', async () => {
    const crops = [solid(10, 10, 1), solid(10, 10, 2), solid(10, 10, 3)];
    const probs = [0.1, 0.95, 0.85];
    const cls = new FakeSession((x) => ({
      type: 'float32',
      data: Float32Array.from(probs.flatMap((p) => [1 - p, p])),
      dims: [x.dims[0]!, 2],
    }));
    const { crops: out, decisions } = await classifyAngles(cls, fakeTensor, crops);
    expect(decisions.map((d) => d.rotated)).toEqual([false, true, false]);
    expect(out[0]).toBe(crops[0]);
    expect(out[1]).not.toBe(crops[1]);
    expect(cls.calls[0]?.dims).toEqual([3, 3, 48, 192]);
  });
});
