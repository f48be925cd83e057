import { join } from 'node:path';
import sharp from 'sharp';
import { beforeAll, describe, expect, it } from 'vitest';
import { resolveFfmpeg } from '../../gateway/media/ffmpeg-binaries.js';
import { h264ReferenceTargets } from '../../gateway/media/reference-frames.js';
import { decodeFrames, type DecodeTarget } from '../../gateway/media/seek-decoder.js';
import { makeCounterVideo, readCounter, tempDir } from './media-fixtures.js';

let dir: string;
let counter: string; // 300 frames, 25 fps, one GOP, 3 B-frames (some non-reference)

const targetsOf = (indices: number[]): DecodeTarget[] => indices.map((i) => ({ index: i, loS: (i - 0.5) / 25, hiS: (i + 0.5) / 25 }));

async function counterOf(file: string): Promise<number> {
  const { data, info } = await sharp(file).raw().toBuffer({ resolveWithObject: true });
  return readCounter(data, info.width, info.height, info.channels);
}

beforeAll(async () => {
  dir = tempDir();
  counter = join(dir, 'counter.mp4');
  await makeCounterVideo(counter);
});

describe('reference-picture detection and -skip_frame noref', () => {
  it('finds the reference pictures of an H.264 stream with B-frames, and not the others', async () => {
    const { ffprobePath } = await resolveFfmpeg();
    const all = Array.from({ length: 40 }, (_, i) => i + 100);
    const refs = await h264ReferenceTargets(targetsOf(all), { ffprobePath, path: counter, streamIndex: 0, formatStartS: 0 });
    // x264 with 3 B-frames leaves some B-frames unreferenced: neither none nor all may be references.
    expect(refs.size).toBeGreaterThan(0);
    expect(refs.size).toBeLessThan(all.length);
  });

  it('decodes the exact frames when skipping non-reference pictures, and recovers from a wrong claim', async () => {
    const { ffmpegPath, ffprobePath } = await resolveFfmpeg();
    const indices = [5, 37, 101, 150, 151, 152, 153, 222, 299];
    const targets = targetsOf(indices);
    // Four consecutive frames include a non-reference B-frame, so the retry path below really runs.
    const trueRefs = await h264ReferenceTargets(targets, { ffprobePath, path: counter, streamIndex: 0, formatStartS: 0 });
    expect(indices.filter((i) => !trueRefs.has(i)).length).toBeGreaterThan(0);
    // Claim every target is a reference picture: the non-reference ones come back missing and must be redone in full.
    const res = await decodeFrames(targets, {
      ffmpegPath,
      path: counter,
      streamIndex: 0,
      formatStartS: 0,
      timeBaseS: 1 / 12800,
      mode: 'exact',
      workDir: dir,
      ext: 'png',
      filterTail: '',
      concurrency: 2,
      mergeGapFrames: 0,
      fps: 25,
      referenceIndices: new Set(indices),
    });
    expect(res.mismatched).toEqual([]);
    const got: number[] = [];
    for (const i of indices) got.push(await counterOf(res.decoded.get(i)?.file ?? ''));
    expect(got).toEqual(indices);
  });
});
