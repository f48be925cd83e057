import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { beforeAll, describe, expect, it } from 'vitest';
import { defined } from '../helpers/defined.js';
import { extractFrames, type ExtractFramesResult } from '../../gateway/media/extract-frames.js';
import { probeMedia } from '../../gateway/media/probe-media.js';
import { uniformIndices, linspaceIndices, qwenFpsIndices } from '../../scorers/frames/frame-indices.js';
import { ffmpegRun, makeCounterVideo, readCounter, realdataDir, tempDir } from './media-fixtures.js';

let dir: string;
let cacheDir: string;
let counter: string; // 300 frames, 25 fps, one GOP for the whole clip, B-frames

async function counters(result: ExtractFramesResult): Promise<number[]> {
  const out: number[] = [];
  for (const f of result.frames) {
    const { data, info } = await sharp(f.path).raw().toBuffer({ resolveWithObject: true });
    out.push(readCounter(data, info.width, info.height, info.channels));
  }
  return out;
}

beforeAll(async () => {
  dir = tempDir();
  cacheDir = join(dir, 'cache');
  counter = join(dir, 'counter.mp4');
  await makeCounterVideo(counter);
});

describe('extractFrames: exact frames', () => {
  it('decodes exactly the uniform indices (pixels carry the frame number)', async () => {
    const res = await extractFrames(counter, { strategy: 'uniform', count: 16, format: 'png', cacheDir });
    expect(res.totalFrames).toBe(300);
    expect(res.fps).toBe(25);
    expect(res.frames.map((f) => f.index)).toEqual(uniformIndices(300, 16));
    expect(await counters(res)).toEqual(uniformIndices(300, 16));
    expect(res.frames[0]?.timestampS).toBeCloseTo(defined(uniformIndices(300, 16)[0], 'the first uniform index') / 25, 6);
    expect(res.cached).toBe(false);
  });

  it('decodes linspace and Qwen fps indices, including frame 0 and the last frame, as JPEG', async () => {
    const lin = await extractFrames(counter, { strategy: 'linspace', count: 9, cacheDir });
    expect(lin.frames.map((f) => f.index)).toEqual(linspaceIndices(300, 9));
    expect(await counters(lin)).toEqual(linspaceIndices(300, 9));
    expect(lin.frames[0]?.path.endsWith('.jpg')).toBe(true);
    const fps = await extractFrames(counter, { strategy: 'fps', fps: 2, maxFrames: 24, format: 'png', cacheDir });
    expect(fps.frames.map((f) => f.index)).toEqual(qwenFpsIndices(300, 25, { targetFps: 2, maxFrames: 24 }));
    expect(await counters(fps)).toEqual(fps.frames.map((f) => f.index));
  });

  it('gets dense, repeated and adjacent targets right (continuous-decode runs)', async () => {
    const res = await extractFrames(counter, { strategy: 'uniform', count: 400, format: 'png', cache: false, outDir: join(dir, 'dense') });
    const want = uniformIndices(300, 400);
    expect(res.frames.map((f) => f.index)).toEqual(want);
    expect(await counters(res)).toEqual(want);
    expect(readdirSync(join(dir, 'dense')).filter((f) => f.startsWith('.'))).toEqual([]);
  });

  it('serves a repeated request from the cache and copies to --out', async () => {
    const out = join(dir, 'out-copy');
    const again = await extractFrames(counter, { strategy: 'uniform', count: 16, format: 'png', cacheDir, outDir: out });
    expect(again.cached).toBe(true);
    expect(again.videoSha256).toMatch(/^[0-9a-f]{64}$/);
    expect(again.frames.every((f) => f.path.startsWith(out) && existsSync(f.path))).toBe(true);
    expect(await counters(again)).toEqual(uniformIndices(300, 16));
  });
});

