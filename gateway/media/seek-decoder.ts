import { rename } from 'node:fs/promises';
import { join } from 'node:path';
import { EvalgateError } from '../errors.js';
import { errorDetail, runMediaTool } from './run-media-tool.js';

/**
 * Decodes chosen frames of one video with few ffmpeg processes and no full
 * decode pass.
 *
 * Each process opens the file several times, once per *run*, each input
 * seeked on its own (`-ss` before `-i`, ffmpeg's accurate seek: jump to the
 * keyframe before, decode forward, drop frames before the seek point). A run
 * is one target frame, or several close targets picked out of one continuous
 * decode by a `select` on presentation-time windows. Every output frame goes
 * through a named `showinfo`, whose log gives the frame's real timestamp, so
 * each frame is checked against its window instead of trusted. `-copyts` keeps
 * the stream's own clock so those timestamps are comparable.
 *
 * Runs are spread over a small pool of processes (one decoding thread each)
 * with at most {@link maxInputsPerProcess} inputs per process, which bounds
 * memory (one decoder per input) and process start-up cost alike.
 */

/** One frame to decode. */
export interface DecodeTarget {
  /** The prescribed frame index. */
  readonly index: number;
  /** Start of the frame's presentation window (midpoint to the previous frame), stream clock, seconds. */
  readonly loS: number;
  /** End of the window (midpoint to the next frame), exclusive. */
  readonly hiS: number;
}

/** A decoded frame, as the decoder reported it. */
export interface DecodedFrame {
  /** File written. */
  readonly file: string;
  /** The frame's presentation time on the stream clock, from showinfo. */
  readonly ptsS: number;
}

/** Inputs of {@link decodeFrames}. */
export interface SeekDecodeOptions {
  /** ffmpeg executable. */
  readonly ffmpegPath: string;
  /** The video. */
  readonly path: string;
  /** Stream index of the video stream. */
  readonly streamIndex: number;
  /** Container start time: ffmpeg's `-ss` counts from it. */
  readonly formatStartS: number;
  /** Stream time base in seconds per tick (used if showinfo does not print its own). */
  readonly timeBaseS: number;
  /** `exact`: accurate seeks, frames verified; `keyframes`: the keyframe at or before each target. */
  readonly mode: 'exact' | 'keyframes';
  /** Folder the frame files go to. */
  readonly workDir: string;
  /** `jpg` or `png`. */
  readonly ext: 'jpg' | 'png';
  /** Filters appended after showinfo (scaling), each starting with a comma, or ''. */
  readonly filterTail: string;
  /** Processes run at once. */
  readonly concurrency: number;
  /** Targets closer than this many frames share one continuous decode. */
  readonly mergeGapFrames: number;
  /** Frame rate, to turn merge gaps into frames. */
  readonly fps: number;
  /** Cancels every process. */
  readonly signal?: AbortSignal;
  /** Called as frames complete. */
  readonly onFrames?: (n: number) => void;
  /**
   * Decode from the start of the file instead of seeking: the fallback for
   * containers where ffmpeg's seek can land after the target (MPEG-TS and other
   * files without an index).
   */
  readonly noSeek?: boolean;
  /**
   * Targets known to be reference pictures (see `reference-frames.ts`). A run whose
   * targets all are decodes with `-skip_frame noref`: pictures no other picture
   * predicts from cannot change the target's pixels, and skipping them roughly
   * halves the decode from the keyframe. A target that still comes back missing is
   * decoded again without skipping.
   */
  readonly referenceIndices?: ReadonlySet<number>;
}

/** What came back: frames that passed their check, and targets that did not. */
export interface SeekDecodeResult {
  /** Target index → decoded frame. */
  readonly decoded: Map<number, DecodedFrame>;
  /** Targets whose frame was missing or outside its window, with the reason. */
  readonly mismatched: { index: number; reason: string }[];
}

/** Inputs (decoders) one ffmpeg process opens at most. */
export const maxInputsPerProcess = 16;

/**
 * Targets one continuous run selects at most. The `select` expression is a
 * balanced sum, because ffmpeg's expression parser gives up on a flat chain of
 * about 100 terms ("Error while parsing expression"); a fresh seek every 64
 * targets costs little.
 */
export const maxTargetsPerRun = 64;

/** Targets one run selects when it cannot seek and must decode from the start. */
export const maxTargetsPerUnseekedRun = 512;

function balancedSum(terms: readonly string[]): string {
  if (terms.length === 1) return terms[0] ?? '0';
  const mid = terms.length >> 1;
  return `(${balancedSum(terms.slice(0, mid))}+${balancedSum(terms.slice(mid))})`;
}

type Run = DecodeTarget[];

