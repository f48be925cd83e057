import type { RgbImage } from './rgb-image.js';

/**
 * Writes an image into a float CHW plane set in BGR channel order, as
 * PaddleOCR's models were trained on OpenCV (BGR) images: channel k gets
 * `(value / 255 - mean[k]) / std[k]` with the image's B, G, R in k = 0, 1, 2.
 * The image fills the left `img.width` columns of planes `planeWidth` wide;
 * the rest is left untouched (zero in a fresh buffer, i.e. PaddleOCR's padding).
 */
export function writeChwBgr(
  img: RgbImage,
  out: Float32Array,
  offset: number,
  planeWidth: number,
  mean: readonly [number, number, number],
  std: readonly [number, number, number],
): void {
  const { width, height, data } = img;
  const plane = planeWidth * height;
  for (const k of [0, 1, 2] as const) {
    // BGR: plane k reads RGB channel 2 - k.
    const ch = 2 - k;
    const scale = 1 / (255 * std[k]);
    const shift = mean[k] / std[k];
    const base = offset + k * plane;
    for (let y = 0; y < height; y++) {
      const row = base + y * planeWidth;
      let s = y * width * 3 + ch;
      for (let x = 0; x < width; x++, s += 3) out[row + x] = data[s]! * scale - shift;
    }
  }
}
