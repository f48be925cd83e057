import { distance, minAreaRect, orderMiniBox, rectCorners, type Point, type Quad } from './min-area-rect.js';

/** Settings of DB post-processing; defaults are PaddleOCR's inference defaults for PP-OCRv4. */
export interface DbPostProcessOptions {
  /** Probability above which a pixel is text (`det_db_thresh`). */
  readonly thresh?: number;
  /** Minimum mean probability inside a box (`det_db_box_thresh`). */
  readonly boxThresh?: number;
  /** How far to grow each box: area × ratio ÷ perimeter (`det_db_unclip_ratio`). */
  readonly unclipRatio?: number;
  /** At most this many regions are considered (`max_candidates`). */
  readonly maxCandidates?: number;
}

/** One detected text region in source-image pixels. */
export interface DetectedBox {
  /** Corners: top-left, top-right, bottom-right, bottom-left. */
  readonly box: Quad;
  /** Mean probability inside the region before it was grown. */
  readonly score: number;
}

const MIN_SIZE = 3;

/**
 * 8-connected components of `prob > thresh`, each reduced to the leftmost and
 * rightmost pixel of every row it covers. Those extremes have the same convex
 * hull as the whole component, which is all `minAreaRect` needs, so the
 * contour tracing that OpenCV's `findContours` does is unnecessary. Hole
 * contours (which `RETR_LIST` also returns) are not produced: they only ever
 * yielded boxes inside text that the score or size filters then had to drop.
 */
export function textComponents(prob: Float32Array, width: number, height: number, thresh: number): Point[][] {
  // Checked once so the per-pixel reads below need no check each.
  if (prob.length < width * height) throw new RangeError(`probability map holds ${prob.length} values, fewer than ${width}×${height}`);
  // Run-length labelling with union-find: a few runs per row instead of a
  // label per pixel keeps this linear and allocation-light on 960×960 maps.
  const runStart: number[] = [];
  const runEnd: number[] = [];
  const runRow: number[] = [];
  const parent: number[] = [];
  const find = (i: number): number => {
    while (parent[i] !== i) {
      parent[i] = parent[parent[i]!]!;
      i = parent[i]!;
    }
    return i;
  };
  let prevFirst = 0;
  let prevLast = 0;
  for (let y = 0; y < height; y++) {
    const rowFirst = runStart.length;
    const base = y * width;
    let x = 0;
    while (x < width) {
      if (prob[base + x]! <= thresh) {
        x++;
        continue;
      }
      const start = x;
      while (x < width && prob[base + x]! > thresh) x++;
      const id = runStart.length;
      runStart.push(start);
      runEnd.push(x - 1);
      runRow.push(y);
      parent.push(id);
      for (let p = prevFirst; p < prevLast; p++) {
        // 8-connectivity: diagonal neighbours touch too.
        if (runEnd[p]! >= start - 1 && runStart[p]! <= x) {
          const a = find(p);
          const b = find(id);
          if (a !== b) parent[Math.max(a, b)] = Math.min(a, b);
        }
      }
    }
    prevFirst = rowFirst;
    prevLast = runStart.length;
  }
  const byRoot = new Map<number, Point[]>();
  for (let i = 0; i < runStart.length; i++) {
    const root = find(i);
    let pts = byRoot.get(root);
    if (!pts) byRoot.set(root, (pts = []));
    pts.push([runStart[i]!, runRow[i]!]);
    if (runEnd[i] !== runStart[i]) pts.push([runEnd[i]!, runRow[i]!]);
  }
  return [...byRoot.values()];
}

/**
 * Mean probability inside a quadrilateral (PaddleOCR's `box_score_fast`):
 * the polygon is rasterised within its clipped bounding box after the same
 * integer truncation of its corners.
 */
