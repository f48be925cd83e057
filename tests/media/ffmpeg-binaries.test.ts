import { constants } from 'node:fs';
import { access } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { afterEach, describe, expect, it } from 'vitest';
import { resetFfmpegResolution, resolveFfmpeg } from '../../gateway/media/ffmpeg-binaries.js';

const require = createRequire(import.meta.url);
const npmFfmpeg = (require('@ffmpeg-installer/ffmpeg') as { path: string }).path;
const npmFfprobe = (require('@ffprobe-installer/ffprobe') as { path: string }).path;
const saved = { PATH: process.env.PATH, FFMPEG_PATH: process.env.FFMPEG_PATH, FFPROBE_PATH: process.env.FFPROBE_PATH };

function restore(): void {
  for (const [k, v] of Object.entries(saved)) {
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
  resetFfmpegResolution();
}

/** Resolves with nothing on PATH and no env: the npm fallback, which sets the binaries' execute bit if missing. */
async function resolveFromNpm(): Promise<Awaited<ReturnType<typeof resolveFfmpeg>>> {
  delete process.env.FFMPEG_PATH;
  delete process.env.FFPROBE_PATH;
  process.env.PATH = '';
  resetFfmpegResolution();
  return resolveFfmpeg();
}

describe('resolveFfmpeg', () => {
  afterEach(restore);

  it('falls back to the npm static binaries when nothing is on PATH, making them executable', async () => {
    // A clean `npm ci` runs no install scripts (.npmrc: ignore-scripts), so the installers' `chmod u+x` never
    // ran and a binary may lack its execute bit: the fallback sets it rather than fail.
    const found = await resolveFromNpm();
    expect(found).toMatchObject({ ffmpegPath: npmFfmpeg, ffprobePath: npmFfprobe, source: 'npm' });
    await access(npmFfprobe, constants.X_OK);
    await access(npmFfmpeg, constants.X_OK);
  });

  it('prefers FFMPEG_PATH / FFPROBE_PATH and reports their versions', async () => {
    // The npm binaries stand in for a user's own; the fallback makes them runnable first (see above).
    await resolveFromNpm();
    restore();
    process.env.FFMPEG_PATH = npmFfmpeg;
    process.env.FFPROBE_PATH = npmFfprobe;
    resetFfmpegResolution();
    const found = await resolveFfmpeg();
    expect(found).toMatchObject({ ffmpegPath: npmFfmpeg, ffprobePath: npmFfprobe, source: 'env' });
    expect(found.version.length).toBeGreaterThan(0);
    expect(await resolveFfmpeg()).toBe(found); // memoised
  });

  it('fails loudly when FFMPEG_PATH does not run', async () => {
    process.env.FFMPEG_PATH = '/nonexistent/ffmpeg';
    process.env.FFPROBE_PATH = npmFfprobe;
    resetFfmpegResolution();
    await expect(resolveFfmpeg()).rejects.toMatchObject({ code: 'EVALGATE_ERR_FFMPEG_NOT_FOUND' });
  });
});
