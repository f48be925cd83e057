import { describe, expect, it } from 'vitest';
import sharp from 'sharp';
import { createModel } from '../../gateway/models/create-model.js';
import { ModelCallError } from '../../gateway/models/spec/model-call-error.js';
import { classifyError } from '../../gateway/runner/retry-policy.js';
import { EvalgateError } from '../../gateway/errors.js';

function crc32(bytes: Uint8Array): number {
  let c = ~0;
  for (const b of bytes) {
    c ^= b;
    for (let k = 0; k < 8; k++) c = (c >>> 1) ^ (0xedb88320 & -(c & 1));
  }
  return ~c >>> 0;
}

/** A valid 1×1 PNG whose header then claims `side`×`side` pixels (sharp refuses it: "Input image exceeds pixel limit"). */
async function pngClaiming(side: number): Promise<Uint8Array> {
  const png = Buffer.from(
    await sharp({ create: { width: 1, height: 1, channels: 3, background: '#fff' } })
      .png()
      .toBuffer(),
  );
  // Signature (8) + IHDR length (4) + "IHDR" (4): width and height follow.
  png.writeUInt32BE(side, 16);
  png.writeUInt32BE(side, 20);
  png.writeUInt32BE(crc32(png.subarray(12, 29)), 29);
  return new Uint8Array(png);
}

const ctx = { timedOut: false, cancelled: false };

// Issue 13 #19: errors are classified by type, not by a name string or by
// "no HTTP status means a broken connection".
describe('model-call error kinds', () => {
  it('an image over PP-OCR’s pixel limit fails as input, not connection', async () => {
    const model = await createModel({ id: 'ocr', adapter: 'ppocr', kind: 'specialist', options: {} } as never);
    try {
      const err = await model.doGenerate({ parts: [{ type: 'image', data: await pngClaiming(20_000), mimeType: 'image/png' }], temperature: 0 }).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(ModelCallError);
      expect((err as Error).message).toMatch(/pixel limit/);
      expect(classifyError(err, ctx)).toMatchObject({ code: 'input', retryable: false });
    } finally {
      await model.close?.();
    }
  }, 60_000);

  it('derives the code from the error’s type and cause', () => {
    expect(classifyError(new ModelCallError('refused', { cause: Object.assign(new Error('x'), { code: 'ECONNREFUSED' }) }), ctx).code).toBe('connection');
    expect(classifyError(new ModelCallError('dropped mid-answer', { retryable: true }), ctx).code).toBe('connection');
    expect(classifyError(new ModelCallError('bad local input', { retryable: false }), ctx).code).toBe('adapter');
    expect(classifyError(new ModelCallError('x', { retryable: false, kind: 'input' }), ctx).code).toBe('input');
    expect(classifyError(new ModelCallError('429', { statusCode: 429 }), ctx)).toMatchObject({ code: 'http', rateLimited: true });
    expect(classifyError(new EvalgateError('EVALGATE_ERR_MEDIA_DECODE_FAILED', { path: 'a.wav', detail: 'x' }), ctx).code).toBe('input');
    // A class merely named like an input error is not one.
    class Impostor extends Error {
      override name = 'ImageDecodeError';
    }
    expect(classifyError(new Impostor('x'), ctx).code).toBe('adapter');
  });
});
