// Test media generated on the fly with ffmpeg's lavfi sources, so that the expected content of every
// frame and sample is known by construction.
import { execFile } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { resolveFfmpeg } from '../../gateway/media/ffmpeg-binaries.js';
import { hasRealdata, realdataDir as sharedRealdataDir } from '../helpers/realdata.js';

/** `<repo>/../shared/realdata`, or undefined when that folder is absent. */
export const realdataDir: string | undefined = hasRealdata ? sharedRealdataDir : undefined;

export function tempDir(prefix = 'evalgate-media-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

export async function ffmpegRun(args: string[]): Promise<void> {
  const { ffmpegPath } = await resolveFfmpeg();
  await new Promise<void>((ok, fail) => {
    execFile(ffmpegPath, ['-hide_banner', '-nostdin', '-v', 'error', '-y', ...args], { maxBuffer: 1 << 24 }, (err, _o, stderr) =>
      err ? fail(new Error(`${err.message}\n${stderr}`)) : ok(),
    );
  });
}

/** Bits of the frame number burned into the top band of each frame by {@link makeCounterVideo}. */
export const counterBits = 10;

/**
 * A video whose top half shows the frame number n in binary: 10 equal-width
 * columns, column b white when bit b of n is set. The bottom half is a moving
 * pattern, so frames differ and B-frames are used. GOP = whole clip, so every
 * seek has to decode from frame 0.
 */
export async function makeCounterVideo(
  path: string,
  opts: { width?: number; height?: number; fps?: string; frames?: number; extra?: string[]; pixFmt?: string } = {},
): Promise<void> {
  const width = opts.width ?? 320;
  const height = opts.height ?? 96;
  const fps = opts.fps ?? '25';
  const frames = opts.frames ?? 300;
  const half = Math.floor(height / 2);
  const geq = `lum='if(lt(Y\\,${half})\\,255*bitand(floor(N/pow(2\\,floor(X*${counterBits}/W)))\\,1)\\,mod(X+Y+N*7\\,256))'`;
  await ffmpegRun([
    '-f',
    'lavfi',
    '-i',
    `nullsrc=s=${width}x${height}:r=${fps},format=gray,geq=${geq},format=${opts.pixFmt ?? 'yuv420p'}`,
    '-frames:v',
    String(frames),
    '-c:v',
    'libx264',
    '-preset',
    'veryfast',
    '-g',
    String(frames),
    '-keyint_min',
    String(frames),
    '-sc_threshold',
    '0',
    '-bf',
    '3',
    ...(opts.extra ?? []),
    path,
  ]);
}

/** Reads the burned-in counter from raw grey/RGB pixels (channels = bytes per pixel). */
export function readCounter(pixels: Uint8Array, width: number, height: number, channels: number): number {
  const y = Math.floor(height / 4);
  let n = 0;
  for (let b = 0; b < counterBits; b++) {
    const x = Math.floor(((b + 0.5) * width) / counterBits);
    const v = pixels[(y * width + x) * channels] ?? 0;
    if (v > 128) n |= 1 << b;
  }
  return n;
}
