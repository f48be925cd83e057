import { constants as fsConstants } from 'node:fs';
import { open, realpath, stat, type FileHandle } from 'node:fs/promises';
import { dirname, isAbsolute, relative, resolve, sep } from 'node:path';
import { resolveManifestPath } from './parse-manifest.js';

// Which file a dataset's media entry is. A manifest may name media anywhere
// (absolute paths, `../` paths): the identity of a file is its real path
// (links resolved), size and sha256, recorded at import. Two rules follow:
// - at import, a symbolic link whose real path leaves the folder it was
//   found in (the dataset root for paths inside it, else the file's own
//   folder) is refused unless the importer passes `followSymlinks`: a link
//   in a corpus (`a.wav -> /etc/passwd`) must not bring in another file
//   unnoticed;
// - later (serving, running, binding), a recorded file is used only at its
//   recorded real path and size; one whose path now resolves elsewhere is
//   refused. Samples imported before real paths were recorded fall back to
//   the link rule against the dataset root.
// This is the one place that decides it.

/** The media file a manifest path names, after links are resolved. */
export interface RealMediaFile {
  /** Absolute path with every symbolic link resolved. */
  readonly realPath: string;
  /** Size in bytes. */
  readonly sizeBytes: number;
}

/** Why a manifest path cannot be used. */
export interface ContainmentProblem {
  /**
   * `escape`: a link leads out of the folder it was found in; `missing`/`unreadable`:
   * no usable file; `changed`: not the file (real path or size) recorded at import.
   */
  readonly problem: 'escape' | 'missing' | 'unreadable' | 'changed';
  /** Reason, with the manifest path only (no server paths). */
  readonly detail: string;
}

/** Why a recorded media file is not served now. */
export interface ServeProblem {
  /** A containment problem (`changed`: not the file, or size, recorded at import). */
  readonly problem: ContainmentProblem['problem'];
  /** Reason, with the manifest path only. */
  readonly detail: string;
}

/** Options of {@link containMediaPath}. */
export interface ContainOptions {
  /** Accept a link that leads out of the folder it was found in (`--follow-symlinks` at import). */
  readonly followSymlinks?: boolean;
  /** The file recorded at import: only a file at this real path and of this size is accepted. */
  readonly recorded?: RealMediaFile;
  /**
   * At import: the folders media may come from besides the dataset root (`--media-root DIR`). A path is
   * accepted only when the file lies in the root or one of them (a link, under `followSymlinks`, when the
   * link does), so a manifest cannot name /etc/passwd or ../../.ssh/id_rsa and have the gateway serve it.
   */
  readonly mediaRoots?: readonly string[];
}

/**
 * Whether the file lies in the dataset root or a media root: its real path, or, for a link followed under
 * `followSymlinks`, the link itself (the link is what the user vouched for by passing the flag).
 */
async function insideAllowedRoots(root: string, mediaRoots: readonly string[], abs: string, real: string, followSymlinks: boolean): Promise<boolean> {
  const roots = [root, ...mediaRoots].map((r) => resolve(r));
  const realRoots = await Promise.all(roots.map((r) => realpath(r).catch(() => undefined)));
  const inside = (p: string, within: readonly (string | undefined)[]): boolean => within.some((r) => r !== undefined && isInsideRealRoot(r, p));
  if (followSymlinks && real !== abs) return inside(abs, roots) || inside(abs, realRoots);
  return inside(real, realRoots);
}

/** Whether `realPath` lies inside `realRoot` (both already resolved by realpath). */
export function isInsideRealRoot(realRoot: string, realPath: string): boolean {
  const rel = relative(realRoot, realPath);
  return rel !== '' && !rel.startsWith(`..${sep}`) && rel !== '..' && !isAbsolute(rel);
}

/** The folder a link found at `abs` must stay in: the dataset root when `abs` lies in it, else the file's own folder. */
export function linkBoundary(root: string, abs: string): string {
  const rel = relative(root, abs);
  return rel !== '' && !rel.startsWith('..') && !isAbsolute(rel) ? root : dirname(abs);
}

