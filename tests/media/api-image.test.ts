// Images as model APIs take them: PNG/JPEG/WebP typed by content, the rest converted to PNG by real ffmpeg.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { beforeAll, describe, expect, it } from 'vitest';
import { apiImage, sniffImageType } from '../../gateway/media/api-image.js';
import { ffmpegRun, tempDir } from './media-fixtures.js';

describe('apiImage', () => {
  const dir = tempDir('evalgate-api-image-');
  const file = (ext: string): string => join(dir, `testsrc.${ext}`);
  beforeAll(async () => {
    for (const ext of ['png', 'jpg', 'bmp', 'gif', 'tiff', 'webp']) {
      await ffmpegRun(['-f', 'lavfi', '-i', 'testsrc2=size=64x48:rate=1:duration=1', '-frames:v', '1', file(ext)]);
    }
  }, 60_000);

  it('passes PNG, JPEG and WebP through unchanged, typed by their bytes rather than their names', async () => {
    for (const [ext, type] of [
      ['png', 'image/png'],
      ['jpg', 'image/jpeg'],
      ['webp', 'image/webp'],
    ] as const) {
      const bytes = new Uint8Array(readFileSync(file(ext)));
      const out = await apiImage(bytes, `mislabelled.gif`);
      expect(out.mimeType).toBe(type);
      expect(out.data).toBe(bytes);
      expect(out.convertedFrom).toBeUndefined();
    }
  });

  it('converts BMP, GIF and TIFF to a PNG of the same size', async () => {
    for (const [ext, type] of [
      ['bmp', 'image/bmp'],
      ['gif', 'image/gif'],
      ['tiff', 'image/tiff'],
    ] as const) {
      const bytes = new Uint8Array(readFileSync(file(ext)));
      expect(sniffImageType(bytes)).toBe(type);
      const out = await apiImage(bytes, file(ext));
      expect(out).toMatchObject({ mimeType: 'image/png', convertedFrom: type });
      expect(sniffImageType(out.data)).toBe('image/png');
      const meta = await sharp(out.data).metadata();
      expect([meta.width, meta.height]).toEqual([64, 48]);
    }
  });

  it('names the file when the bytes are no image', async () => {
    const broken = join(dir, 'broken.png');
    writeFileSync(broken, 'not an image at all');
    await expect(apiImage(new Uint8Array(readFileSync(broken)), broken)).rejects.toMatchObject({
      code: 'EVALGATE_ERR_MEDIA_DECODE_FAILED',
      message: expect.stringContaining(broken),
    });
  });
});