export function boxScoreFast(prob: Float32Array, width: number, height: number, box: readonly Point[]): number {
  if (prob.length < width * height) throw new RangeError(`probability map holds ${prob.length} values, fewer than ${width}×${height}`);
  const clamp = (v: number, hi: number): number => Math.min(Math.max(v, 0), hi);
  const xs = box.map((p) => p[0]);
  const ys = box.map((p) => p[1]);
  const xmin = clamp(Math.floor(Math.min(...xs)), width - 1);
  const xmax = clamp(Math.ceil(Math.max(...xs)), width - 1);
  const ymin = clamp(Math.floor(Math.min(...ys)), height - 1);
  const ymax = clamp(Math.ceil(Math.max(...ys)), height - 1);
  const poly = box.map((p): Point => [Math.trunc(p[0] - xmin), Math.trunc(p[1] - ymin)]);
  let sum = 0;
  let count = 0;
  for (let y = 0; y <= ymax - ymin; y++) {
    let lo = Infinity;
    let hi = -Infinity;
    for (let i = 0; i < poly.length; i++) {
      const a = poly[i]!;
      const b = poly[(i + 1) % poly.length]!;
      if (y < Math.min(a[1], b[1]) || y > Math.max(a[1], b[1])) continue;
      if (a[1] === b[1]) {
        lo = Math.min(lo, a[0], b[0]);
        hi = Math.max(hi, a[0], b[0]);
      } else {
        const x = a[0] + ((y - a[1]) * (b[0] - a[0])) / (b[1] - a[1]);
        lo = Math.min(lo, x);
        hi = Math.max(hi, x);
      }
    }
    if (lo > hi) continue;
    const from = Math.max(Math.round(lo), 0);
    const to = Math.min(Math.round(hi), xmax - xmin);
    const row = (y + ymin) * width + xmin;
    for (let x = from; x <= to; x++) {
      sum += prob[row + x]!;
      count++;
    }
  }
  return count === 0 ? 0 : sum / count;
}

/**
 * DB post-processing (PaddleOCR `DBPostProcess`, `box_type='quad'`,
 * `score_mode='fast'`) plus the filter of `predict_det.filter_tag_det_res`.
 * `prob` is the detector's [H, W] probability map for an image that was
 * resized from `destWidth × destHeight`; boxes come back in those source pixels.
 */
export function dbPostProcess(
  prob: Float32Array,
  mapWidth: number,
  mapHeight: number,
  destWidth: number,
  destHeight: number,
  opts: DbPostProcessOptions = {},
): DetectedBox[] {
  const thresh = opts.thresh ?? 0.3;
  const boxThresh = opts.boxThresh ?? 0.6;
  const unclipRatio = opts.unclipRatio ?? 1.5;
  const maxCandidates = opts.maxCandidates ?? 1000;
  const out: DetectedBox[] = [];
  for (const component of textComponents(prob, mapWidth, mapHeight, thresh).slice(0, maxCandidates)) {
    const rect = minAreaRect(component);
    if (Math.min(rect.width, rect.height) < MIN_SIZE) continue;
    const mini = orderMiniBox(rectCorners(rect));
    const score = boxScoreFast(prob, mapWidth, mapHeight, mini);
    if (score < boxThresh) continue;
    // The mini box is a rectangle, and pyclipper's round-join offset of a
    // rectangle by d has, as its own minimum-area rectangle, the rectangle
    // grown by d on every side: so the two steps reduce to this.
    const area = rect.width * rect.height;
    const perimeter = 2 * (rect.width + rect.height);
    const d = (area * unclipRatio) / perimeter;
    const grown = { ...rect, width: rect.width + 2 * d, height: rect.height + 2 * d };
    if (Math.min(grown.width, grown.height) < MIN_SIZE + 2) continue;
    const scaled = orderMiniBox(rectCorners(grown)).map((p): Point => [
      Math.min(Math.max(Math.round((p[0] / mapWidth) * destWidth), 0), destWidth),
      Math.min(Math.max(Math.round((p[1] / mapHeight) * destHeight), 0), destHeight),
    ]);
    // filter_tag_det_res: clip into the image, drop slivers.
    const clipped = scaled.map((p): Point => [Math.min(p[0], destWidth - 1), Math.min(p[1], destHeight - 1)]) as unknown as Quad;
    if (Math.trunc(distance(clipped[0], clipped[1])) <= 3 || Math.trunc(distance(clipped[0], clipped[3])) <= 3) continue;
    out.push({ box: clipped, score });
  }
  return out;
}
