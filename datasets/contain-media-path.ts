import { constants as fsConstants } from 'node:fs';
import { open, realpath, stat, type FileHandle } from 'node:fs/promises';
import { isAbsolute, relative, sep } from 'node:path';
import { resolveMediaPath } from './parse-manifest.js';

// Where a dataset's media may live. A manifest path is checked lexically
// (parse-manifest.ts refuses `..` and foreign absolute paths), but a symbolic
// link inside the folder can still point anywhere (`a.wav -> /etc/passwd`).
// So the rule is applied to real paths, links resolved: at import, to record
// which file each media entry is, and again whenever a file is served.
// This is the one place that decides it (issue #18 will allow media outside
// the root on purpose by trusting the recorded real path instead).

/** The media file a manifest path names, after links are resolved. */
export interface RealMediaFile {
  /** Absolute path with every symbolic link resolved. */
  readonly realPath: string;
  /** Size in bytes. */
  readonly sizeBytes: number;
}

/** Why a manifest path cannot be used. */
export interface ContainmentProblem {
  /** `escape`: the real path leaves the root; `missing`/`unreadable`: no usable file. */
  readonly problem: 'escape' | 'missing' | 'unreadable';
  /** Reason, with the manifest path only (no server paths). */
  readonly detail: string;
}

/** Why a recorded media file is not served now. */
export interface ServeProblem {
  /** A containment problem, or `changed`: not the file (or size) recorded at import. */
  readonly problem: ContainmentProblem['problem'] | 'changed';
  /** Reason, with the manifest path only. */
  readonly detail: string;
}

/** Whether `realPath` lies inside `realRoot` (both already resolved by realpath). */
export function isInsideRealRoot(realRoot: string, realPath: string): boolean {
  const rel = relative(realRoot, realPath);
  return rel !== '' && !rel.startsWith(`..${sep}`) && rel !== '..' && !isAbsolute(rel);
}

/**
 * Resolves a manifest media path to the real file it names, refusing one
 * whose real path (links resolved) leaves the dataset root's real path.
 */
export async function containMediaPath(root: string, manifestPath: string): Promise<RealMediaFile | ContainmentProblem> {
  const abs = resolveMediaPath(root, manifestPath);
  if (!abs) return { problem: 'escape', detail: `${manifestPath} escapes the dataset root` };
  let realRoot: string;
  let real: string;
  try {
    realRoot = await realpath(root);
    real = await realpath(abs);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    // A dangling link is as missing as an absent file.
    return code === 'ENOENT'
      ? { problem: 'missing', detail: `${manifestPath} does not exist` }
      : { problem: 'unreadable', detail: `${manifestPath}: ${code ?? (err as Error).message}` };
  }
  if (!isInsideRealRoot(realRoot, real)) return { problem: 'escape', detail: `${manifestPath} is a link to a file outside the dataset root` };
  try {
    const st = await stat(real);
    if (!st.isFile()) return { problem: 'unreadable', detail: `${manifestPath} is not a regular file` };
    return { realPath: real, sizeBytes: st.size };
  } catch (err) {
    return { problem: 'unreadable', detail: `${manifestPath}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}` };
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
 * Opens the file a sample's media entry names, for serving: only while its
 * real path is inside the dataset root, and, when the import recorded the
 * file, only if it is still that file (same real path) of the same size. A
 * file swapped for a link after import changes its real path and is refused;
 * the final open refuses a link (O_NOFOLLOW) and the size is checked again on
 * the open handle, so a swap between the checks and the open is refused too.
 */
export async function openContainedMedia(root: string, manifestPath: string, recorded?: RealMediaFile): Promise<OpenedMedia | ServeProblem> {
  const now = await containMediaPath(root, manifestPath);
  if (isContainmentProblem(now)) return now;
  if (recorded && now.realPath !== recorded.realPath) return { problem: 'changed', detail: `${manifestPath} is not the file recorded at import` };
  if (recorded && now.sizeBytes !== recorded.sizeBytes) return { problem: 'changed', detail: `${manifestPath} changed size since import` };
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
