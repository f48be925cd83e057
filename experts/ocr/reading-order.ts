import type { Quad } from './min-area-rect.js';

/** Boxes arranged as the text is read. */
export interface ReadingOrder {
  /** Rows top to bottom, each the indices of its boxes left to right. */
  readonly rows: number[][];
}

/**
 * Groups boxes into rows and orders them for left-to-right, top-to-bottom
 * scripts. A box joins the row whose vertical extent it overlaps most, if that
 * overlap is at least half the smaller height. This replaces PaddleOCR's
 * `sorted_boxes` (a fixed 10-pixel tolerance on the top-left corner), which
 * splits one line into two when boxes of different heights sit side by side
 * and merges lines on small print.
 */
export function readingOrder(boxes: readonly Quad[]): ReadingOrder {
  const spans = boxes.map((b, i) => ({
    i,
    top: Math.min(b[0][1], b[1][1], b[2][1], b[3][1]),
    bottom: Math.max(b[0][1], b[1][1], b[2][1], b[3][1]),
    left: Math.min(b[0][0], b[3][0]),
  }));
  spans.sort((a, b) => a.top - b.top || a.left - b.left);
  const rows: { top: number; bottom: number; members: typeof spans }[] = [];
  for (const s of spans) {
    const h = s.bottom - s.top;
    let best: (typeof rows)[number] | undefined;
    let bestOverlap = 0;
    for (const row of rows) {
      const overlap = Math.min(s.bottom, row.bottom) - Math.max(s.top, row.top);
      const need = 0.5 * Math.min(h, row.bottom - row.top);
      if (overlap >= need && overlap > bestOverlap) {
        best = row;
        bestOverlap = overlap;
      }
    }
    if (best) {
      best.members.push(s);
      // The row's extent is the mean of its members, so one tall box cannot
      // make it swallow the lines above and below.
      best.top = best.members.reduce((a, m) => a + m.top, 0) / best.members.length;
      best.bottom = best.members.reduce((a, m) => a + m.bottom, 0) / best.members.length;
    } else {
      rows.push({ top: s.top, bottom: s.bottom, members: [s] });
    }
  }
  rows.sort((a, b) => a.top + a.bottom - (b.top + b.bottom));
  return { rows: rows.map((r) => r.members.sort((a, b) => a.left - b.left).map((m) => m.i)) };
}