function fsProblem(manifestPath: string, err: unknown): ContainmentProblem {
  const code = (err as NodeJS.ErrnoException).code;
  // A dangling link is as missing as an absent file.
  return code === 'ENOENT' || code === 'ENOTDIR'
    ? { problem: 'missing', detail: `${manifestPath} does not exist` }
    : { problem: 'unreadable', detail: `${manifestPath}: ${code ?? (err as Error).message}` };
}

/**
 * Resolves a manifest media path (absolute, or relative to the dataset root)
 * to the real file it names. With `recorded`, only that real path and size
 * pass. Otherwise, and for a file that no longer is the recorded one, a link
 * whose real path leaves {@link linkBoundary} is `escape` unless
 * `followSymlinks`.
 */
export async function containMediaPath(root: string, manifestPath: string, opts: ContainOptions = {}): Promise<RealMediaFile | ContainmentProblem> {
  const abs = resolveManifestPath(root, manifestPath);
  let real: string;
  try {
    real = await realpath(abs);
  } catch (err) {
    return fsProblem(manifestPath, err);
  }
  const isRecorded = opts.recorded !== undefined && real === opts.recorded.realPath;
  if (opts.mediaRoots !== undefined && !(await insideAllowedRoots(root, opts.mediaRoots, abs, real, Boolean(opts.followSymlinks)))) {
    return {
      problem: 'escape',
      detail: `${manifestPath} is outside the dataset folder${opts.mediaRoots.length ? ' and every --media-root' : ''} (pass --media-root DIR to allow media under DIR)`,
    };
  }
  if (!isRecorded && !opts.followSymlinks && real !== abs) {
    let realBoundary: string;
    try {
      realBoundary = await realpath(linkBoundary(root, abs));
    } catch (err) {
      return fsProblem(manifestPath, err);
    }
    if (!isInsideRealRoot(realBoundary, real)) {
      return { problem: 'escape', detail: `${manifestPath} is a link to a file outside the folder it is in (pass --follow-symlinks to accept it)` };
    }
  }
  if (opts.recorded && !isRecorded) return { problem: 'changed', detail: `${manifestPath} is not the file recorded at import` };
  try {
    const st = await stat(real);
    if (!st.isFile()) return { problem: 'unreadable', detail: `${manifestPath} is not a regular file` };
    if (opts.recorded && st.size !== opts.recorded.sizeBytes) return { problem: 'changed', detail: `${manifestPath} changed size since import` };
    return { realPath: real, sizeBytes: st.size };
  } catch (err) {
    return fsProblem(manifestPath, err);
  }
}

/** Narrows a {@link containMediaPath} or {@link openContainedMedia} result. */
export function isContainmentProblem<P extends ServeProblem>(r: P | RealMediaFile | OpenedMedia): r is P {
  return 'problem' in r;
}

/** An open media file, ready to stream. */
export interface OpenedMedia {
  /** Open for reading; the caller closes it (a read stream from it does). */
  readonly handle: FileHandle;
  /** Its size now (equal to the recorded one when there was a record). */
  readonly sizeBytes: number;
}

/**
 * Opens the file a sample's media entry names, for serving. When the import
 * recorded the file, only that file: the entry's path must still resolve to
 * the recorded real path, of the recorded size, wherever it lies (media may
 * live outside the dataset root). Samples imported before real paths were
 * recorded are served only while no link leads out of the dataset root. A
 * file swapped for a link after import changes its real path and is refused;
 * the final open refuses a link (O_NOFOLLOW) and the size is checked again on
 * the open handle, so a swap between the checks and the open is refused too.
 */
export async function openContainedMedia(root: string, manifestPath: string, recorded?: RealMediaFile): Promise<OpenedMedia | ServeProblem> {
  const now = await containMediaPath(root, manifestPath, recorded ? { recorded } : {});
  if (isContainmentProblem(now)) return now;
  let handle: FileHandle;
  try {
    handle = await open(now.realPath, fsConstants.O_RDONLY | fsConstants.O_NOFOLLOW);
  } catch (err) {
    return { problem: 'changed', detail: `${manifestPath} could not be opened (${(err as NodeJS.ErrnoException).code ?? 'error'})` };
  }
  const st = await handle.stat();
  if (!st.isFile() || (recorded && st.size !== recorded.sizeBytes)) {
    await handle.close();
    return { problem: 'changed', detail: `${manifestPath} changed while it was opened` };
  }
  return { handle, sizeBytes: st.size };
}
