import { EvalgateError } from '../errors.js';
import { resolveFfmpeg } from './ffmpeg-binaries.js';
import type { VideoStreamInfo } from './probe-media.js';
import { errorDetail, runMediaTool } from './run-media-tool.js';

/**
 * Maps a frame index (presentation order, as decord and PyAV number frames)
 * to its presentation time. Two sources:
 * - `cfr`: arithmetic from the stream's start time and average frame rate;
 *   free, and exact for constant-frame-rate streams with a frame count;
 * - `packets`: the sorted presentation timestamps of every video packet, read
 *   by demuxing the whole file (no decoding); exact for variable frame rate
 *   and the only source of a frame count when the container has none.
 * Either way the decoder's reported timestamps are checked against it.
 */
export interface VideoTimeline {
  /** `cfr` (arithmetic) or `packets` (timestamp table). */
  readonly source: 'cfr' | 'packets';
  /** Frames in the stream. */
  readonly totalFrames: number;
  /** Average frame rate used for index maths. */
  readonly fps: number;
  /** Presentation time of frame `index`, in seconds on the stream's clock. */
  ptsS(index: number): number;
  /** The frame whose presentation time is nearest to `ptsS`. */
  indexAt(ptsS: number): number;
}

/** A timeline from start time and frame rate (constant frame rate). */
export function cfrTimeline(video: Pick<VideoStreamInfo, 'startTimeS' | 'fps' | 'frameCount'>): VideoTimeline {
  const { startTimeS, fps, frameCount } = video;
  return {
    source: 'cfr',
    totalFrames: frameCount,
    fps,
    ptsS: (i) => startTimeS + i / fps,
    indexAt: (t) => Math.min(frameCount - 1, Math.max(0, Math.round((t - startTimeS) * fps))),
  };
}

/** A timeline from a sorted table of presentation times. */
export function tableTimeline(times: Float64Array, fps: number): VideoTimeline {
  const n = times.length;
  return {
    source: 'packets',
    totalFrames: n,
    fps,
    ptsS: (i) => times[Math.min(n - 1, Math.max(0, i))] ?? Number.NaN,
    indexAt: (t) => {
      let lo = 0;
      let hi = n - 1;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if ((times[mid] ?? 0) < t) lo = mid + 1;
        else hi = mid;
      }
      // lo is the first frame at or after t; the previous one may be nearer.
      if (lo > 0 && Math.abs((times[lo - 1] ?? 0) - t) <= Math.abs((times[lo] ?? 0) - t)) return lo - 1;
      return lo;
    },
  };
}

/**
 * Reads every packet timestamp of one video stream (`ffprobe -show_entries
 * packet=pts_time,dts_time,flags`), drops packets flagged for discard (edit-list
 * priming), and sorts them into presentation order.
 */
export async function packetTimeline(path: string, video: Pick<VideoStreamInfo, 'streamIndex' | 'fps'>, signal?: AbortSignal): Promise<VideoTimeline> {
  const { ffprobePath } = await resolveFfmpeg();
  const res = await runMediaTool(
    ffprobePath,
    ['-v', 'error', '-select_streams', String(video.streamIndex), '-show_entries', 'packet=pts_time,dts_time,flags', '-of', 'csv=p=0', path],
    { signal },
  );
  if (res.code !== 0) {
    throw new EvalgateError('EVALGATE_ERR_MEDIA_DECODE_FAILED', { path, detail: errorDetail(res.stderrTail, 'ffprobe failed') });
  }
  const text = res.stdout.toString('latin1');
  const values: number[] = [];
  let start = 0;
  while (start < text.length) {
    let end = text.indexOf('\n', start);
    if (end < 0) end = text.length;
    const line = text.slice(start, end).trim();
    start = end + 1;
    if (!line) continue;
    const [pts, dts, flags] = line.split(',');
    if (flags?.includes('D')) continue;
    let t = Number(pts);
    if (!Number.isFinite(t) || pts === 'N/A' || pts === '') t = Number(dts);
    if (Number.isFinite(t)) values.push(t);
  }
  if (values.length === 0) {
    throw new EvalgateError('EVALGATE_ERR_MEDIA_DECODE_FAILED', { path, detail: 'the video stream has no timestamped packets' });
  }
  const times = Float64Array.from(values).sort();
  return tableTimeline(times, video.fps);
}
