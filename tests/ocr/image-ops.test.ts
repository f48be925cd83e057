import { describe, expect, it } from 'vitest';
import { writeChwBgr } from '../../experts/ocr/chw-tensor.js';
import { perspectiveCrop } from '../../experts/ocr/perspective-crop.js';
import { borderColour, padImage, resizeBilinear, rgbImage, rotate180, rotate90CounterClockwise, type RgbImage } from '../../experts/ocr/rgb-image.js';
import { detResizeSize } from '../../experts/ocr/text-detector.js';

/** A grey image whose value at (x, y) is f(x, y) in all three channels. */
function grey(width: number, height: number, f: (x: number, y: number) => number): RgbImage {
  const data = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) data.fill(f(x, y), (y * width + x) * 3, (y * width + x) * 3 + 3);
  return rgbImage(width, height, data);
}
const channel0 = (img: RgbImage): number[] => Array.from({ length: img.width * img.height }, (_, i) => img.data[i * 3]!);

describe('resizeBilinear', () => {
  it('matches cv2.resize INTER_LINEAR (half-pixel centres, replicated edges)', () => {
    // cv2.resize(np.array([[0, 100]], np.uint8), (4, 1)) → [[0, 25, 75, 100]]
    expect(
      channel0(
        resizeBilinear(
          grey(2, 1, (x) => x * 100),
          4,
          1,
        ),
      ),
    ).toEqual([0, 25, 75, 100]);
    // Halving averages pairs: [[10, 20, 30, 40]] → [[15, 35]]
    expect(
      channel0(
        resizeBilinear(
          grey(4, 1, (x) => 10 * (x + 1)),
          2,
          1,
        ),
      ),
    ).toEqual([15, 35]);
  });
});

describe('rotations, padding, border colour', () => {
  it('rotates 90° counter-clockwise like np.rot90', () => {
    // [[1,2,3],[4,5,6]] → [[3,6],[2,5],[1,4]]
    const img = grey(3, 2, (x, y) => y * 3 + x + 1);
    const r = rotate90CounterClockwise(img);
    expect([r.width, r.height]).toEqual([2, 3]);
    expect(channel0(r)).toEqual([3, 6, 2, 5, 1, 4]);
  });

  it('rotates 180°', () => {
    expect(channel0(rotate180(grey(3, 2, (x, y) => y * 3 + x)))).toEqual([5, 4, 3, 2, 1, 0]);
  });

  it('pads with a colour and finds the background colour of a frame', () => {
    const img = grey(4, 3, (x, y) => (x === 0 || y === 0 || x === 3 || y === 2 ? 200 : 10));
    expect(borderColour(img)).toEqual([200, 200, 200]);
    const p = padImage(img, { top: 1, bottom: 2, left: 3, right: 0 }, [7, 8, 9]);
    expect([p.width, p.height]).toEqual([7, 6]);
    expect([...p.data.subarray(0, 3)]).toEqual([7, 8, 9]);
    expect(p.data[((1 + 1) * 7 + 3 + 1) * 3]).toBe(10);
  });

  it('rejects a buffer of the wrong size', () => {
    expect(() => rgbImage(2, 2, new Uint8Array(11))).toThrow(/expected 12/);
  });
});

describe('writeChwBgr', () => {
  it('writes B, G, R planes normalised, and leaves padding columns untouched', () => {
    const img = rgbImage(1, 1, new Uint8Array([255, 0, 0])); // pure red
    const out = new Float32Array(3 * 2);
    writeChwBgr(img, out, 0, 2, [0.5, 0.5, 0.5], [0.5, 0.5, 0.5]);
    expect([...out]).toEqual([-1, 0, -1, 0, 1, 0]);
  });
});

describe('detResizeSize (DetResizeForTest)', () => {
  it('keeps small images and rounds to multiples of 32', () => {
    expect(detResizeSize(700, 30)).toEqual({ width: 704, height: 32 });
    expect(detResizeSize(362, 78)).toEqual({ width: 352, height: 64 });
    expect(detResizeSize(10, 10)).toEqual({ width: 32, height: 32 });
  });
  it('limits the long side to 960 by default, or grows the short side with limit_type min', () => {
    expect(detResizeSize(1920, 1080)).toEqual({ width: 960, height: 544 });
    expect(detResizeSize(400, 300, { limitType: 'min', limitSideLen: 736 })).toEqual({ width: 992, height: 736 });
  });
});

describe('perspectiveCrop (get_rotate_crop_image)', () => {
  const img = grey(40, 30, (x, y) => (x * 5 + y * 3) % 256);

  it('cuts an axis-aligned box exactly (cubic weights are 0,1,0,0 on the grid)', () => {
    const c = perspectiveCrop(img, [
      [5, 4],
      [25, 4],
      [25, 14],
      [5, 14],
    ]);
    expect([c.width, c.height]).toEqual([20, 10]);
    expect(c.data[0]).toBe(img.data[(4 * 40 + 5) * 3]);
    expect(c.data[(9 * 20 + 19) * 3]).toBe(img.data[(13 * 40 + 24) * 3]);
  });

  it('turns crops at least 1.5× taller than wide', () => {
    const c = perspectiveCrop(img, [
      [5, 2],
      [11, 2],
      [11, 22],
      [5, 22],
    ]);
    expect([c.width, c.height]).toEqual([20, 6]);
  });

  it('straightens a rotated quad', () => {
    // A 90°-rotated quad (corners listed from the right edge) yields a crop
    // whose first row is the image's right column read top to bottom.
    const c = perspectiveCrop(img, [
      [30, 5],
      [30, 25],
      [20, 25],
      [20, 5],
    ]);
    expect([c.width, c.height]).toEqual([20, 10]);
    expect(c.data[3 * 3]).toBe(img.data[((5 + 3) * 40 + 30) * 3]);
  });
});