/** Groups sorted targets into runs and spreads them over the pool. */
export function planBatches(targets: readonly DecodeTarget[], opts: Pick<SeekDecodeOptions, 'mode' | 'mergeGapFrames' | 'concurrency' | 'noSeek'>): Run[][] {
  if (opts.noSeek) {
    // Every run decodes from frame 0 anyway: as few runs as the expression allows, one per process.
    const runs: Run[][] = [];
    for (let i = 0; i < targets.length; i += maxTargetsPerUnseekedRun) runs.push([targets.slice(i, i + maxTargetsPerUnseekedRun)]);
    return runs;
  }
  const runs: Run[] = [];
  for (const t of targets) {
    const last = runs.at(-1);
    const prev = last?.at(-1);
    if (opts.mode === 'exact' && last && prev && last.length < maxTargetsPerRun && t.index - prev.index <= opts.mergeGapFrames) {
      last.push(t);
    } else runs.push([t]);
  }
  // Too few runs to keep the pool busy: split the longest at its widest gap.
  while (runs.length < opts.concurrency) {
    let best = -1;
    let bestSpan = 0;
    runs.forEach((r, i) => {
      const span = (r.at(-1)?.index ?? 0) - (r[0]?.index ?? 0);
      if (r.length > 1 && span > bestSpan) {
        best = i;
        bestSpan = span;
      }
    });
    if (best < 0) break;
    const run = runs[best] ?? [];
    let cut = 1;
    let widest = -1;
    for (let i = 1; i < run.length; i++) {
      const gap = (run[i]?.index ?? 0) - (run[i - 1]?.index ?? 0);
      if (gap > widest) {
        widest = gap;
        cut = i;
      }
    }
    runs.splice(best, 1, run.slice(0, cut), run.slice(cut));
  }
  const perWorker: Run[][] = Array.from({ length: Math.max(1, opts.concurrency) }, () => []);
  runs.forEach((r, i) => perWorker[i % perWorker.length]?.push(r));
  const batches: Run[][] = [];
  for (const list of perWorker) {
    const n = Math.ceil(list.length / maxInputsPerProcess);
    for (let b = 0; b < n; b++) batches.push(list.slice(Math.floor((b * list.length) / n), Math.floor(((b + 1) * list.length) / n)));
  }
  return batches.filter((b) => b.length > 0);
}

function fmt(s: number): string {
  return Math.max(0, s).toFixed(6);
}

function frameName(index: number, ext: string): string {
  return `frame_${String(index).padStart(6, '0')}.${ext}`;
}

const showinfoLine = /^\[showinfo@eg(\d+) @ [^\]]+\] (.*)$/;

