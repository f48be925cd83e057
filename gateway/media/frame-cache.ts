import { createHash, randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';

/**
 * On-disk cache of sampled frames. An entry is a folder named after
 * sha256(video digest + sampling parameters) holding the frame files and a
 * `manifest.json`; it appears atomically (written to a temp folder, then
 * renamed), so a crash never leaves a half entry that looks complete.
 *
 * Hashing a one-hour video takes about a second, so each file's sha256 is
 * remembered under `digests/`, keyed by device, inode, size and mtime: a
 * file that changes in place gets a new key.
 */

/**
 * Bump when the indices, the decoding or the manifest change, so old entries
 * are not reused (2: `fps` indices follow PyTorch's FMA linspace; `uniform`
 * applies MVBench's default bound).
 */
export const frameCacheVersion = 2;

/** One cached frame as stored in the manifest (file relative to the entry folder). */
export interface CachedFrame {
  /** Frame index in presentation order. */
  readonly index: number;
  /** Presentation time from the first frame, in seconds. */
  readonly timestampS: number;
  /** File name inside the entry folder. */
  readonly file: string;
}

/** The manifest of a cache entry. */
export interface FrameCacheManifest {
  /** {@link frameCacheVersion} at write time. */
  readonly version: number;
  /** sha256 of the video file. */
  readonly videoSha256: string;
  /** The sampling parameters that, with the digest, make the key. */
  readonly params: Readonly<Record<string, unknown>>;
  /** Frames in the order the strategy listed them (repeats allowed). */
  readonly frames: readonly CachedFrame[];
  /** Frames in the video. */
  readonly totalFrames: number;
  /** The video's average frame rate. */
  readonly fps: number;
  /** What was assumed while decoding. */
  readonly assumptions: readonly string[];
}

const memoDigests = new Map<string, string>();

function sha256Hex(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/** sha256 of a file, streamed; remembered per (device, inode, size, mtime) in memory and under `<cacheDir>/digests`. */
export async function fileSha256(path: string, cacheDir?: string, signal?: AbortSignal): Promise<string> {
  const st = await stat(path);
  const key = sha256Hex(`${resolve(path)}\0${st.dev}\0${st.ino}\0${st.size}\0${st.mtimeMs}`);
  const inMemory = memoDigests.get(key);
  if (inMemory) return inMemory;
  const memoFile = cacheDir ? join(cacheDir, 'digests', key.slice(0, 2), key) : undefined;
  if (memoFile) {
    const stored = await readFile(memoFile, 'utf8').catch(() => '');
    if (/^[0-9a-f]{64}$/.test(stored.trim())) {
      memoDigests.set(key, stored.trim());
      return stored.trim();
    }
  }
  const hash = createHash('sha256');
  const stream = createReadStream(path, { highWaterMark: 1 << 20, signal });
  for await (const chunk of stream as AsyncIterable<Buffer>) hash.update(chunk);
  const digest = hash.digest('hex');
  memoDigests.set(key, digest);
  if (memoFile) {
    await mkdir(join(memoFile, '..'), { recursive: true });
    await writeAtomic(memoFile, digest);
  }
  return digest;
}

async function writeAtomic(path: string, text: string): Promise<void> {
  const tmp = `${path}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
  await writeFile(tmp, text);
  await rename(tmp, path);
}

/** The cache key of a (video, parameters) pair. */
export function frameCacheKey(videoSha256: string, params: Readonly<Record<string, unknown>>): string {
  const canonical = JSON.stringify(
    Object.keys(params)
      .sort()
      .map((k) => [k, params[k]]),
  );
  return sha256Hex(`v${frameCacheVersion}\0${videoSha256}\0${canonical}`);
}

/** Where the entry for `key` lives. */
export function frameCacheEntryDir(cacheDir: string, key: string): string {
  return join(cacheDir, 'frames', key.slice(0, 2), key);
}

/** The manifest of a complete entry whose files all exist, else undefined. */
export async function readFrameCacheEntry(entryDir: string): Promise<FrameCacheManifest | undefined> {
  let manifest: FrameCacheManifest;
  try {
    manifest = JSON.parse(await readFile(join(entryDir, 'manifest.json'), 'utf8')) as FrameCacheManifest;
  } catch {
    return undefined;
  }
  if (manifest.version !== frameCacheVersion || !Array.isArray(manifest.frames)) return undefined;
  const files = new Set(manifest.frames.map((f) => f.file));
  for (const file of files) {
    const ok = await stat(join(entryDir, file)).then(
      (s) => s.isFile() && s.size > 0,
      () => false,
    );
    if (!ok) return undefined;
  }
  return manifest;
}

/** A fresh private folder next to where the entry will live. */
export async function makeStagingDir(entryDir: string): Promise<string> {
  const dir = `${entryDir}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
  await mkdir(dir, { recursive: true });
  return dir;
}

/**
 * Writes the manifest into the staging folder and renames it into place. If
 * another process won the race, its (equivalent) entry is kept.
 */
export async function commitFrameCacheEntry(stagingDir: string, entryDir: string, manifest: FrameCacheManifest): Promise<void> {
  await writeFile(join(stagingDir, 'manifest.json'), `${JSON.stringify(manifest, null, 1)}\n`);
  try {
    await rename(stagingDir, entryDir);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== 'ENOTEMPTY' && code !== 'EEXIST') throw err;
    if (!(await readFrameCacheEntry(entryDir))) {
      // A broken leftover: replace it.
      await rm(entryDir, { recursive: true, force: true });
      await rename(stagingDir, entryDir);
      return;
    }
    await rm(stagingDir, { recursive: true, force: true });
  }
}
