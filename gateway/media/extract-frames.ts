import { availableParallelism, tmpdir } from 'node:os';
import { copyFile, mkdir, mkdtemp, readdir, rename, rm } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import { FrameIndexError, frameIndices, frameStrategies, type FrameStrategy } from '../../scorers/frames/frame-indices.js';
import { loadConfig } from '../config/load-config.js';
import { EvalgateError } from '../errors.js';
import { resolveFfmpeg } from './ffmpeg-binaries.js';
import {
  commitFrameCacheEntry,
  fileSha256,
  frameCacheEntryDir,
  frameCacheKey,
  frameCacheVersion,
  makeStagingDir,
  readFrameCacheEntry,
  type FrameCacheManifest,
} from './frame-cache.js';
import { assertReadableFile, parseRational, probeMedia, type VideoStreamInfo } from './probe-media.js';
import { h264ReferenceTargets } from './reference-frames.js';
import { decodeFrames, frameName, type DecodedFrame, type DecodeTarget } from './seek-decoder.js';
import { cfrTimeline, packetTimeline, type VideoTimeline } from './video-timeline.js';

/** Options of {@link extractFrames}. */
export interface ExtractFramesOptions {
  /** Sampling convention (see scorers/frames/frame-indices.ts). */
  readonly strategy: FrameStrategy;
  /** N for `uniform`, `linspace` and `keyframes`. */
  readonly count?: number;
  /** `fps` strategy: frames sampled per second of video (default 2). */
  readonly fps?: number;
  /** `fps` strategy: cap on the number of frames (default min(768, total)). */
  readonly maxFrames?: number;
  /** `fps` strategy: floor on the number of frames (default 4). */
  readonly minFrames?: number;
  /** `uniform`/`keyframes`: only sample inside this [start, end] window in seconds (MVBench `bound`). */
  readonly boundS?: readonly [number, number];
  /** Downscale so that the longer side is at most this many pixels (never upscales). */
  readonly maxSidePx?: number;
  /** Image format (default `jpg`, quality `-q:v 2`). */
  readonly format?: 'jpg' | 'png';
  /** Also copy the frames here; returned paths then point here. */
  readonly outDir?: string;
  /** Cache root (default: the configuration's `cacheDir`, itself `.evalgate/cache` by default). */
  readonly cacheDir?: string;
  /** Use and fill the frame cache (default true). */
  readonly cache?: boolean;
  /** ffmpeg processes at once (default: CPU count, at most 4). */
  readonly concurrency?: number;
  /** Targets closer than this many frames are decoded in one continuous pass (default 128). */
  readonly mergeGapFrames?: number;
  /** Cancels the work and every ffmpeg process. */
  readonly signal?: AbortSignal;
  /** Progress callback: frames done so far and the total. */
  readonly onProgress?: (done: number, total: number) => void;
}

/** One sampled frame. */
export interface ExtractedFrame {
  /** Frame index in presentation order (0-based). */
  readonly index: number;
  /** Presentation time measured from the first frame, in seconds. */
  readonly timestampS: number;
  /** Image file. */
  readonly path: string;
}

/** What {@link extractFrames} returns. */
export interface ExtractFramesResult {
  /** Frames in the order the strategy lists them (an index may repeat). */
  readonly frames: ExtractedFrame[];
  /** Frames in the video. */
  readonly totalFrames: number;
  /** The video's average frame rate. */
  readonly fps: number;
  /** Everything assumed on the way (frame-count source, VFR handling, rotation, scaling, snapping). */
  readonly assumptions: string[];
  /** True when the frames came from the cache without decoding. */
  readonly cached: boolean;
  /** sha256 of the video (absent when the cache is off). */
  readonly videoSha256?: string;
}

const defaultMergeGapFrames = 128;

function bad(detail: string): EvalgateError {
  return new EvalgateError('EVALGATE_ERR_BAD_INPUT', { detail });
}

function checkOptions(opts: ExtractFramesOptions): void {
  if (!frameStrategies.includes(opts.strategy)) throw bad(`strategy must be one of ${frameStrategies.join(', ')}, got ${String(opts.strategy)}`);
  if (opts.strategy !== 'fps' && (!Number.isInteger(opts.count) || (opts.count ?? 0) < 1)) {
    throw bad(`--count must be a positive integer for the ${opts.strategy} strategy`);
  }
  if (opts.fps !== undefined && !(opts.fps > 0)) throw bad(`fps must be positive, got ${opts.fps}`);
  if (opts.maxSidePx !== undefined && (!Number.isInteger(opts.maxSidePx) || opts.maxSidePx < 2)) {
    throw bad(`maxSidePx must be an integer of at least 2, got ${opts.maxSidePx}`);
  }
  if (opts.format !== undefined && opts.format !== 'jpg' && opts.format !== 'png') throw bad(`format must be jpg or png, got ${String(opts.format)}`);
}

