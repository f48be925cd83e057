import { EvalgateError } from '../errors.js';
import { sniffImageType } from '../media/api-image.js';
import { decodeStrictBase64 } from './strict-base64.js';

/** Image types a live client may send: what the hosted model APIs and the runner take. */
const acceptedImageTypes = new Set(['image/png', 'image/jpeg', 'image/webp', 'image/gif', 'image/bmp']);

/**
 * Checks image data from a live client before it can reach a model, as audio
 * is checked: strict base64, not empty, and bytes that are a PNG, JPEG, WebP,
 * GIF or BMP image (by their magic bytes; the declared type can lie). Returns
 * the bytes and the type they really are; anything else throws
 * EVALGATE_ERR_WS_BAD_IMAGE.
 */
export function decodeImageData(raw: unknown, param: string): { data: Buffer; mimeType: string } {
  if (typeof raw !== 'string') throw new EvalgateError('EVALGATE_ERR_WS_BAD_IMAGE', { detail: `${param} must be a base64 string` });
  const data = decodeStrictBase64(raw);
  if (!data) throw new EvalgateError('EVALGATE_ERR_WS_BAD_IMAGE', { detail: `${param} is not valid base64` });
  if (data.byteLength === 0) throw new EvalgateError('EVALGATE_ERR_WS_BAD_IMAGE', { detail: `${param} is empty` });
  const mimeType = sniffImageType(data);
  if (!mimeType || !acceptedImageTypes.has(mimeType)) {
    throw new EvalgateError('EVALGATE_ERR_WS_BAD_IMAGE', { detail: `${param} is not a PNG, JPEG, WebP, GIF or BMP image` });
  }
  return { data, mimeType };
}
