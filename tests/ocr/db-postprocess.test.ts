import { describe, expect, it } from 'vitest';
import { boxScoreFast, dbPostProcess, textComponents } from '../../experts/ocr/db-postprocess.js';

function map(width: number, height: number, fill: (x: number, y: number) => number): Float32Array {
  const m = new Float32Array(width * height);
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) m[y * width + x] = fill(x, y);
  return m;
}
const inRect = (x: number, y: number, x0: number, y0: number, x1: number, y1: number): boolean => x >= x0 && x <= x1 && y >= y0 && y <= y1;

describe('textComponents', () => {
  it('joins diagonal neighbours (8-connectivity) and separates disjoint regions', () => {
    const m = map(10, 10, (x, y) => ((x === y && x < 4) || inRect(x, y, 7, 7, 9, 9) ? 1 : 0));
    const comps = textComponents(m, 10, 10, 0.3);
    expect(comps).toHaveLength(2);
  });

  it('handles U shapes whose arms join lower down', () => {
    const m = map(10, 6, (x, y) => (((x === 1 || x === 8) && y < 5) || (y === 5 && x >= 1 && x <= 8) ? 1 : 0));
    expect(textComponents(m, 10, 6, 0.3)).toHaveLength(1);
  });
});

describe('dbPostProcess', () => {
  it('grows a region by area × ratio ÷ perimeter on every side (PaddleOCR unclip)', () => {
    // Pixels x 10..59, y 20..29: minAreaRect through centres is 49 × 9.
    const m = map(100, 50, (x, y) => (inRect(x, y, 10, 20, 59, 29) ? 0.9 : 0));
    const [det, ...rest] = dbPostProcess(m, 100, 50, 100, 50, { unclipRatio: 1.5 });
    expect(rest).toHaveLength(0);
    // d = 49·9·1.5 / (2·58) = 5.703; 34.5 ± 30.203, 24.5 ± 10.203, rounded.
    expect(det!.box).toEqual([
      [4, 14],
      [65, 14],
      [65, 35],
      [4, 35],
    ]);
    expect(det!.score).toBeCloseTo(0.9, 5);
  });

  it('scales boxes from the map to the source image and clips them', () => {
    const m = map(64, 32, (x, y) => (inRect(x, y, 2, 10, 40, 20) ? 1 : 0));
    const [det] = dbPostProcess(m, 64, 32, 128, 64);
    for (const [x, y] of det!.box) {
      expect(x).toBeGreaterThanOrEqual(0);
      expect(x).toBeLessThanOrEqual(127);
      expect(y).toBeGreaterThanOrEqual(0);
      expect(y).toBeLessThanOrEqual(63);
    }
    expect(det!.box[1][0] - det!.box[0][0]).toBeGreaterThan(2 * 38);
  });

  it('drops regions thinner than min_size and regions scoring under box_thresh', () => {
    const m = map(100, 60, (x, y) => {
      if (inRect(x, y, 5, 5, 80, 6)) return 1; // 2 px tall → side 1 < 3
      if (inRect(x, y, 5, 20, 80, 30)) return 0.5; // above thresh 0.3, below box_thresh 0.6
      if (inRect(x, y, 5, 40, 80, 50)) return 0.8;
      return 0;
    });
    const dets = dbPostProcess(m, 100, 60, 100, 60);
    expect(dets).toHaveLength(1);
    expect(dets[0]?.score).toBeCloseTo(0.8, 5);
    expect(dbPostProcess(m, 100, 60, 100, 60, { boxThresh: 0.4 })).toHaveLength(2);
  });

  it('returns rotated boxes for slanted text', () => {
    const m = map(200, 200, (x, y) => {
      // A band along y = x/2 + 40, 8 px thick.
      const d = y - (x / 2 + 40);
      return x > 20 && x < 180 && d >= 0 && d < 8 ? 1 : 0;
    });
    const [det] = dbPostProcess(m, 200, 200, 200, 200);
    const [tl, tr] = det!.box;
    const slope = (tr[1] - tl[1]) / (tr[0] - tl[0]);
    expect(slope).toBeCloseTo(0.5, 1);
  });
});

describe('boxScoreFast', () => {
  it('averages the map inside the polygon only', () => {
    const m = map(20, 20, (x) => (x < 10 ? 1 : 0));
    expect(
      boxScoreFast(m, 20, 20, [
        [0, 0],
        [9, 0],
        [9, 9],
        [0, 9],
      ]),
    ).toBe(1);
    expect(
      boxScoreFast(m, 20, 20, [
        [0, 0],
        [19, 0],
        [19, 9],
        [0, 9],
      ]),
    ).toBeCloseTo(0.5, 5);
  });
});
