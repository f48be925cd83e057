import { access, constants as fsConstants, stat } from 'node:fs/promises';
import { EvalgateError } from '../errors.js';
import { resolveFfmpeg } from './ffmpeg-binaries.js';
import { errorDetail, runMediaTool } from './run-media-tool.js';

/** The first audio stream of a file. */
export interface AudioStreamInfo {
  /** Stream index inside the container. */
  readonly streamIndex: number;
  /** Native sample rate. */
  readonly sampleRateHz: number;
  /** Native channel count. */
  readonly channels: number;
  /** ffmpeg codec name (`pcm_s16le`, `aac`, `opus`…). */
  readonly codec: string;
  /** Stream duration when the container states it, else the file's. */
  readonly durationS: number;
}

/** How the frame count was obtained. */
export type FrameCountSource = 'metadata' | 'counted' | 'estimated';

/** The first real video stream of a file (cover art is ignored). */
export interface VideoStreamInfo {
  /** Stream index inside the container. */
  readonly streamIndex: number;
  /** Coded width in pixels (before rotation). */
  readonly width: number;
  /** Coded height in pixels (before rotation). */
  readonly height: number;
  /** Width of the upright picture, after applying the rotation. */
  readonly displayWidth: number;
  /** Height of the upright picture, after applying the rotation. */
  readonly displayHeight: number;
  /** Average frame rate (`avg_frame_rate`, what decord's `get_avg_fps()` reports), falling back to `r_frame_rate`. */
  readonly fps: number;
  /** The container's base rate `r_frame_rate`. */
  readonly baseFps: number;
  /** Frames in the stream. */
  readonly frameCount: number;
  /** `metadata`: the container's count; `counted`: ffprobe counted packets; `estimated`: duration × fps. */
  readonly frameCountSource: FrameCountSource;
  /** Clockwise rotation needed to show the picture upright (0, 90, 180, 270). */
  readonly rotationDeg: number;
  /** ffmpeg codec name (`h264`, `hevc`, `vp9`…). */
  readonly codec: string;
  /** Pixel format (`yuv420p`…). */
  readonly pixFmt: string;
  /** Stream time base as `num/den`. */
  readonly timeBase: string;
  /** Presentation time of the stream's first frame, in seconds. */
  readonly startTimeS: number;
  /** Stream duration in seconds. */
  readonly durationS: number;
  /** True when the base and average frame rates disagree, i.e. the stream is probably variable-frame-rate. */
  readonly variableFrameRate: boolean;
}

/** What {@link probeMedia} learned about a file. */
export interface MediaInfo {
  /** The probed path. */
  readonly path: string;
  /** ffmpeg's format name (`mov,mp4,m4a,3gp,3g2,mj2`, `wav`…). */
  readonly formatName: string;
  /** File duration in seconds (0 when the container does not say and nothing could be derived). */
  readonly durationS: number;
  /** Container start time in seconds (the origin of ffmpeg's `-ss`). */
  readonly startTimeS: number;
  /** File size in bytes. */
  readonly sizeBytes: number;
  /** First audio stream, if any. */
  readonly audio?: AudioStreamInfo;
  /** First video stream that is not cover art, if any. */
  readonly video?: VideoStreamInfo;
}

/** Options of {@link probeMedia}. */
export interface ProbeMediaOptions {
  /** Cancels the probe. */
  readonly signal?: AbortSignal;
  /**
   * When the container has no frame count: `true` (default) counts packets
   * with `ffprobe -count_packets` (reads the whole file, no decoding);
   * `false` estimates duration × fps.
   */
  readonly countFrames?: boolean;
}

interface RawStream {
  index: number;
  codec_type?: string;
  codec_name?: string;
  sample_rate?: string;
  channels?: number;
  width?: number;
  height?: number;
  pix_fmt?: string;
  r_frame_rate?: string;
  avg_frame_rate?: string;
  time_base?: string;
  start_time?: string;
  duration?: string;
  nb_frames?: string;
  nb_read_packets?: string;
  disposition?: { attached_pic?: number };
  tags?: Record<string, string>;
  side_data_list?: { side_data_type?: string; rotation?: number | string }[];
}

interface RawProbe {
  streams?: RawStream[];
  format?: { format_name?: string; duration?: string; start_time?: string };
}

/** Parses ffprobe's `num/den` rates; 0 for `0/0` or garbage. */
export function parseRational(text: string | undefined): number {
  if (!text) return 0;
  const [num, den] = text.split('/').map(Number);
  if (num === undefined || !Number.isFinite(num)) return 0;
  if (den === undefined) return num;
  return Number.isFinite(den) && den !== 0 ? num / den : 0;
}

function num(text: string | number | undefined): number {
  const v = typeof text === 'number' ? text : Number(text);
  return Number.isFinite(v) ? v : Number.NaN;
}

/** Throws the registry's not-found error unless `path` is a readable file. */
export async function assertReadableFile(path: string): Promise<number> {
  try {
    await access(path, fsConstants.R_OK);
    const st = await stat(path);
    if (!st.isFile()) throw new Error('not a file');
    return st.size;
  } catch {
    throw new EvalgateError('EVALGATE_ERR_MEDIA_NOT_FOUND', { path });
  }
}

