/**
 * A decoded image as the OCR pipeline handles it: 8-bit RGB, row-major,
 * interleaved. Every pre-processing step is a pure function over this shape so
 * that it can be tested without a decoder or a model.
 */
export interface RgbImage {
  /** Width in pixels. */
  readonly width: number;
  /** Height in pixels. */
  readonly height: number;
  /** `width * height * 3` bytes, R G B per pixel. */
  readonly data: Uint8Array;
}

/** Creates an image, checking that the buffer matches the size. */
export function rgbImage(width: number, height: number, data: Uint8Array): RgbImage {
  if (!Number.isInteger(width) || !Number.isInteger(height) || width <= 0 || height <= 0) {
    throw new RangeError(`Image size must be positive integers, got ${width}x${height}`);
  }
  if (data.length !== width * height * 3) {
    throw new RangeError(`RGB buffer has ${data.length} bytes, expected ${width * height * 3} for ${width}x${height}`);
  }
  return { width, height, data };
}

/**
 * Resizes like OpenCV's `cv2.resize(..., INTER_LINEAR)`: pixel centres are
 * aligned (`src = (dst + 0.5) * scale - 0.5`) and edges are replicated. No
 * anti-aliasing when shrinking, exactly as PaddleOCR's pre-processing does,
 * because the models were trained on images prepared that way.
 */
export function resizeBilinear(img: RgbImage, outWidth: number, outHeight: number): RgbImage {
  const { width: w, height: h, data: src } = img;
  const out = new Uint8Array(outWidth * outHeight * 3);
  const sx = w / outWidth;
  const sy = h / outHeight;
  // Horizontal taps are the same for every row: compute them once.
  const x0s = new Int32Array(outWidth);
  const x1s = new Int32Array(outWidth);
  const fxs = new Float32Array(outWidth);
  for (let x = 0; x < outWidth; x++) {
    let fx = (x + 0.5) * sx - 0.5;
    if (fx < 0) fx = 0;
    let x0 = Math.floor(fx);
    if (x0 > w - 1) x0 = w - 1;
    x0s[x] = x0 * 3;
    x1s[x] = Math.min(x0 + 1, w - 1) * 3;
    fxs[x] = Math.min(fx - x0, 1);
  }
  for (let y = 0; y < outHeight; y++) {
    let fy = (y + 0.5) * sy - 0.5;
    if (fy < 0) fy = 0;
    let y0 = Math.floor(fy);
    if (y0 > h - 1) y0 = h - 1;
    const y1 = Math.min(y0 + 1, h - 1);
    const wy = Math.min(fy - y0, 1);
    const r0 = y0 * w * 3;
    const r1 = y1 * w * 3;
    let o = y * outWidth * 3;
    for (let x = 0; x < outWidth; x++) {
      const a = x0s[x]!;
      const b = x1s[x]!;
      const wx = fxs[x]!;
      for (let c = 0; c < 3; c++) {
        const top = src[r0 + a + c]! + (src[r0 + b + c]! - src[r0 + a + c]!) * wx;
        const bot = src[r1 + a + c]! + (src[r1 + b + c]! - src[r1 + a + c]!) * wx;
        out[o++] = Math.round(top + (bot - top) * wy);
      }
    }
  }
  return { width: outWidth, height: outHeight, data: out };
}

/** Adds a border of one colour around the image. */
export function padImage(
  img: RgbImage,
  pad: { readonly top: number; readonly bottom: number; readonly left: number; readonly right: number },
  rgb: readonly [number, number, number],
): RgbImage {
  const width = img.width + pad.left + pad.right;
  const height = img.height + pad.top + pad.bottom;
  const out = new Uint8Array(width * height * 3);
  for (let i = 0; i < width * height; i++) {
    out[i * 3] = rgb[0];
    out[i * 3 + 1] = rgb[1];
    out[i * 3 + 2] = rgb[2];
  }
  const rowBytes = img.width * 3;
  for (let y = 0; y < img.height; y++) {
    out.set(img.data.subarray(y * rowBytes, (y + 1) * rowBytes), ((y + pad.top) * width + pad.left) * 3);
  }
  return { width, height, data: out };
}

/**
 * The median colour of the outermost pixel ring: the background of a tight
 * crop, so that padding looks like more of the page rather than a frame the
 * detector could mistake for an edge.
 */
export function borderColour(img: RgbImage): [number, number, number] {
  const { width: w, height: h, data } = img;
  const reds: number[] = [];
  const greens: number[] = [];
  const blues: number[] = [];
  const take = (x: number, y: number): void => {
    const i = (y * w + x) * 3;
    // (x, y) lies inside the image, so its three bytes exist.
    reds.push(data[i]!);
    greens.push(data[i + 1]!);
    blues.push(data[i + 2]!);
  };
  for (let x = 0; x < w; x++) {
    take(x, 0);
    if (h > 1) take(x, h - 1);
  }
  for (let y = 1; y < h - 1; y++) {
    take(0, y);
    if (w > 1) take(w - 1, y);
  }
  const median = (v: number[]): number => {
    v.sort((a, b) => a - b);
    const m = v[v.length >> 1];
    if (m === undefined) throw new RangeError(`borderColour of an empty ${w}×${h} image`);
    return m;
  };
  return [median(reds), median(greens), median(blues)];
}

/** Rotates by 180° (what the angle classifier's `180` label asks for). */
export function rotate180(img: RgbImage): RgbImage {
  const n = img.width * img.height;
  const out = new Uint8Array(n * 3);
  for (let i = 0; i < n; i++) {
    const j = (n - 1 - i) * 3;
    out[i * 3] = img.data[j]!;
    out[i * 3 + 1] = img.data[j + 1]!;
    out[i * 3 + 2] = img.data[j + 2]!;
  }
  return { width: img.width, height: img.height, data: out };
}

/** Rotates 90° counter-clockwise, like `np.rot90` (used for tall crops). */
export function rotate90CounterClockwise(img: RgbImage): RgbImage {
  const { width: w, height: h, data } = img;
  const out = new Uint8Array(w * h * 3);
  // Output is h wide and w tall; output (x, y) comes from input (w-1-y, x).
  for (let y = 0; y < w; y++) {
    for (let x = 0; x < h; x++) {
      const s = (x * w + (w - 1 - y)) * 3;
      const d = (y * h + x) * 3;
      out[d] = data[s]!;
      out[d + 1] = data[s + 1]!;
      out[d + 2] = data[s + 2]!;
    }
  }
  return { width: h, height: w, data: out };
}