function cacheParams(opts: ExtractFramesOptions): Record<string, unknown> {
  return {
    strategy: opts.strategy,
    count: opts.strategy === 'fps' ? null : (opts.count ?? null),
    fps: opts.strategy === 'fps' ? (opts.fps ?? null) : null,
    maxFrames: opts.strategy === 'fps' ? (opts.maxFrames ?? null) : null,
    minFrames: opts.strategy === 'fps' ? (opts.minFrames ?? null) : null,
    boundS: opts.boundS ? [...opts.boundS] : null,
    maxSidePx: opts.maxSidePx ?? null,
    format: opts.format ?? 'jpg',
  };
}

function scaleFilter(video: VideoStreamInfo, maxSidePx: number | undefined, assumptions: string[]): string {
  const w = video.displayWidth;
  const h = video.displayHeight;
  if (!maxSidePx || Math.max(w, h) <= maxSidePx) return '';
  const s = maxSidePx / Math.max(w, h);
  const sw = Math.max(1, Math.round(w * s));
  const sh = Math.max(1, Math.round(h * s));
  assumptions.push(`frames scaled from ${w}x${h} to ${sw}x${sh} (longer side at most ${maxSidePx} px, bicubic)`);
  return `,scale=${sw}:${sh}:flags=bicubic`;
}

function targetsFor(indices: readonly number[], timeline: VideoTimeline): DecodeTarget[] {
  const halfFrameS = 0.5 / timeline.fps;
  const last = timeline.totalFrames - 1;
  return [...new Set(indices)]
    .sort((a, b) => a - b)
    .map((index) => {
      const t = timeline.ptsS(index);
      const loS = index > 0 ? (timeline.ptsS(index - 1) + t) / 2 : t - halfFrameS;
      const hiS = index < last ? (t + timeline.ptsS(index + 1)) / 2 : t + halfFrameS;
      return { index, loS, hiS };
    });
}

function resolveCacheDir(opts: ExtractFramesOptions): string {
  return resolve(opts.cacheDir ?? loadConfig().cacheDir);
}

function indicesFor(opts: ExtractFramesOptions, timeline: VideoTimeline): number[] {
  try {
    return frameIndices(opts.strategy, {
      totalFrames: timeline.totalFrames,
      fps: timeline.fps,
      count: opts.count,
      targetFps: opts.fps,
      maxFrames: opts.maxFrames,
      minFrames: opts.minFrames,
      boundS: opts.boundS,
    });
  } catch (err) {
    if (err instanceof FrameIndexError) throw bad(err.message);
    throw err;
  }
}

/**
 * Samples frames of a video at exactly the indices the named strategy
 * prescribes (or, for `keyframes`, at the keyframes before them), writes them
 * as JPEG/PNG and caches them by the video's sha256 plus the parameters.
 *
 * Index → timestamp comes from the frame rate for constant-rate streams with
 * a frame count, and from the packet timestamp table otherwise or whenever a
 * decoded frame's timestamp disagrees with the arithmetic. A frame that is
 * still not the prescribed one fails the call (EVALGATE_ERR_MEDIA_DECODE_FAILED);
 * wrong frames are never returned silently.
 */