async function runBatch(batch: Run[], batchNo: number, opts: SeekDecodeOptions, result: SeekDecodeResult): Promise<void> {
  // One thread per encoder and for the filter graph: each frame is tiny work, and a thread pool per output
  // costs more to start than it saves (measured: ~10 ms of CPU per output).
  const codec = opts.ext === 'jpg' ? ['-c:v', 'mjpeg', '-q:v', '2', '-threads', '1'] : ['-c:v', 'png', '-threads', '1'];
  // -vsync passthrough: never duplicate or drop frames to fill a constant output rate (select leaves gaps).
  const args = ['-hide_banner', '-nostdin', '-nostats', '-y', '-loglevel', 'info', '-copyts', '-vsync', 'passthrough'];
  const filters: string[] = [];
  const outputs: string[] = [];
  batch.forEach((run, k) => {
    const first = run[0];
    if (!first) return;
    args.push('-threads', '1');
    if (opts.mode === 'exact' && !opts.noSeek && opts.referenceIndices && run.every((t) => opts.referenceIndices?.has(t.index))) {
      args.push('-skip_frame', 'noref');
    }
    let seekS: number;
    if (opts.mode === 'keyframes') {
      args.push('-skip_frame', 'nokey', '-noaccurate_seek');
      // Land on the keyframe at or before the target (a hair past its own start, for keyframe targets).
      seekS = (first.loS + first.hiS) / 2 - opts.formatStartS;
    } else {
      seekS = first.loS - opts.formatStartS;
    }
    if (seekS > 0 && !opts.noSeek) args.push('-ss', fmt(seekS));
    args.push('-i', opts.path);
    // Without a seek the first decoded frame is frame 0, so even a single target needs its window.
    const select = run.length > 1 || opts.noSeek ? `select='${balancedSum(run.map((t) => `gte(t\\,${t.loS.toFixed(6)})*lt(t\\,${t.hiS.toFixed(6)})`))}',` : '';
    filters.push(`[${k}:${opts.streamIndex}]${select}showinfo@eg${k}${opts.filterTail}[o${k}]`);
    const target =
      run.length > 1
        ? ['-f', 'image2', '-start_number', '0', join(opts.workDir, `b${batchNo}r${k}_%05d.${opts.ext}`)]
        : ['-f', 'image2', '-update', '1', join(opts.workDir, `b${batchNo}r${k}.${opts.ext}`)];
    outputs.push('-map', `[o${k}]`, '-frames:v', String(run.length), ...codec, ...target);
  });
  args.push('-filter_complex_threads', '1', '-filter_complex', filters.join(';'), ...outputs);

  const timeBases = new Map<number, number>();
  const seen = new Map<number, { pts: number; ptsTime: number }[]>();
  const res = await runMediaTool(opts.ffmpegPath, args, {
    signal: opts.signal,
    onStderrLine: (line) => {
      const m = showinfoLine.exec(line);
      if (!m) return;
      const k = Number(m[1]);
      const body = m[2] ?? '';
      const tb = /time_base: (\d+)\/(\d+)/.exec(body);
      if (body.startsWith('config in') && tb) {
        timeBases.set(k, Number(tb[1]) / Number(tb[2]));
        return;
      }
      const f = /^n:\s*\d+\s+pts:\s*(-?\d+)\s+pts_time:(\S+)/.exec(body);
      if (!f) return;
      const list = seen.get(k) ?? [];
      list.push({ pts: Number(f[1]), ptsTime: Number(f[2]) });
      seen.set(k, list);
    },
  });
  if (res.code !== 0) {
    throw new EvalgateError('EVALGATE_ERR_MEDIA_DECODE_FAILED', { path: opts.path, detail: errorDetail(res.stderrTail) });
  }

  for (const [k, run] of batch.entries()) {
    const frames = seen.get(k) ?? [];
    const tb = timeBases.get(k) ?? opts.timeBaseS;
    const fileOf = (j: number): string =>
      run.length > 1 || opts.noSeek
        ? join(opts.workDir, `b${batchNo}r${k}_${String(j).padStart(5, '0')}.${opts.ext}`)
        : join(opts.workDir, `b${batchNo}r${k}.${opts.ext}`);
    const claimed = new Map<number, number>(); // target position → decoded frame position
    const wrongPts: number[] = [];
    frames.slice(0, run.length).forEach((got, j) => {
      const ptsS = Number.isFinite(got.pts) && tb > 0 ? got.pts * tb : got.ptsTime;
      if (opts.mode === 'keyframes') {
        claimed.set(j, j);
        wrongPts[j] = ptsS;
        return;
      }
      // Match by window, not by position: a seek that overshoots skips targets, and the rest must not shift.
      const at = run.findIndex((t) => ptsS >= t.loS - 1e-6 && ptsS < t.hiS - 1e-6);
      if (at >= 0 && !claimed.has(at)) claimed.set(at, j);
      wrongPts[j] = ptsS;
    });
    for (const [i, t] of run.entries()) {
      const j = claimed.get(i);
      if (j === undefined) {
        const near = wrongPts.find((x) => x !== undefined);
        result.mismatched.push({
          index: t.index,
          reason:
            near === undefined
              ? 'the decoder returned no frame for it'
              : `no decoded frame fell in [${t.loS.toFixed(6)}, ${t.hiS.toFixed(6)}) (the decoder returned ${near.toFixed(6)} s)`,
        });
        continue;
      }
      // Named by the target here; keyframes mode renames to the frame actually decoded.
      const file = join(opts.workDir, frameName(t.index, opts.ext));
      await rename(fileOf(j), file);
      result.decoded.set(t.index, { file, ptsS: wrongPts[j] ?? Number.NaN });
    }
    opts.onFrames?.(run.length);
  }
}

/** Decodes `targets` (sorted, distinct indices) into `workDir`; see the module comment. */
export async function decodeFrames(targets: readonly DecodeTarget[], opts: SeekDecodeOptions): Promise<SeekDecodeResult> {
  const result: SeekDecodeResult = { decoded: new Map(), mismatched: [] };
  const batches = planBatches(targets, opts);
  // One failing process stops the others instead of leaving them running.
  const stop = new AbortController();
  const signal = opts.signal ? AbortSignal.any([opts.signal, stop.signal]) : stop.signal;
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < batches.length && !signal.aborted) {
      const i = next++;
      const batch = batches[i];
      if (!batch) continue;
      try {
        await runBatch(batch, i, { ...opts, signal }, result);
      } catch (err) {
        if (!stop.signal.aborted) stop.abort(err);
        throw err;
      }
    }
  };
  const settled = await Promise.allSettled(Array.from({ length: Math.min(opts.concurrency, batches.length) }, worker));
  opts.signal?.throwIfAborted();
  if (stop.signal.aborted) throw stop.signal.reason as Error;
  const failed = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
  if (failed) throw failed.reason as Error;
  const refs = opts.referenceIndices;
  if (refs && refs.size > 0) {
    // A target wrongly taken for a reference picture was skipped by its decoder: decode those again in full.
    const again = new Set(result.mismatched.filter((m) => refs.has(m.index)).map((m) => m.index));
    if (again.size > 0) {
      const retry = await decodeFrames(
        targets.filter((t) => again.has(t.index)),
        { ...opts, referenceIndices: undefined },
      );
      const mismatched = result.mismatched.filter((m) => !again.has(m.index)).concat(retry.mismatched);
      for (const [k, v] of retry.decoded) result.decoded.set(k, v);
      return { decoded: result.decoded, mismatched };
    }
  }
  return result;
}

export { frameName };
