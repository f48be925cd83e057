import type { RgbImage } from './rgb-image.js';

/** Raised when an image cannot be read or decoded; names the input. */
export class ImageDecodeError extends Error {
  constructor(
    /** The path, or `<bytes>` for an in-memory image. */
    readonly source: string,
    detail: string,
  ) {
    super(`Could not decode image ${source}: ${detail}`);
    this.name = 'ImageDecodeError';
  }
}

/**
 * Decodes a file path or encoded bytes (JPEG, PNG, WebP, TIFF, GIF, SVG…) to
 * 8-bit RGB with sharp. EXIF orientation is applied, as `cv2.imread` does, and
 * transparency is flattened onto white so that dark text on a transparent
 * background stays readable.
 */
export async function decodeImage(input: Uint8Array | string): Promise<RgbImage> {
  const source = typeof input === 'string' ? input : '<bytes>';
  const { default: sharp } = await import('sharp');
  try {
    const { data, info } = await sharp(typeof input === 'string' ? input : Buffer.from(input.buffer, input.byteOffset, input.byteLength))
      .rotate()
      .flatten({ background: '#ffffff' })
      .toColourspace('srgb')
      .removeAlpha()
      .raw({ depth: 'uchar' })
      .toBuffer({ resolveWithObject: true });
    if (info.channels !== 3) throw new Error(`expected 3 channels after conversion, got ${info.channels}`);
    return { width: info.width, height: info.height, data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength) };
  } catch (err) {
    throw new ImageDecodeError(source, (err as Error).message);
  }
}