export async function extractFrames(videoPath: string, opts: ExtractFramesOptions): Promise<ExtractFramesResult> {
  checkOptions(opts);
  const { signal } = opts;
  await assertReadableFile(videoPath);
  const useCache = opts.cache !== false;
  const ext = opts.format ?? 'jpg';

  let cacheDir: string | undefined;
  let videoSha256: string | undefined;
  let entryDir: string | undefined;
  if (useCache) {
    cacheDir = resolveCacheDir(opts);
    videoSha256 = await fileSha256(videoPath, cacheDir, signal);
    entryDir = frameCacheEntryDir(cacheDir, frameCacheKey(videoSha256, cacheParams(opts)));
    const hit = await readFrameCacheEntry(entryDir);
    if (hit) return deliver(hit, entryDir, opts, true);
  }

  const binaries = await resolveFfmpeg();
  const info = await probeMedia(videoPath, { signal, countFrames: false });
  const video = info.video;
  if (!video) throw new EvalgateError('EVALGATE_ERR_MEDIA_DECODE_FAILED', { path: videoPath, detail: 'no video stream found' });

  const assumptions: string[] = [];
  let timeline: VideoTimeline;
  if (video.frameCountSource === 'metadata' && !video.variableFrameRate && video.fps > 0) {
    timeline = cfrTimeline(video);
    assumptions.push(`frame count ${video.frameCount} from container metadata; constant frame rate ${round6(video.fps)} fps`);
  } else {
    timeline = await packetTimeline(videoPath, withFps(video), signal);
    assumptions.push(packetReason(video, timeline));
  }
  if (video.rotationDeg) assumptions.push(`frames rotated ${video.rotationDeg}° clockwise to display upright (container rotation metadata)`);
  const filterTail = scaleFilter(video, opts.maxSidePx, assumptions);
  if (opts.strategy === 'keyframes') {
    assumptions.push('keyframes strategy: each frame is the keyframe at or before the prescribed index; returned indices are those of the frames decoded');
  }

  if (opts.outDir) await mkdir(resolve(opts.outDir), { recursive: true });
  const workDir = entryDir
    ? await makeStagingDir(entryDir)
    : await mkdtemp(join(opts.outDir ? resolve(opts.outDir) : tmpdir(), opts.outDir ? '.evalgate-frames-' : 'evalgate-frames-'));
  try {
    let indices = indicesFor(opts, timeline);
    const decodeOpts = {
      ffmpegPath: binaries.ffmpegPath,
      path: videoPath,
      streamIndex: video.streamIndex,
      formatStartS: info.startTimeS,
      timeBaseS: parseRational(video.timeBase),
      mode: opts.strategy === 'keyframes' ? ('keyframes' as const) : ('exact' as const),
      workDir,
      ext,
      filterTail,
      concurrency: Math.max(1, Math.floor(opts.concurrency ?? Math.min(4, availableParallelism()))),
      mergeGapFrames: opts.mergeGapFrames ?? defaultMergeGapFrames,
      fps: timeline.fps,
      signal,
    };
    let total = new Set(indices).size;
    let done = 0;
    const onFrames = (n: number): void => {
      done += n;
      opts.onProgress?.(Math.min(done, total), total);
    };
    let targets = targetsFor(indices, timeline);
    // H.264 in MP4/MOV: targets that are reference pictures may skip non-reference ones on the way (exact; see reference-frames.ts).
    const referenceIndices =
      decodeOpts.mode === 'exact' && video.codec === 'h264' && /\b(mov|mp4)\b/.test(info.formatName)
        ? await h264ReferenceTargets(targets, {
            ffprobePath: binaries.ffprobePath,
            path: videoPath,
            streamIndex: video.streamIndex,
            formatStartS: info.startTimeS,
            signal,
          })
        : undefined;
    let result = await decodeFrames(targets, { ...decodeOpts, referenceIndices, onFrames });

    if (result.mismatched.length > 0 && timeline.source === 'cfr') {
      // The frame-rate arithmetic was wrong for this file: use the real timestamps and redo what changed.
      timeline = await packetTimeline(videoPath, withFps(video), signal);
      assumptions.push(
        `decoded timestamps disagreed with the constant-frame-rate assumption (${result.mismatched.length} frame(s)); ` +
          `re-mapped indices with the packet timestamp table (${timeline.totalFrames} frames)`,
      );
      indices = indicesFor(opts, timeline);
      const previous = result.decoded;
      targets = targetsFor(indices, timeline);
      const keep = new Map<number, DecodedFrame>();
      const redo = targets.filter((t) => {
        const got = previous.get(t.index);
        if (got && got.ptsS >= t.loS - 1e-6 && got.ptsS < t.hiS - 1e-6) {
          keep.set(t.index, got);
          return false;
        }
        return true;
      });
      total = keep.size + redo.length;
      done = keep.size;
      result = redo.length ? await decodeFrames(redo, { ...decodeOpts, onFrames }) : { decoded: new Map(), mismatched: [] };
      for (const [i, f] of keep) result.decoded.set(i, f);
    }
    if (result.mismatched.length > 0 && decodeOpts.mode === 'exact') {
      // Seeking itself is unreliable in some containers (MPEG-TS and other files without an index can land
      // after the target): decode the remaining targets from the start of the file instead.
      const missing = new Set(result.mismatched.map((m) => m.index));
      assumptions.push(`seeking landed on the wrong frame for ${missing.size} frame(s) in this container; decoded them from the start of the file instead`);
      const retry = await decodeFrames(
        targets.filter((t) => missing.has(t.index)),
        { ...decodeOpts, noSeek: true, onFrames },
      );
      for (const [i, f] of retry.decoded) result.decoded.set(i, f);
      result = { decoded: result.decoded, mismatched: retry.mismatched };
    }
    if (result.mismatched.length > 0) {
      const first = result.mismatched[0];
      throw new EvalgateError('EVALGATE_ERR_MEDIA_DECODE_FAILED', {
        path: videoPath,
        detail: `could not decode frame ${first?.index} exactly: ${first?.reason} (${result.mismatched.length} frame(s) affected)`,
      });
    }

    const origin = timeline.ptsS(0);
    const frames: { index: number; timestampS: number; file: string }[] = [];
    const renamed = new Map<number, { index: number; file: string; ptsS: number }>();
    for (const index of indices) {
      let entry = renamed.get(index);
      if (!entry) {
        const got = result.decoded.get(index);
        if (!got) throw new EvalgateError('EVALGATE_ERR_INTERNAL', { detail: `frame ${index} missing after decoding` });
        let actual = index;
        let file = basename(got.file);
        if (decodeOpts.mode === 'keyframes') {
          actual = timeline.indexAt(got.ptsS);
          const named = frameName(actual, ext);
          if (named !== file) {
            await rename(got.file, join(workDir, named));
            file = named;
          }
        }
        entry = { index: actual, file, ptsS: got.ptsS };
        renamed.set(index, entry);
      }
      frames.push({ index: entry.index, timestampS: round6(entry.ptsS - origin), file: entry.file });
    }
    // Frames decoded but not kept (a retried run's leftovers) must not linger in the cache entry.
    const keepFiles = new Set(frames.map((f) => f.file));
    for (const f of await readdir(workDir)) if (!keepFiles.has(f)) await rm(join(workDir, f), { force: true });
    const manifest: FrameCacheManifest = {
      version: frameCacheVersion,
      videoSha256: videoSha256 ?? '',
      params: cacheParams(opts),
      frames,
      totalFrames: timeline.totalFrames,
      fps: round6(timeline.fps),
      assumptions,
    };
    if (entryDir) {
      await commitFrameCacheEntry(workDir, entryDir, manifest);
      return await deliver(manifest, entryDir, opts, false);
    }
    // No cache: the frames stay in the work folder, moved up into outDir when one was given.
    if (opts.outDir) {
      const out = resolve(opts.outDir);
      for (const f of new Set(frames.map((x) => x.file))) await rename(join(workDir, f), join(out, f));
      await rm(workDir, { recursive: true, force: true });
      return toResult(manifest, out, false);
    }
    return toResult(manifest, workDir, false);
  } catch (err) {
    await rm(workDir, { recursive: true, force: true }).catch(() => {});
    throw err;
  }
}

