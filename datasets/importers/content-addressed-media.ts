import { createHash, randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { copyFile, mkdir, rename, stat, unlink, writeFile } from 'node:fs/promises';
import { extname, join } from 'node:path';

/** Folder, below the dataset folder, that holds media named by their sha256. */
export const CONTENT_MEDIA_DIR = 'media/sha256';

const ascii = (b: Uint8Array, at: number, s: string): boolean => [...s].every((c, i) => b[at + i] === c.charCodeAt(0));

/**
 * The file extension the bytes call for, from their magic numbers: ffprobe and
 * sharp sniff content anyway, but people and browsers go by the name. Falls
 * back to the extension of the path `datasets` stored, then to `.bin`.
 */
export function mediaExtension(bytes: Uint8Array, storedPath?: string | null): string {
  if (bytes[0] === 0x89 && ascii(bytes, 1, 'PNG')) return '.png';
  if (bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return '.jpg';
  if (ascii(bytes, 0, 'GIF8')) return '.gif';
  if (ascii(bytes, 0, 'RIFF') && ascii(bytes, 8, 'WEBP')) return '.webp';
  if (ascii(bytes, 0, 'RIFF') && ascii(bytes, 8, 'WAVE')) return '.wav';
  if (ascii(bytes, 0, 'BM')) return '.bmp';
  if (ascii(bytes, 0, 'II*\0') || ascii(bytes, 0, 'MM\0*')) return '.tif';
  if (ascii(bytes, 0, 'fLaC')) return '.flac';
  if (ascii(bytes, 0, 'OggS')) return '.ogg';
  if (ascii(bytes, 0, 'ID3') || (bytes[0] === 0xff && ((bytes[1] ?? 0) & 0xe0) === 0xe0)) return '.mp3';
  if (ascii(bytes, 4, 'ftyp')) return ascii(bytes, 8, 'M4A') ? '.m4a' : '.mp4';
  if (bytes[0] === 0x1a && bytes[1] === 0x45 && bytes[2] === 0xdf && bytes[3] === 0xa3) return ascii(bytes.subarray(0, 64), 31, 'webm') ? '.webm' : '.mkv';
  const stored = storedPath ? extname(storedPath).toLowerCase() : '';
  return /^\.[a-z0-9]{1,5}$/.test(stored) ? stored : '.bin';
}

/** What {@link ContentAddressedMedia.put} stored. */
export interface StoredMedia {
  /** Path relative to the dataset folder, with `/` separators (a manifest path). */
  readonly path: string;
  /** False when a file with the same content was already there. */
  readonly written: boolean;
}

/**
 * Writes media into `<dataset>/media/sha256/<aa>/<sha256><ext>`: identical
 * bytes land on one file however many rows embed them, and a re-import finds
 * the files it wrote before. A file appears under its final name only once
 * complete (written to a temporary name, then renamed), so an interrupted
 * import never leaves a truncated file behind a content name.
 */
export class ContentAddressedMedia {
  readonly #root: string;
  /** Content names being written now: rows of one batch that embed the same bytes wait for the first. */
  readonly #pending = new Map<string, Promise<StoredMedia>>();
  /** Fan-out folders known to exist (256 at most), so each is created once. */
  readonly #dirs = new Set<string>();
  /** Files written by this import. */
  written = 0;
  /** Media that was already there (same content, earlier row or earlier import). */
  reused = 0;

  constructor(datasetDir: string) {
    this.#root = datasetDir;
  }

  /** Stores embedded bytes (an Image/Audio/Video cell). */
  async put(bytes: Uint8Array, storedPath?: string | null): Promise<StoredMedia> {
    const sha = createHash('sha256').update(bytes).digest('hex');
    return this.#place(sha, mediaExtension(bytes, storedPath), (tmp) => writeFile(tmp, bytes));
  }

  /** Copies a file from outside the dataset folder under its content name (read twice: to hash it, then to copy it). */
  async putFile(file: string): Promise<StoredMedia> {
    const hash = createHash('sha256');
    const head: Buffer[] = [];
    for await (const chunk of createReadStream(file)) {
      if (head.length === 0) head.push(chunk as Buffer);
      hash.update(chunk as Buffer);
    }
    const ext = extname(file).toLowerCase() || mediaExtension(head[0] ?? new Uint8Array());
    return this.#place(hash.digest('hex'), ext, (tmp) => copyFile(file, tmp));
  }

  async #place(sha: string, ext: string, write: (tmp: string) => Promise<void>): Promise<StoredMedia> {
    const rel = `${CONTENT_MEDIA_DIR}/${sha.slice(0, 2)}/${sha}${ext}`;
    const pending = this.#pending.get(rel);
    if (pending) {
      await pending;
      this.reused++;
      return { path: rel, written: false };
    }
    const placing = this.#placeOnce(rel, write);
    this.#pending.set(rel, placing);
    try {
      return await placing;
    } finally {
      this.#pending.delete(rel);
    }
  }

  async #placeOnce(rel: string, write: (tmp: string) => Promise<void>): Promise<StoredMedia> {
    const abs = join(this.#root, ...rel.split('/'));
    if (await exists(abs)) {
      this.reused++;
      return { path: rel, written: false };
    }
    const dir = join(abs, '..');
    if (!this.#dirs.has(dir)) {
      await mkdir(dir, { recursive: true });
      this.#dirs.add(dir);
    }
    const tmp = `${abs}.${randomBytes(6).toString('hex')}.tmp`;
    try {
      await write(tmp);
      await rename(tmp, abs);
    } catch (err) {
      await unlink(tmp).catch(() => undefined);
      throw err;
    }
    this.written++;
    return { path: rel, written: true };
  }
}

async function exists(p: string): Promise<boolean> {
  try {
    await stat(p);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw err;
  }
}