describe('extractFrames: awkward inputs', () => {
  it('handles odd sizes and scaling', async () => {
    const odd = join(dir, 'odd.mp4');
    await makeCounterVideo(odd, { width: 321, height: 97, frames: 120, pixFmt: 'yuv444p' });
    const res = await extractFrames(odd, { strategy: 'uniform', count: 8, format: 'png', cacheDir });
    const meta = await sharp(defined(res.frames[0], 'a frame').path).metadata();
    expect([meta.width, meta.height]).toEqual([321, 97]);
    expect(await counters(res)).toEqual(uniformIndices(120, 8));
    const small = await extractFrames(odd, { strategy: 'uniform', count: 4, maxSidePx: 161, cacheDir });
    const m2 = await sharp(defined(small.frames[0], 'a scaled frame').path).metadata();
    expect(Math.max(m2.width ?? 0, m2.height ?? 0)).toBe(161);
    expect(small.assumptions.join(' ')).toMatch(/scaled/);
  });

  it('counts frames when the container has no count (Matroska) and says so', async () => {
    const mkv = join(dir, 'counter.mkv');
    await ffmpegRun(['-i', counter, '-c', 'copy', mkv]);
    const info = await probeMedia(mkv);
    expect(info.video?.frameCountSource).toBe('counted');
    expect(info.video?.frameCount).toBe(300);
    const res = await extractFrames(mkv, { strategy: 'uniform', count: 12, format: 'png', cacheDir });
    expect(res.assumptions.join(' ')).toMatch(/no frame count: counted 300 frames/);
    expect(await counters(res)).toEqual(uniformIndices(300, 12));
  });

  it('stays exact in MPEG-TS, where seeking can land after the target', async () => {
    const gop = join(dir, 'gop100.mp4');
    await makeCounterVideo(gop, { extra: ['-g', '100', '-keyint_min', '100'] });
    const ts = join(dir, 'gop100.ts');
    await ffmpegRun(['-i', gop, '-c', 'copy', '-f', 'mpegts', ts]);
    const res = await extractFrames(ts, { strategy: 'uniform', count: 12, format: 'png', cacheDir });
    expect(res.totalFrames).toBe(300);
    expect(res.frames.map((f) => f.index)).toEqual(uniformIndices(300, 12));
    expect(await counters(res)).toEqual(uniformIndices(300, 12));
    expect(res.frames[0]?.timestampS).toBeCloseTo(defined(uniformIndices(300, 12)[0], 'the first uniform index') / 25, 3);
  });

  it('maps indices by timestamp on a variable-frame-rate video', async () => {
    const vfr = join(dir, 'vfr.mp4');
    // 200 frames: the first 100 at 25 fps, then 10 fps.
    await makeCounterVideo(vfr, {
      frames: 200,
      extra: ['-vf', "setpts='if(lt(N,100),N/25,4+(N-100)/10)/TB'", '-fps_mode', 'vfr', '-video_track_timescale', '1000'],
    });
    const info = await probeMedia(vfr);
    expect(info.video?.frameCount).toBe(200);
    const res = await extractFrames(vfr, { strategy: 'uniform', count: 10, format: 'png', cacheDir });
    expect(res.totalFrames).toBe(200);
    expect(await counters(res)).toEqual(uniformIndices(200, 10));
    const last = res.frames.at(-1)!;
    expect(last.timestampS).toBeCloseTo(4 + (last.index - 100) / 10, 3);
    expect(res.assumptions.join(' ')).toMatch(/variable frame rate|packet timestamp/);
  });

  it('reports and applies rotation metadata', async () => {
    const rotated = join(dir, 'rotated.mp4');
    await ffmpegRun(['-i', counter, '-c', 'copy', '-metadata:s:v:0', 'rotate=90', rotated]);
    const info = await probeMedia(rotated);
    // ffmpeg 5+ writes `rotate=90` as a counter-clockwise display matrix; older ones clockwise. Either way a quarter turn.
    expect([90, 270]).toContain(info.video?.rotationDeg);
    expect([info.video?.displayWidth, info.video?.displayHeight]).toEqual([96, 320]);
    const res = await extractFrames(rotated, { strategy: 'uniform', count: 2, format: 'png', cacheDir });
    const meta = await sharp(defined(res.frames[0], 'a frame').path).metadata();
    expect([meta.width, meta.height]).toEqual([96, 320]);
    expect(res.assumptions.join(' ')).toMatch(/rotated (90|270)° clockwise/);
  });

  it('keyframes mode snaps to the keyframe at or before each target and reports the real index', async () => {
    const gop = join(dir, 'gop50.mp4');
    await makeCounterVideo(gop, { extra: ['-g', '50', '-keyint_min', '50'] });
    const res = await extractFrames(gop, { strategy: 'keyframes', count: 6, format: 'png', cacheDir });
    const targets = uniformIndices(300, 6);
    expect(res.frames.map((f) => f.index)).toEqual(targets.map((t) => Math.floor(t / 50) * 50));
    expect(await counters(res)).toEqual(res.frames.map((f) => f.index));
  });
});

describe('extractFrames: errors', () => {
  it('rejects a corrupt video with a clear error naming it', async () => {
    const corrupt = join(dir, 'corrupt.mp4');
    writeFileSync(corrupt, Buffer.alloc(50_000, 0x5a));
    const err = (await extractFrames(corrupt, { strategy: 'uniform', count: 4, cacheDir }).catch((e: unknown) => e)) as Error & {
      code?: string;
    };
    expect(err.code).toBe('EVALGATE_ERR_MEDIA_DECODE_FAILED');
    expect(err.message).toContain(corrupt);
  });
  it('rejects a missing file and bad parameters', async () => {
    await expect(extractFrames(join(dir, 'missing.mp4'), { strategy: 'uniform', count: 4, cacheDir })).rejects.toMatchObject({
      code: 'EVALGATE_ERR_MEDIA_NOT_FOUND',
    });
    await expect(extractFrames(counter, { strategy: 'uniform', cacheDir })).rejects.toMatchObject({ code: 'EVALGATE_ERR_BAD_INPUT' });
  });
});

describe.skipIf(!realdataDir)('extractFrames on real data (yoga.mp4)', () => {
  it('samples the published MVBench indices and matches a slow exact reference decode', async () => {
    const yoga = join(realdataDir ?? '', 'yoga.mp4');
    const res = await extractFrames(yoga, { strategy: 'uniform', count: 16, format: 'png', cacheDir });
    expect(res.frames.map((f) => f.index)).toEqual([9, 28, 46, 65, 84, 102, 121, 140, 159, 177, 196, 215, 233, 252, 271, 289]);
    expect(res.totalFrames).toBe(300);
    expect(res.fps).toBe(30);
    // Reference: decode everything, keep frame n by counting (select on n), same PNG conversion.
    for (const pick of [0, 7, 15]) {
      const f = defined(res.frames[pick], `frame #${pick}`);
      const ref = join(dir, `yoga-ref-${f.index}.png`);
      await ffmpegRun(['-i', yoga, '-vf', `select=eq(n\\,${f.index})`, '-fps_mode', 'passthrough', '-frames:v', '1', ref]);
      const [a, b] = await Promise.all([sharp(f.path).raw().toBuffer(), sharp(ref).raw().toBuffer()]);
      expect(a.equals(b)).toBe(true);
    }
  });
});
