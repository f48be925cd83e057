import { randomBytes } from 'node:crypto';
import { mkdir, realpath, stat, unlink, writeFile } from 'node:fs/promises';
import { basename, extname, join, resolve } from 'node:path';
import { ContentAddressedMedia } from '../../datasets/importers/content-addressed-media.js';
import type { ArenaMedia } from '../store/database.js';

// Arena prompt (and answer) media lives under `<cacheDir>/arena-media/`,
// named by content like imported dataset media
// (datasets/importers/content-addressed-media.ts): `media/sha256/<aa>/<sha><ext>`.
// The same upload twice is one file, and a file never changes once named.

/** A stored battle media file: the migration's fields plus its size, checked again when served. */
export interface BattleMedia extends ArenaMedia {
  /** `audio`, `image` or `video`. */
  kind: 'audio' | 'image' | 'video';
  /** Size in bytes when stored. */
  sizeBytes: number;
}

/** The arena media folder of a configuration's cache folder. */
export function arenaMediaRoot(cacheDir: string): string {
  return resolve(cacheDir, 'arena-media');
}

/**
 * Stores media in the arena folder. Uploads are first written to a temporary
 * file, then placed by `putFile`, which hashes them by streaming (a 25 MiB
 * upload is never hashed in one synchronous call on the event loop).
 */
export class BattleMediaStore {
  readonly root: string;
  readonly #media: ContentAddressedMedia;

  constructor(root: string) {
    this.root = root;
    this.#media = new ContentAddressedMedia(root);
  }

  /** A fresh temporary path (in the arena folder, so the final rename stays on one disk) with extension `ext`. */
  async tempPath(ext: string): Promise<string> {
    const dir = join(this.root, 'tmp');
    await mkdir(dir, { recursive: true });
    return join(dir, `${randomBytes(8).toString('hex')}${ext}`);
  }

  /** Writes bytes to a temporary file whose name ends in `ext` (for ffprobe and sharp), for {@link placeFile}. */
  async writeTemp(bytes: Uint8Array, ext: string): Promise<string> {
    const tmp = await this.tempPath(ext);
    await writeFile(tmp, bytes);
    return tmp;
  }

  /** Places a file under its content name (the file is copied; a temporary one is then removed by the caller). */
  async placeFile(file: string, kind: BattleMedia['kind'], mime: string): Promise<BattleMedia> {
    const { path } = await this.#media.putFile(file);
    const abs = join(this.root, ...path.split('/'));
    const { size } = await stat(abs);
    return { kind, mime, path, sha256: basename(path, extname(path)), sizeBytes: size };
  }

  /** Writes bytes to a temporary file, places it, and removes the temporary one. */
  async putBytes(bytes: Uint8Array, ext: string, kind: BattleMedia['kind'], mime: string): Promise<BattleMedia> {
    const tmp = await this.writeTemp(bytes, ext);
    try {
      return await this.placeFile(tmp, kind, mime);
    } finally {
      await removeQuietly(tmp);
    }
  }

  /** The real path of the arena folder (links resolved), for containment checks when serving. */
  async realRoot(): Promise<string> {
    return realpath(this.root);
  }
}

/** Removes a temporary file; one already gone is fine. */
export async function removeQuietly(file: string): Promise<void> {
  await unlink(file).catch(() => undefined);
}
