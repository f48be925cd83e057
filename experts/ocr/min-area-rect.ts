/** A 2-D point `[x, y]` in pixels. */
export type Point = readonly [number, number];

/** Four corners: top-left, top-right, bottom-right, bottom-left. */
export type Quad = readonly [Point, Point, Point, Point];

/** A rotated rectangle, like OpenCV's `RotatedRect`. */
export interface RotatedRect {
  /** Centre `[x, y]`. */
  readonly center: Point;
  /** Side along `axis`, in pixels. */
  readonly width: number;
  /** Side perpendicular to `axis`, in pixels. */
  readonly height: number;
  /** Unit vector of the `width` side. */
  readonly axis: Point;
}

/** Convex hull by Andrew's monotone chain; counter-clockwise in y-down terms, no collinear points. */
export function convexHull(points: readonly Point[]): Point[] {
  const pts = [...points].sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  if (pts.length < 3) return pts;
  const cross = (o: Point, a: Point, b: Point): number => (a[0] - o[0]) * (b[1] - o[1]) - (a[1] - o[1]) * (b[0] - o[0]);
  const lower: Point[] = [];
  for (const p of pts) {
    while (lower.length >= 2 && cross(lower[lower.length - 2]!, lower[lower.length - 1]!, p) <= 0) lower.pop();
    lower.push(p);
  }
  const upper: Point[] = [];
  for (const p of pts.toReversed()) {
    while (upper.length >= 2 && cross(upper[upper.length - 2]!, upper[upper.length - 1]!, p) <= 0) upper.pop();
    upper.push(p);
  }
  lower.pop();
  upper.pop();
  return lower.concat(upper);
}

/**
 * The minimum-area enclosing rectangle (OpenCV's `minAreaRect`): one side of
 * the optimum lies on a hull edge, so trying every edge of the hull is exact.
 */
export function minAreaRect(points: readonly Point[]): RotatedRect {
  if (points.length === 0) throw new RangeError('minAreaRect needs at least one point');
  const hull = convexHull(points);
  if (hull.length === 1) return { center: hull[0]!, width: 0, height: 0, axis: [1, 0] };
  let best: RotatedRect | undefined;
  let bestArea = Infinity;
  for (let i = 0; i < hull.length; i++) {
    const a = hull[i]!;
    const b = hull[(i + 1) % hull.length]!;
    const len = Math.hypot(b[0] - a[0], b[1] - a[1]);
    if (len === 0) continue;
    const ux = (b[0] - a[0]) / len;
    const uy = (b[1] - a[1]) / len;
    let minU = Infinity;
    let maxU = -Infinity;
    let minV = Infinity;
    let maxV = -Infinity;
    for (const p of hull) {
      const u = p[0] * ux + p[1] * uy;
      const v = -p[0] * uy + p[1] * ux;
      if (u < minU) minU = u;
      if (u > maxU) maxU = u;
      if (v < minV) minV = v;
      if (v > maxV) maxV = v;
    }
    const area = (maxU - minU) * (maxV - minV);
    if (area < bestArea - 1e-9) {
      bestArea = area;
      const cu = (minU + maxU) / 2;
      const cv = (minV + maxV) / 2;
      best = {
        center: [cu * ux - cv * uy, cu * uy + cv * ux],
        width: maxU - minU,
        height: maxV - minV,
        axis: [ux, uy],
      };
    }
  }
  return best!;
}

/** The four corners of a rotated rectangle (any order). */
export function rectCorners(rect: RotatedRect): Point[] {
  const [cx, cy] = rect.center;
  const [ux, uy] = rect.axis;
  const hw = rect.width / 2;
  const hh = rect.height / 2;
  // v axis is u rotated by +90° in y-down coordinates.
  const vx = -uy;
  const vy = ux;
  return [
    [cx - ux * hw - vx * hh, cy - uy * hw - vy * hh],
    [cx + ux * hw - vx * hh, cy + uy * hw - vy * hh],
    [cx + ux * hw + vx * hh, cy + uy * hw + vy * hh],
    [cx - ux * hw + vx * hh, cy - uy * hw + vy * hh],
  ];
}

/**
 * Orders rectangle corners as PaddleOCR's `get_mini_boxes` does: sort by x,
 * then the upper of the two leftmost is top-left and the upper of the two
 * rightmost is top-right. Ties resolve the same way as the reference.
 */
export function orderMiniBox(corners: readonly Point[]): Quad {
  const [p0, p1, p2, p3] = [...corners].sort((a, b) => a[0] - b[0]);
  if (p3 === undefined || corners.length !== 4) throw new RangeError(`orderMiniBox needs 4 corners (got ${corners.length})`);
  // p0..p2 exist since p3 does.
  const [tl, bl] = p1![1] > p0![1] ? [p0!, p1!] : [p1!, p0!];
  const [tr, br] = p3[1] > p2![1] ? [p2!, p3] : [p3, p2!];
  return [tl, tr, br, bl];
}

/** Euclidean distance. */
export function distance(a: Point, b: Point): number {
  return Math.hypot(a[0] - b[0], a[1] - b[1]);
}
