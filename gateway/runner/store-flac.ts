import { createHash } from 'node:crypto';
import { mkdir, readdir, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { resolveFfmpeg } from '../media/ffmpeg-binaries.js';
import { errorDetail, runMediaTool } from '../media/run-media-tool.js';
import { pidAlive } from '../pid-alive.js';

/**
 * Stores a WAV as FLAC at `<dir>/<hash of key>.flac` and returns its path.
 * Named by a hash because sample keys may hold characters no file name
 * should; written under a temporary name and renamed only when whole, so a
 * kill mid-write never leaves a truncated file under the final name.
 */
export async function storeFlac(wav: Uint8Array, dir: string, key: string, signal?: AbortSignal): Promise<string> {
  await mkdir(dir, { recursive: true });
  await sweepOnce(dir);
  const name = createHash('sha256').update(key).digest('hex').slice(0, 32);
  const path = join(dir, `${name}.flac`);
  const tmpWav = join(dir, `${name}.${process.pid}.wav`);
  const tmpFlac = join(dir, `${name}.${process.pid}.tmp.flac`);
  try {
    await writeFile(tmpWav, wav);
    const { ffmpegPath } = await resolveFfmpeg();
    const r = await runMediaTool(ffmpegPath, ['-hide_banner', '-nostdin', '-y', '-i', tmpWav, '-c:a', 'flac', tmpFlac], { signal });
    if (r.code !== 0) throw new Error(`storing the audio as FLAC failed: ${errorDetail(r.stderrTail)}`);
    await rename(tmpFlac, path);
  } finally {
    await rm(tmpWav, { force: true });
    await rm(tmpFlac, { force: true });
  }
  return path;
}

/** Folders already swept by this process. */
const swept = new Map<string, Promise<void>>();

/**
 * Removes the temporary files a killed process left in `dir` (the
 * `<name>.<pid>.wav` / `.tmp.flac` of a pid that no longer runs), once per
 * folder and process: a resumed run writes those names again under its own
 * pid and would never reach them.
 */
function sweepOnce(dir: string): Promise<void> {
  let done = swept.get(dir);
  if (!done) {
    done = (async () => {
      for (const f of await readdir(dir)) {
        const pid = Number(/\.(\d+)\.(wav|tmp\.flac)$/.exec(f)?.[1]);
        // Only a dead writer's files: a live process (ours, or another one still writing) keeps them.
        if (!Number.isInteger(pid) || pid === process.pid || pidAlive(pid)) continue;
        await rm(join(dir, f), { force: true });
      }
    })();
    swept.set(dir, done);
  }
  return done;
}