function rotationOf(s: RawStream): number {
  let clockwise = 0;
  const matrix = s.side_data_list?.find((d) => d.rotation !== undefined);
  if (matrix) clockwise = -num(matrix.rotation);
  else if (s.tags?.rotate !== undefined) clockwise = num(s.tags.rotate);
  if (!Number.isFinite(clockwise)) return 0;
  return (((Math.round(clockwise / 90) * 90) % 360) + 360) % 360;
}

async function ffprobeJson(path: string, args: readonly string[], signal: AbortSignal | undefined): Promise<RawProbe> {
  const { ffprobePath } = await resolveFfmpeg();
  const res = await runMediaTool(ffprobePath, ['-v', 'error', '-print_format', 'json', ...args, path], { signal });
  if (res.code !== 0) {
    throw new EvalgateError('EVALGATE_ERR_MEDIA_DECODE_FAILED', { path, detail: errorDetail(res.stderrTail, 'ffprobe failed') });
  }
  try {
    return JSON.parse(res.stdout.toString('utf8')) as RawProbe;
  } catch (err) {
    throw new EvalgateError('EVALGATE_ERR_MEDIA_DECODE_FAILED', { path, detail: `unreadable ffprobe output: ${(err as Error).message}` });
  }
}

/** Counts the packets of one stream by demuxing the whole file (no decoding). */
export async function countVideoPackets(path: string, streamIndex: number, signal?: AbortSignal): Promise<number> {
  const raw = await ffprobeJson(path, ['-count_packets', '-select_streams', String(streamIndex), '-show_entries', 'stream=nb_read_packets'], signal);
  return num(raw.streams?.[0]?.nb_read_packets);
}

/**
 * Probes any container or codec ffmpeg reads. A missing file fails with
 * EVALGATE_ERR_MEDIA_NOT_FOUND; a file ffprobe cannot parse, or one with
 * neither audio nor video, with EVALGATE_ERR_MEDIA_DECODE_FAILED naming it.
 */
export async function probeMedia(path: string, opts: ProbeMediaOptions = {}): Promise<MediaInfo> {
  const sizeBytes = await assertReadableFile(path);
  const raw = await ffprobeJson(path, ['-show_format', '-show_streams'], opts.signal);
  const streams = raw.streams ?? [];
  const formatDurationS = num(raw.format?.duration);
  const formatStartS = num(raw.format?.start_time);

  const a = streams.find((s) => s.codec_type === 'audio');
  const v = streams.find((s) => s.codec_type === 'video' && !s.disposition?.attached_pic);
  if (!a && !v) {
    throw new EvalgateError('EVALGATE_ERR_MEDIA_DECODE_FAILED', { path, detail: 'no audio or video stream found' });
  }

  let audio: AudioStreamInfo | undefined;
  if (a) {
    const d = num(a.duration);
    audio = {
      streamIndex: a.index,
      sampleRateHz: num(a.sample_rate),
      channels: a.channels ?? 0,
      codec: a.codec_name ?? 'unknown',
      durationS: Number.isFinite(d) ? d : Number.isFinite(formatDurationS) ? formatDurationS : 0,
    };
  }

  let video: VideoStreamInfo | undefined;
  if (v) {
    const avgFps = parseRational(v.avg_frame_rate);
    const baseFps = parseRational(v.r_frame_rate);
    const fps = avgFps > 0 ? avgFps : baseFps;
    const streamDurS = num(v.duration);
    const durationS = Number.isFinite(streamDurS) ? streamDurS : Number.isFinite(formatDurationS) ? formatDurationS : 0;
    let frameCount = num(v.nb_frames);
    let frameCountSource: FrameCountSource = 'metadata';
    if (!(frameCount > 0)) {
      frameCount = Number.NaN;
      if (opts.countFrames !== false) {
        frameCount = await countVideoPackets(path, v.index, opts.signal);
        frameCountSource = 'counted';
      }
      if (!(frameCount > 0)) {
        frameCount = Math.max(1, Math.round(durationS * fps));
        frameCountSource = 'estimated';
      }
    }
    const rotationDeg = rotationOf(v);
    const width = v.width ?? 0;
    const height = v.height ?? 0;
    const swap = rotationDeg === 90 || rotationDeg === 270;
    video = {
      streamIndex: v.index,
      width,
      height,
      displayWidth: swap ? height : width,
      displayHeight: swap ? width : height,
      fps,
      baseFps,
      frameCount,
      frameCountSource,
      rotationDeg,
      codec: v.codec_name ?? 'unknown',
      pixFmt: v.pix_fmt ?? 'unknown',
      timeBase: v.time_base ?? '1/1',
      startTimeS: Number.isFinite(num(v.start_time)) ? num(v.start_time) : Number.isFinite(formatStartS) ? formatStartS : 0,
      durationS,
      variableFrameRate: avgFps > 0 && baseFps > 0 && Math.abs(avgFps - baseFps) / baseFps > 1e-3,
    };
  }

  let durationS = formatDurationS;
  if (!Number.isFinite(durationS)) durationS = Math.max(audio?.durationS ?? 0, video?.durationS ?? 0);
  return {
    path,
    formatName: raw.format?.format_name ?? 'unknown',
    durationS,
    startTimeS: Number.isFinite(formatStartS) ? formatStartS : 0,
    sizeBytes,
    ...(audio ? { audio } : {}),
    ...(video ? { video } : {}),
  };
}
