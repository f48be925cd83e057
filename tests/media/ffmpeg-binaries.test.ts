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

describe('resolveFfmpeg', () => {
  afterEach(restore);

  it('prefers FFMPEG_PATH / FFPROBE_PATH and reports their versions', async () => {
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

  it('falls back to the npm static binaries when nothing is on PATH', async () => {
    delete process.env.FFMPEG_PATH;
    delete process.env.FFPROBE_PATH;
    process.env.PATH = '';
    resetFfmpegResolution();
    const found = await resolveFfmpeg();
    expect(found).toMatchObject({ ffmpegPath: npmFfmpeg, ffprobePath: npmFfprobe, source: 'npm' });
  });
});
