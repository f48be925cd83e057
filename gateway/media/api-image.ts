import { EvalgateError } from '../errors.js';
import { resolveFfmpeg } from './ffmpeg-binaries.js';
import { errorDetail, runMediaTool } from './run-media-tool.js';

/**
 * Image types every hosted model API takes as inline data: OpenAI, Anthropic
 * and Gemini all accept PNG, JPEG and WebP (Gemini refuses GIF, all refuse
 * BMP). Anything else is converted to PNG before it is sent.
 */
const portable = new Set(['image/png', 'image/jpeg', 'image/webp']);

/** The image type its bytes say it is (the file name can lie), or undefined. */
export function sniffImageType(b: Uint8Array): string | undefined {
  const at = (i: number, ...bytes: number[]): boolean => bytes.every((x, k) => b[i + k] === x);
  if (at(0, 0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a)) return 'image/png';
  if (at(0, 0xff, 0xd8, 0xff)) return 'image/jpeg';
  if (at(0, 0x52, 0x49, 0x46, 0x46) && at(8, 0x57, 0x45, 0x42, 0x50)) return 'image/webp';
  if (at(0, 0x47, 0x49, 0x46, 0x38)) return 'image/gif';
  if (at(0, 0x42, 0x4d)) return 'image/bmp';
  if (at(0, 0x49, 0x49, 0x2a, 0x00) || at(0, 0x4d, 0x4d, 0x00, 0x2a)) return 'image/tiff';
  return undefined;
}

/**
 * Image bytes ready for a model API: PNG, JPEG and WebP pass as they are
 * (typed by their content, not their name); GIF (first frame), BMP, TIFF and
 * other types ffmpeg reads are converted to PNG. `data` is the content of the
 * file at `path`; conversion reads the file itself, because some formats
 * (TIFF keeps its directory at the end) cannot be decoded from a pipe.
 */
export async function apiImage(data: Uint8Array, path: string, signal?: AbortSignal): Promise<{ data: Uint8Array; mimeType: string; convertedFrom?: string }> {
  const type = sniffImageType(data);
  if (type && portable.has(type)) return { data, mimeType: type };
  const { ffmpegPath } = await resolveFfmpeg();
  const res = await runMediaTool(
    ffmpegPath,
    ['-hide_banner', '-nostdin', '-v', 'error', '-i', path, '-frames:v', '1', '-f', 'image2pipe', '-c:v', 'png', 'pipe:1'],
    { signal },
  );
  if (res.code !== 0 || res.stdout.length === 0) {
    throw new EvalgateError('EVALGATE_ERR_MEDIA_DECODE_FAILED', { path, detail: errorDetail(res.stderrTail, 'not an image ffmpeg can read') });
  }
  return { data: new Uint8Array(res.stdout), mimeType: 'image/png', convertedFrom: type ?? 'unknown' };
}
