import { realpathSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { extname, resolve, sep } from 'node:path';
import { containMediaPath, isContainmentProblem, type RealMediaFile } from '../../datasets/contain-media-path.js';
import { EvalgateError } from '../errors.js';
import { apiImage } from '../media/api-image.js';
import { adapterPcmRateHz } from '../models/adapters.js';
import { renderPrompt } from '../models/prompt-templates.js';
import type { ModelInputPart, ModelRequest } from '../models/spec/model-v1.js';
import type { SampleMedia, SampleTask } from '../store/database.js';
import type { FrameStrategy } from '../../scorers/frames/frame-indices.js';
import { getTask } from '../../scorers/tasks/index.js';
import type { RunSample } from '../store/run-scope-repo.js';

/** A sample as the runner sees it: one parsed `samples` row (gateway/store/run-scope-repo.ts). */
export type RunnerSample = RunSample;

/** How video reaches the model. */
export interface VideoInputOptions {
  /** `frames`: sampled frames as images; `video`: the whole file as a video part. */
  readonly mode: 'frames' | 'video';
  /** Frame sampling rule (`uniform`, `linspace`, `fps`, `keyframes`). */
  readonly strategy: string;
  /** Number of frames (or the cap for `fps`). */
  readonly count: number;
  /** Frames per second for the `fps` strategy. */
  readonly fps?: number;
}

/** Everything that turns a sample into a request; part of the run's identity. */
export interface BuildRequestOptions {
  /** Dataset root that media paths are relative to. */
  readonly rootDir: string;
  /** Prompt template; `{question}`, `{options}`, `{lang}` are filled in. */
  readonly promptTemplate: string;
  /** System prompt, if any. */
  readonly system?: string;
  /** Sampling temperature (0 for evaluation). */
  readonly temperature: number;
  /** Generated-token cap. */
  readonly maxOutputTokens?: number;
  /** Video handling. */
  readonly video: VideoInputOptions;
  /**
   * When set, every audio part is also decoded to mono float samples at this
   * rate (see {@link audioDecodeRateFor}); otherwise only non-WAV/MP3 audio is,
   * at {@link compressedAudioDecodeRateHz}.
   */
  readonly decodeAudioSampleRateHz?: number;
  /** Adapter extras passed through unchanged (the runner adds `sampleId`, the manifest id). */
  readonly providerOptions?: Readonly<Record<string, unknown>>;
}

// The prompt templates live in gateway/models/prompt-templates.ts (one copy);
// re-exported here for callers that import them with the runner.
export { defaultPromptTemplates, renderPrompt } from '../models/prompt-templates.js';

/**
 * Rate for audio that is neither WAV nor MP3 when the adapter did not ask for
 * decoding: adapters can send WAV or MP3 bytes as they are, but anything else
 * (FLAC, OGG, M4A…) must be re-encoded from decoded samples (16 kHz is what
 * Whisper-family and Qwen2-Audio models resample to anyway).
 */
export const compressedAudioDecodeRateHz = 16_000;

/**
 * The rate a run decodes all of its audio at, or undefined when only non-WAV/MP3
 * files are decoded (at {@link compressedAudioDecodeRateHz}): the adapter's
 * PCM rate, else for any other local specialist the task's `specialistAudioRateHz`
 * (16 kHz for asr).
 */
export function audioDecodeRateFor(model: { readonly adapter: string; readonly kind?: string }, task: SampleTask): number | undefined {
  return adapterPcmRateHz(model.adapter) ?? (model.kind === 'specialist' ? getTask(task)?.specialistAudioRateHz : undefined);
}

const passThroughAudioMime = new Set(['audio/wav', 'audio/mpeg']);

/** Default video handling: 8 uniformly sampled frames. */
export const defaultVideoOptions: VideoInputOptions = Object.freeze({ mode: 'frames', strategy: 'uniform', count: 8 });

/** MIME type by media file extension (lower case, with the dot): requests, and the arena's preset media. */
export const MIME: Readonly<Record<string, string>> = {
  '.wav': 'audio/wav',
  '.mp3': 'audio/mpeg',
  '.flac': 'audio/flac',
  '.ogg': 'audio/ogg',
  '.opus': 'audio/ogg',
  '.m4a': 'audio/mp4',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.webp': 'image/webp',
  '.mp4': 'video/mp4',
  '.webm': 'video/webm',
  '.mkv': 'video/x-matroska',
  '.mov': 'video/quicktime',
  '.avi': 'video/x-msvideo',
};

function mimeOf(path: string, fallback: string): string {
  return MIME[extname(path).toLowerCase()] ?? fallback;
}

/** Duration of a PCM WAV file from its header, or undefined when it is not one. */
export function wavDurationS(bytes: Uint8Array): number | undefined {
  if (bytes.length < 44) return undefined;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const tag = (o: number): string => String.fromCharCode(...bytes.subarray(o, o + 4));
  if (tag(0) !== 'RIFF' || tag(8) !== 'WAVE') return undefined;
  let byteRate: number | undefined;
  for (let o = 12; o + 8 <= bytes.length;) {
    const id = tag(o);
    const size = view.getUint32(o + 4, true);
    if (id === 'fmt ' && o + 16 <= bytes.length) byteRate = view.getUint32(o + 16, true);
    if (id === 'data') return byteRate ? Math.min(size, bytes.length - o - 8) / byteRate : undefined;
    o += 8 + size + (size & 1);
  }
  return undefined;
}

/**
 * The real file a media entry names, by the same rule as the media route
 * (links resolved): the file recorded at import (real path and size) when
 * there is a record, and never a link swapped in after import that leads out
 * of its folder, so such a file never reaches a model.
 */
async function containedMediaPath(rootDir: string, relPath: string, recorded?: RealMediaFile): Promise<string> {
  const real = await containMediaPath(rootDir, relPath, recorded ? { recorded } : {});
  if (!isContainmentProblem(real)) return real.realPath;
  if (real.problem === 'escape') throw new EvalgateError('EVALGATE_ERR_PATH_ESCAPE', { path: relPath, root: rootDir });
  // Missing, unreadable, or not the recorded file: unusable alike (errors name the manifest path only).
  throw new EvalgateError('EVALGATE_ERR_MEDIA_NOT_FOUND', { path: relPath });
}

async function readMedia(rootDir: string, relPath: string, recorded?: RealMediaFile): Promise<{ abs: string; data: Uint8Array }> {
  const abs = await containedMediaPath(rootDir, relPath, recorded);
  try {
    return { abs, data: new Uint8Array(await readFile(abs)) };
  } catch (err) {
    throw new EvalgateError('EVALGATE_ERR_MEDIA_NOT_FOUND', { path: abs }, { cause: err });
  }
}

/** A built request and what the runner records about its input. */
export interface BuiltRequest {
  /** The request, without a signal (the runner adds one per attempt). */
  readonly request: ModelRequest;
  /** Seconds of audio sent, for RTFx; undefined when the sample has no audio. */
  readonly audioSeconds?: number;
}

/**
 * Turns a sample into a model request: media parts first (in manifest
 * order), then the rendered prompt, as lmms-eval and the OpenAI examples
 * place them.
 */
export async function buildRequest(sample: RunnerSample, opts: BuildRequestOptions, signal?: AbortSignal): Promise<BuiltRequest> {
  const parts: ModelInputPart[] = [];
  let audioSeconds: number | undefined;
  for (const m of sample.media) {
    try {
      audioSeconds = await addMediaParts(parts, m, sample, opts, audioSeconds, signal);
    } catch (err) {
      if (signal?.aborted) throw err;
      throw datasetRelativeError(err, opts.rootDir, m.path);
    }
  }
  parts.push({ type: 'text', text: renderPrompt(opts.promptTemplate, sample) });
  const request: ModelRequest = {
    ...(opts.system ? { system: opts.system } : {}),
    parts,
    temperature: opts.temperature,
    ...(opts.maxOutputTokens !== undefined ? { maxOutputTokens: opts.maxOutputTokens } : {}),
    // The manifest id always travels with the request: the `predictions`
    // replay adapter answers by it, and every adapter accepts it silently.
    providerOptions: { ...opts.providerOptions, sampleId: sample.key },
  };
  return { request, audioSeconds };
}

/**
 * Replaces the server's absolute paths in an error message by paths relative
 * to the dataset root (issue 13 #18: stored errors are shown to viewers, and
 * must not reveal where the server keeps its data). Registry errors keep their
 * code, with the manifest's relative path as `path`.
 */
export function datasetRelativeError(err: unknown, rootDir: string, relPath: string): Error {
  const root = resolve(rootDir);
  const scrub = (text: string): string => scrubPaths(text, root);
  if (err instanceof EvalgateError) {
    const params = Object.fromEntries(Object.entries(err.params).map(([k, v]) => [k, typeof v === 'string' ? scrub(v) : v]));
    if ('path' in params) params.path = relPath;
    if ('root' in params) params.root = '<dataset root>';
    return new EvalgateError(err.code, params);
  }
  const e = err instanceof Error ? err : new Error(String(err));
  return Object.assign(new Error(scrub(e.message)), { name: e.name });
}

/**
 * `text` with every occurrence of `root/` removed (and `root` itself named),
 * for the root as given and as its real path: media are read by real path
 * (links resolved), so a root behind a link (`/data -> /mnt/disk1/data`)
 * shows up in errors under its real name.
 */
export function scrubPaths(text: string, root: string): string {
  let real = root;
  try {
    real = realpathSync(root);
  } catch {
    // a root that is gone has no other name to hide
  }
  let out = text;
  for (const r of real === root ? [root] : [real, root]) {
    const withSep = r.endsWith(sep) ? r : r + sep;
    out = out.split(withSep).join('').split(r).join('<dataset root>');
  }
  return out;
}

/**
 * Checks that a file's content is media ffmpeg can read, before any model is
 * called with it (issue 13 #16: zero-byte and random-byte `.wav` files reached
 * an API model and were scored). One ffprobe per file: it parses the
 * container and stream headers, no decoding. Audio must have samples.
 */
async function assertDecodableAudio(abs: string, signal: AbortSignal | undefined): Promise<number | undefined> {
  const { probeMedia } = await import('../media/probe-media.js');
  const info = await probeMedia(abs, { signal, countFrames: false });
  if (!info.audio) throw new EvalgateError('EVALGATE_ERR_MEDIA_DECODE_FAILED', { path: abs, detail: 'no audio stream' });
  if (!(info.audio.durationS > 0)) throw new EvalgateError('EVALGATE_ERR_MEDIA_DECODE_FAILED', { path: abs, detail: 'the audio stream has no samples' });
  return info.audio.durationS;
}

/** Image bytes whose header sharp cannot parse are refused (the type sniff reads only the magic number). */
async function assertDecodableImage(data: Uint8Array, abs: string): Promise<void> {
  const { default: sharp } = await import('sharp');
  try {
    const meta = await sharp(Buffer.from(data.buffer, data.byteOffset, data.byteLength)).metadata();
    if (!(meta.width && meta.height)) throw new Error('no image dimensions');
  } catch (err) {
    throw new EvalgateError('EVALGATE_ERR_MEDIA_DECODE_FAILED', { path: abs, detail: (err as Error).message });
  }
}

async function addMediaParts(
  parts: ModelInputPart[],
  m: SampleMedia,
  sample: RunnerSample,
  opts: BuildRequestOptions,
  audioSecondsSoFar: number | undefined,
  signal: AbortSignal | undefined,
): Promise<number | undefined> {
  let audioSeconds = audioSecondsSoFar;
  const recorded = sample.mediaFiles?.[sample.media.indexOf(m)];
  if (m.kind === 'audio') {
    const { abs, data } = await readMedia(opts.rootDir, m.path, recorded);
    const durationS = sample.durationS ?? wavDurationS(data);
    const mimeType = mimeOf(abs, 'audio/wav');
    const rateHz = opts.decodeAudioSampleRateHz ?? (passThroughAudioMime.has(mimeType) ? undefined : compressedAudioDecodeRateHz);
    let decoded: { samples: Float32Array; sampleRateHz: number } | undefined;
    if (rateHz) {
      const { decodeAudioFile } = await import('../media/decode-audio.js');
      decoded = await decodeAudioFile(abs, { sampleRateHz: rateHz, signal });
      if (decoded.samples.length === 0) throw new EvalgateError('EVALGATE_ERR_MEDIA_DECODE_FAILED', { path: abs, detail: 'the audio stream has no samples' });
    } else {
      // Sent as its bytes: nothing else would notice that they are not audio.
      await assertDecodableAudio(abs, signal);
    }
    const seconds = durationS ?? (decoded ? decoded.samples.length / decoded.sampleRateHz : undefined);
    audioSeconds = (audioSeconds ?? 0) + (seconds ?? 0);
    parts.push({
      type: 'audio',
      data,
      mimeType,
      path: abs,
      durationS: seconds,
      ...(decoded ? { samples: decoded.samples, sampleRateHz: decoded.sampleRateHz } : {}),
    });
  } else if (m.kind === 'image' || m.kind === 'images') {
    const { abs, data } = await readMedia(opts.rootDir, m.path, recorded);
    // Typed by content, and converted to PNG unless every API takes it (BMP, GIF, TIFF…).
    const image = await apiImage(data, abs, signal);
    if (!image.convertedFrom) await assertDecodableImage(image.data, abs);
    parts.push({ type: 'image', data: image.data, mimeType: image.mimeType, path: abs });
  } else if (m.kind === 'video') {
    const abs = await containedMediaPath(opts.rootDir, m.path, recorded);
    if (opts.video.mode === 'video') {
      const { probeMedia } = await import('../media/probe-media.js');
      const info = await probeMedia(abs, { signal, countFrames: false });
      if (!info.video) throw new EvalgateError('EVALGATE_ERR_MEDIA_DECODE_FAILED', { path: abs, detail: 'no video stream' });
      parts.push({ type: 'video', path: abs, mimeType: mimeOf(abs, 'video/mp4'), durationS: sample.durationS ?? undefined });
    } else {
      const { extractFrames } = await import('../media/extract-frames.js');
      const out = await extractFrames(abs, {
        strategy: opts.video.strategy as FrameStrategy,
        count: opts.video.count,
        ...(opts.video.fps !== undefined ? { fps: opts.video.fps } : {}),
        ...(opts.video.strategy === 'fps' ? { maxFrames: opts.video.count } : {}),
        signal,
      });
      for (const f of out.frames) {
        const data = new Uint8Array(await readFile(f.path));
        parts.push({ type: 'image', data, mimeType: mimeOf(f.path, 'image/jpeg'), timestampS: f.timestampS, path: abs });
      }
    }
  }
  return audioSeconds;
}
