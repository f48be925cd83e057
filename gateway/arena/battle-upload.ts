import { EvalgateError } from '../errors.js';
import { resolveFfmpeg } from '../media/ffmpeg-binaries.js';
import { errorDetail, runMediaTool } from '../media/run-media-tool.js';
import type { ArenaModality } from '../store/database.js';
import { base64Problem, decodedUpload } from './battle-body-parser.js';
import { removeQuietly, type BattleMedia, type BattleMediaStore } from './battle-media-store.js';

// What a person may upload as a battle prompt, checked before anything is
// stored or sent to a model: a mime type allowed for the modality, bytes that
// start as that type does, and content that decodes. Spoken prompts are
// decoded by ffmpeg (a child process: the event loop never decodes) to 16 kHz
// mono 16-bit WAV, which is what the models get and what the battle keeps.

/** An upload as the request carries it. */
export interface BattleUpload {
  /** Declared mime type; a `;codecs=` (or any) parameter is allowed and ignored. */
  readonly mime: string;
  /** The file, base64. */
  readonly dataBase64: string;
}

/** Limits of {@link acceptUpload}. */
export interface UploadLimits {
  /** Largest decoded upload, bytes. */
  readonly maxUploadBytes: number;
  /** Longest spoken prompt, seconds. */
  readonly maxAudioSeconds: number;
}

/** Sample rate of stored spoken prompts (Whisper-family and Qwen2-Audio models resample to it anyway). */
export const promptAudioRateHz = 16_000;

const ascii = (b: Uint8Array, at: number, s: string): boolean => [...s].every((c, i) => b[at + i] === c.charCodeAt(0));
const isEbml = (b: Uint8Array): boolean => b[0] === 0x1a && b[1] === 0x45 && b[2] === 0xdf && b[3] === 0xa3;
const isWav = (b: Uint8Array): boolean => ascii(b, 0, 'RIFF') && ascii(b, 8, 'WAVE');

interface AllowedType {
  /** Whether the bytes start as this type does. */
  readonly sniff: (b: Uint8Array) => boolean;
  /** Name of the signature, for the error. */
  readonly signature: string;
  /** Extension of the stored (or temporary) file. */
  readonly ext: string;
}

/** Mime types allowed per modality (text takes no upload). */
export const allowedUploadTypes: Readonly<Record<Exclude<ArenaModality, 'text'>, Readonly<Record<string, AllowedType>>>> = {
  audio: {
    // What MediaRecorder records in Chromium and Firefox.
    'audio/webm': { sniff: isEbml, signature: 'EBML (WebM)', ext: '.webm' },
    'audio/ogg': { sniff: (b) => ascii(b, 0, 'OggS'), signature: 'OggS', ext: '.ogg' },
    'audio/wav': { sniff: isWav, signature: 'RIFF/WAVE', ext: '.wav' },
    'audio/x-wav': { sniff: isWav, signature: 'RIFF/WAVE', ext: '.wav' },
    'audio/wave': { sniff: isWav, signature: 'RIFF/WAVE', ext: '.wav' },
  },
  image: {
    'image/png': { sniff: (b) => b[0] === 0x89 && ascii(b, 1, 'PNG\r\n'), signature: 'PNG', ext: '.png' },
    'image/jpeg': { sniff: (b) => b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff, signature: 'JPEG (FF D8 FF)', ext: '.jpg' },
    'image/webp': { sniff: (b) => ascii(b, 0, 'RIFF') && ascii(b, 8, 'WEBP'), signature: 'RIFF/WEBP', ext: '.webp' },
  },
  video: {
    'video/mp4': { sniff: (b) => ascii(b, 4, 'ftyp'), signature: 'ISO base media (ftyp)', ext: '.mp4' },
    'video/webm': { sniff: isEbml, signature: 'EBML (WebM)', ext: '.webm' },
  },
};

const bad = (detail: string): EvalgateError => new EvalgateError('EVALGATE_ERR_BAD_INPUT', { detail });

/** Decodes strict base64 (battle-body-parser.ts `base64Problem`); small bodies are decoded here, large ones in the parse worker. */
export function decodeBase64Strict(text: string, maxBytes: number): Buffer {
  const problem = base64Problem(text, maxBytes);
  if (problem !== undefined) throw bad(problem);
  return Buffer.from(text, 'base64');
}

/** The mime type without parameters, lower-cased. */
export function baseMime(mime: string): string {
  return (mime.split(';')[0] ?? '').trim().toLowerCase();
}

/**
 * Checks and stores an upload for a battle of `modality`; returns the stored
 * media (a spoken prompt as its decoded WAV). Throws EVALGATE_ERR_BAD_INPUT
 * naming what is wrong; nothing is stored then.
 */
