import type { Command } from 'commander';
import { positiveInt, positiveNumber } from '../option-values.js';
import { runAction } from '../run-action.js';

interface FramesCliOptions {
  readonly strategy: string;
  readonly count?: number;
  readonly fps?: number;
  readonly maxFrames?: number;
  readonly minFrames?: number;
  readonly maxSide?: number;
  readonly format: string;
  readonly out?: string;
  readonly cache: boolean;
  readonly cacheDir?: string;
  readonly jobs?: number;
  readonly json?: boolean;
}

function int(name: string): (v: string) => number {
  return (v) => positiveInt(name, v);
}

function positive(name: string): (v: string) => number {
  return (v) => positiveNumber(name, v);
}

export default function register(program: Command): void {
  program
    .command('frames')
    .summary('sample video frames at exactly the indices a named convention prescribes')
    .description(
      'sample video frames at exactly the indices a named convention prescribes and write them as images\n' +
        '  uniform   segment centres (MVBench / InternVL get_index)\n' +
        '  linspace  linspace(0, total-1, N) truncated (lmms-eval)\n' +
        '  fps       F frames per second capped at M, a multiple of 2 (Qwen2-VL smart_nframes)\n' +
        '  keyframes fast and approximate: the keyframe at or before each uniform index',
    )
    .argument('<video>', 'video file (any container/codec ffmpeg reads)')
    .option('--strategy <name>', 'uniform | linspace | fps | keyframes', 'uniform')
    .option('-n, --count <n>', 'frames to sample (uniform, linspace, keyframes)', int('--count'))
    .option('--fps <f>', 'fps strategy: frames per second of video (default 2)', positive('--fps'))
    .option('--max-frames <m>', 'fps strategy: at most this many frames (default min(768, total))', int('--max-frames'))
    .option('--min-frames <m>', 'fps strategy: at least this many frames (default 4)', int('--min-frames'))
    .option('--max-side <px>', 'downscale so the longer side is at most this many pixels', int('--max-side'))
    .option('--format <fmt>', 'jpg or png', 'jpg')
    .option('-o, --out <dir>', 'copy the frames into this folder (default: leave them in the cache)')
    .option('--no-cache', 'decode again even when the frames are cached, and do not cache them')
    .option('--cache-dir <dir>', 'cache root (default: cacheDir from the configuration, .evalgate/cache)')
    .option('-j, --jobs <n>', 'ffmpeg processes at once (default: CPU count, at most 4)', int('--jobs'))
    .option('--json', 'print JSON: {"frames": [{"index", "timestamp_s", "path"}], "total_frames", "fps", ...}')
    .action(
      runAction(async (video: string, opts: FramesCliOptions, cmd: Command) => {
        const { extractFrames } = await import('../../media/extract-frames.js');
        const { loadConfig } = await import('../../config/load-config.js');
        const { createProgress } = await import('../progress.js');
        const { config: configFile } = cmd.optsWithGlobals<{ config?: string }>();
        const cacheDir = opts.cacheDir ?? (opts.cache ? loadConfig({ file: configFile }).cacheDir : undefined);
        let bar: ReturnType<typeof createProgress> | undefined;
        let lastDone = 0;
        const res = await extractFrames(video, {
          strategy: opts.strategy as 'uniform',
          count: opts.count,
          fps: opts.fps,
          maxFrames: opts.maxFrames,
          minFrames: opts.minFrames,
          maxSidePx: opts.maxSide,
          format: opts.format as 'jpg',
          outDir: opts.out,
          cache: opts.cache,
          cacheDir,
          concurrency: opts.jobs,
          onProgress: (done, total) => {
            bar ??= createProgress('frames', total, { json: opts.json });
            bar.setTotal(total);
            bar.increment(done - lastDone);
            lastDone = done;
          },
        });
        bar?.stop();
        const doc = {
          frames: res.frames.map((f) => ({ index: f.index, timestamp_s: f.timestampS, path: f.path })),
          total_frames: res.totalFrames,
          fps: res.fps,
          assumptions: res.assumptions,
          cached: res.cached,
          ...(res.videoSha256 ? { video_sha256: res.videoSha256 } : {}),
        };
        if (opts.json) return doc;
        const lines = [
          `${res.frames.length} frame(s) of ${res.totalFrames} at ${res.fps} fps${res.cached ? ' (from cache)' : ''}`,
          ...res.frames.map((f) => `${String(f.index).padStart(7)}  ${f.timestampS.toFixed(3).padStart(10)} s  ${f.path}`),
          ...res.assumptions.map((a) => `note: ${a}`),
        ];
        return lines.join('\n');
      }),
    );
}
