import { distance, type Point, type Quad } from './min-area-rect.js';
import { rotate90CounterClockwise, type RgbImage } from './rgb-image.js';

/**
 * Solves the homography that maps the destination rectangle corners onto the
 * source quad (the inverse of `cv2.getPerspectiveTransform(quad, rect)`), so
 * that each output pixel can look up where it comes from.
 */
export function homography(from: readonly Point[], to: readonly Point[]): number[] {
  // 8 unknowns h0..h7 (h8 = 1): for each pair, two linear equations.
  const a: number[][] = [];
  for (let i = 0; i < 4; i++) {
    const [x, y] = from[i]!;
    const [u, v] = to[i]!;
    a.push([x, y, 1, 0, 0, 0, -u * x, -u * y, u]);
    a.push([0, 0, 0, x, y, 1, -v * x, -v * y, v]);
  }
  // Gaussian elimination with partial pivoting on the 8×9 augmented matrix.
  for (let c = 0; c < 8; c++) {
    let pivot = c;
    for (let r = c + 1; r < 8; r++) if (Math.abs(a[r]![c]!) > Math.abs(a[pivot]![c]!)) pivot = r;
    if (Math.abs(a[pivot]![c]!) < 1e-12) throw new RangeError('Degenerate quadrilateral: no perspective transform');
    [a[c], a[pivot]] = [a[pivot]!, a[c]!];
    const row = a[c]!;
    for (let r = 0; r < 8; r++) {
      if (r === c) continue;
      const f = a[r]![c]! / row[c]!;
      if (f === 0) continue;
      for (let k = c; k < 9; k++) a[r]![k]! -= f * row[k]!;
    }
  }
  const h = a.map((row, i) => row[8]! / row[i]!);
  h.push(1);
  return h;
}

// OpenCV's bicubic kernel (A = -0.75).
function cubicWeights(t: number, w: Float64Array): void {
  const A = -0.75;
  const x0 = t + 1;
  const x1 = t;
  const x2 = 1 - t;
  w[0] = ((A * x0 - 5 * A) * x0 + 8 * A) * x0 - 4 * A;
  w[1] = ((A + 2) * x1 - (A + 3)) * x1 * x1 + 1;
  w[2] = ((A + 2) * x2 - (A + 3)) * x2 * x2 + 1;
  w[3] = 1 - w[0] - w[1] - w[2];
}

/**
 * Cuts a text region out upright (PaddleOCR's `get_rotate_crop_image`): the
 * output is as wide as the longer of the top/bottom edges and as tall as the
 * longer of the left/right edges, sampled with bicubic interpolation and
 * replicated borders; crops at least 1.5× taller than wide are turned 90°
 * counter-clockwise, since they hold vertical text read sideways.
 */
export function perspectiveCrop(img: RgbImage, quad: Quad): RgbImage {
  const outW = Math.max(1, Math.trunc(Math.max(distance(quad[0], quad[1]), distance(quad[2], quad[3]))));
  const outH = Math.max(1, Math.trunc(Math.max(distance(quad[0], quad[3]), distance(quad[1], quad[2]))));
  const rect: Point[] = [
    [0, 0],
    [outW, 0],
    [outW, outH],
    [0, outH],
  ];
  const h = homography(rect, quad);
  const { width: w, height: hgt, data: src } = img;
  const out = new Uint8Array(outW * outH * 3);
  const wx = new Float64Array(4);
  const wy = new Float64Array(4);
  const xs = new Int32Array(4);
  const ys = new Int32Array(4);
  let o = 0;
  for (let y = 0; y < outH; y++) {
    for (let x = 0; x < outW; x++) {
      const den = h[6]! * x + h[7]! * y + h[8]!;
      const sx = (h[0]! * x + h[1]! * y + h[2]!) / den;
      const sy = (h[3]! * x + h[4]! * y + h[5]!) / den;
      const ix = Math.floor(sx);
      const iy = Math.floor(sy);
      cubicWeights(sx - ix, wx);
      cubicWeights(sy - iy, wy);
      for (let k = 0; k < 4; k++) {
        xs[k] = Math.min(Math.max(ix - 1 + k, 0), w - 1) * 3;
        ys[k] = Math.min(Math.max(iy - 1 + k, 0), hgt - 1) * w * 3;
      }
      for (let c = 0; c < 3; c++) {
        let acc = 0;
        for (let j = 0; j < 4; j++) {
          const row = ys[j]! + c;
          acc += wy[j]! * (wx[0]! * src[row + xs[0]!]! + wx[1]! * src[row + xs[1]!]! + wx[2]! * src[row + xs[2]!]! + wx[3]! * src[row + xs[3]!]!);
        }
        out[o++] = acc < 0 ? 0 : acc > 255 ? 255 : Math.round(acc);
      }
    }
  }
  const crop: RgbImage = { width: outW, height: outH, data: out };
  return outH / outW >= 1.5 ? rotate90CounterClockwise(crop) : crop;
}
