import { basename, isAbsolute, relative, resolve, win32 } from 'node:path';
import type { Comparison } from '../../compare/compare-runs.js';

// A manifest may name media anywhere (absolute paths, `../` paths, a
// `--media-root` folder: datasets/contain-media-path.ts), and the recorded
// path is what it named. Such a path tells a caller how the server's disks
// are laid out (home folders, mount points, user names): only admin keys see
// it. Everyone else gets the path relative to the dataset root when the file
// lies inside it, else the file name alone; the signed `url` beside it is
// what fetches the file.

/**
 * `path` as a non-admin caller may see it: unchanged when it is already
 * relative and stays inside the dataset root, the path relative to `rootDir`
 * when it leads into it, else its file name.
 */
export function publicMediaPath(path: string, rootDir: string | null | undefined): string {
  const slashed = path.replace(/\\/g, '/');
  // `C:\corpus\a.wav` and `\\host\share\a.wav` are absolute on Windows, though not here.
  const foreignAbsolute = win32.isAbsolute(path) && !isAbsolute(slashed);
  const climbs = slashed.split('/').includes('..');
  if (!isAbsolute(slashed) && !foreignAbsolute && !climbs) return path;
  if (rootDir && !foreignAbsolute) {
    const root = resolve(rootDir);
    const rel = relative(root, resolve(root, slashed));
    if (rel !== '' && rel !== '..' && !rel.startsWith('../') && !isAbsolute(rel)) return rel;
  }
  return basename(slashed);
}

/** A comparison's disagreement rows with their media paths as {@link publicMediaPath} shows them. */
export function publicComparisonMedia(c: Comparison, rootDir: string | null | undefined): Comparison {
  if (c.disagreements.length === 0) return c;
  return { ...c, disagreements: c.disagreements.map((d) => ({ ...d, media: d.media.map((p) => publicMediaPath(p, rootDir)) })) };
}