export async function acceptUpload(
  modality: ArenaModality,
  upload: BattleUpload,
  store: BattleMediaStore,
  limits: UploadLimits,
  signal?: AbortSignal,
): Promise<BattleMedia> {
  if (modality === 'text') throw bad('a text battle takes no media: send the prompt as text');
  const mime = baseMime(upload.mime);
  const allowed = allowedUploadTypes[modality];
  const type = allowed[mime];
  if (!type) throw bad(`media.mime "${upload.mime}" is not accepted for ${modality} battles; accepted: ${Object.keys(allowed).join(', ')}`);
  // Decoded already when the body was parsed in the worker.
  const predecoded = (upload as { [decodedUpload]?: Uint8Array })[decodedUpload];
  const bytes = predecoded ?? decodeBase64Strict(upload.dataBase64, limits.maxUploadBytes);
  if (!type.sniff(bytes)) throw bad(`the upload is not ${mime}: its bytes do not start with the ${type.signature} signature`);
  if (modality === 'audio') {
    const wav = await decodeSpokenPrompt(bytes, limits.maxAudioSeconds, signal);
    return store.putBytes(wav, '.wav', 'audio', 'audio/wav');
  }
  const tmp = await store.writeTemp(bytes, type.ext);
  try {
    if (modality === 'image') await assertImage(tmp);
    else await assertVideo(tmp, signal);
    return await store.placeFile(tmp, modality, mime);
  } finally {
    await removeQuietly(tmp);
  }
}

/**
 * Decodes a recorded prompt with ffmpeg (from stdin: WebM/Opus, Ogg and WAV
 * read from a pipe) to mono 16-bit PCM at 16 kHz, and wraps it as WAV. At
 * most `maxAudioSeconds` + 1 s is decoded, so a long upload costs no more than
 * the refusal needs.
 */
export async function decodeSpokenPrompt(bytes: Uint8Array, maxAudioSeconds: number, signal?: AbortSignal): Promise<Buffer> {
  const { ffmpegPath } = await resolveFfmpeg();
  const maxBytes = Math.ceil((maxAudioSeconds + 1) * promptAudioRateHz) * 2;
  const args = ['-hide_banner', '-nostdin', '-loglevel', 'error', '-i', 'pipe:0', '-vn', '-t', String(maxAudioSeconds + 1)];
  args.push('-ac', '1', '-ar', String(promptAudioRateHz), '-f', 's16le', '-acodec', 'pcm_s16le', 'pipe:1');
  const out = await runMediaTool(ffmpegPath, args, { stdin: bytes, signal, maxStdoutBytes: maxBytes + 4096 });
  if (out.code !== 0) throw bad(`the audio upload could not be decoded: ${errorDetail(out.stderrTail, 'ffmpeg failed')}`);
  const pcm = out.stdout;
  if (pcm.length < 2) throw bad('the audio upload holds no samples');
  const seconds = pcm.length / 2 / promptAudioRateHz;
  if (seconds > maxAudioSeconds) throw bad(`the spoken prompt is longer than ${maxAudioSeconds} s (arena.maxAudioSeconds)`);
  return wavFile(pcm.subarray(0, pcm.length - (pcm.length % 2)), promptAudioRateHz);
}

/** A canonical 44-byte-header PCM WAV around mono 16-bit samples. */
export function wavFile(pcm: Uint8Array, sampleRateHz: number): Buffer {
  const header = Buffer.alloc(44);
  header.write('RIFF', 0, 'ascii');
  header.writeUInt32LE(36 + pcm.length, 4);
  header.write('WAVE', 8, 'ascii');
  header.write('fmt ', 12, 'ascii');
  header.writeUInt32LE(16, 16);
  header.writeUInt16LE(1, 20); // PCM
  header.writeUInt16LE(1, 22); // mono
  header.writeUInt32LE(sampleRateHz, 24);
  header.writeUInt32LE(sampleRateHz * 2, 28);
  header.writeUInt16LE(2, 32);
  header.writeUInt16LE(16, 34);
  header.write('data', 36, 'ascii');
  header.writeUInt32LE(pcm.length, 40);
  return Buffer.concat([header, pcm]);
}

async function assertImage(file: string): Promise<void> {
  const { default: sharp } = await import('sharp');
  try {
    // sharp parses in libvips' thread pool, off the event loop.
    const meta = await sharp(file).metadata();
    if (!(meta.width && meta.height)) throw new Error('no image dimensions');
  } catch (err) {
    throw bad(`the image upload could not be decoded: ${(err as Error).message}`);
  }
}

async function assertVideo(file: string, signal?: AbortSignal): Promise<void> {
  const { probeMedia } = await import('../media/probe-media.js');
  let hasVideo = false;
  try {
    hasVideo = Boolean((await probeMedia(file, { signal, countFrames: false })).video);
  } catch (err) {
    if (signal?.aborted) throw err;
    throw bad('the video upload could not be read (ffprobe found no readable stream)');
  }
  if (!hasVideo) throw bad('the video upload has no video stream');
}
