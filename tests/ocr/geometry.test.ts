import { describe, expect, it } from 'vitest';
import { convexHull, minAreaRect, orderMiniBox, rectCorners, type Point } from '../../experts/ocr/min-area-rect.js';
import { readingOrder } from '../../experts/ocr/reading-order.js';
import type { Quad } from '../../experts/ocr/min-area-rect.js';

describe('convexHull / minAreaRect', () => {
  it('drops interior and collinear points', () => {
    const hull = convexHull([
      [0, 0],
      [2, 0],
      [4, 0],
      [4, 3],
      [0, 3],
      [2, 1],
    ]);
    expect(hull).toHaveLength(4);
  });

  it('finds an axis-aligned rectangle through pixel centres, like cv2.minAreaRect', () => {
    const pts: Point[] = [];
    for (let y = 20; y <= 29; y++) pts.push([10, y], [59, y]);
    const r = minAreaRect(pts);
    expect([Math.max(r.width, r.height), Math.min(r.width, r.height)]).toEqual([49, 9]);
    expect(r.center[0]).toBeCloseTo(34.5);
    expect(r.center[1]).toBeCloseTo(24.5);
  });

  it('finds a rotated rectangle exactly', () => {
    const a = Math.PI / 6;
    const [ux, uy] = [Math.cos(a), Math.sin(a)];
    const rect = { center: [100, 80] as const, width: 60, height: 10, axis: [ux, uy] as const };
    const r = minAreaRect(rectCorners(rect));
    expect(r.width * r.height).toBeCloseTo(600, 6);
    expect(Math.max(r.width, r.height)).toBeCloseTo(60, 6);
  });

  it('orders corners as get_mini_boxes: top-left, top-right, bottom-right, bottom-left', () => {
    const q = orderMiniBox([
      [50, 30],
      [10, 10],
      [10, 30],
      [50, 10],
    ]);
    expect(q).toEqual([
      [10, 10],
      [50, 10],
      [50, 30],
      [10, 30],
    ]);
  });
});

describe('readingOrder', () => {
  const box = (x: number, y: number, w: number, h: number): Quad => [
    [x, y],
    [x + w, y],
    [x + w, y + h],
    [x, y + h],
  ];

  it('reads rows top to bottom and boxes left to right', () => {
    const boxes = [box(300, 100, 80, 20), box(10, 12, 100, 20), box(10, 100, 200, 24), box(150, 10, 90, 26)];
    expect(readingOrder(boxes).rows).toEqual([
      [1, 3],
      [2, 0],
    ]);
  });

  it('keeps a taller box on the same row (PaddleOCR sorted_boxes would split it)', () => {
    // Top corners 14 px apart: beyond sorted_boxes' 10 px tolerance, same line.
    const boxes = [box(200, 0, 100, 40), box(10, 14, 150, 24)];
    expect(readingOrder(boxes).rows).toEqual([[1, 0]]);
  });

  it('does not merge close but separate lines', () => {
    const boxes = [box(10, 0, 300, 20), box(10, 22, 300, 20), box(10, 44, 300, 20)];
    expect(readingOrder(boxes).rows).toEqual([[0], [1], [2]]);
  });
});