function withFps(video: VideoStreamInfo): VideoStreamInfo {
  // Streams without a usable rate (some raw or VFR files): assume 25 fps only for windows, never for indices.
  return video.fps > 0 ? video : { ...video, fps: 25 };
}

function packetReason(video: VideoStreamInfo, timeline: VideoTimeline): string {
  if (video.frameCountSource !== 'metadata') {
    return `container has no frame count: counted ${timeline.totalFrames} frames from packet timestamps`;
  }
  return (
    `variable frame rate suspected (r_frame_rate ${round6(video.baseFps)} vs avg_frame_rate ${round6(video.fps)}): ` +
    `frame i is the i-th frame by presentation timestamp (${timeline.totalFrames} frames)`
  );
}

function round6(x: number): number {
  return Math.round(x * 1e6) / 1e6;
}

function toResult(manifest: FrameCacheManifest, dir: string, cached: boolean): ExtractFramesResult {
  return {
    frames: manifest.frames.map((f) => ({ index: f.index, timestampS: f.timestampS, path: join(dir, f.file) })),
    totalFrames: manifest.totalFrames,
    fps: manifest.fps,
    assumptions: [...manifest.assumptions],
    cached,
    ...(manifest.videoSha256 ? { videoSha256: manifest.videoSha256 } : {}),
  };
}

async function deliver(manifest: FrameCacheManifest, entryDir: string, opts: ExtractFramesOptions, cached: boolean): Promise<ExtractFramesResult> {
  if (!opts.outDir) return toResult(manifest, entryDir, cached);
  const out = resolve(opts.outDir);
  await mkdir(out, { recursive: true });
  for (const f of new Set(manifest.frames.map((x) => x.file))) await copyFile(join(entryDir, f), join(out, f));
  return toResult(manifest, out, cached);
}
