import { sep } from 'node:path';

// A corpus that moved (`datasets relocate NAME --from OLD --to NEW`) keeps its
// manifest as written: absolute paths in it still name the old place. The
// dataset records each move, so the manifest's paths can be read as they were
// at import and mapped forward to where the files are now.

/** One recorded move of a dataset's files: every path under `from` now lies under `to`. */
export interface Relocation {
  /** Old absolute prefix (a folder). */
  readonly from: string;
  /** New absolute prefix. */
  readonly to: string;
  /** When it was recorded (ISO 8601). */
  readonly at: string;
}

/** `path` with the folder prefix `from` replaced by `to`, or undefined when `path` is not under `from`. */
export function replacePrefix(path: string, from: string, to: string): string | undefined {
  if (path === from) return to;
  const base = from.endsWith(sep) ? from : `${from}${sep}`;
  return path.startsWith(base) ? `${to.endsWith(sep) ? to.slice(0, -1) : to}${sep}${path.slice(base.length)}` : undefined;
}

/** Maps a path as it was at import to where it is now, through each move in order. */
export function applyRelocations(path: string, relocations: readonly Relocation[]): string {
  return relocations.reduce((p, r) => replacePrefix(p, r.from, r.to) ?? p, path);
}

/** Maps a path as it is now back to where it was at import (the moves undone, last first). */
export function unapplyRelocations(path: string, relocations: readonly Relocation[]): string {
  return [...relocations].reverse().reduce((p, r) => replacePrefix(p, r.to, r.from) ?? p, path);
}

/** The moves recorded in a dataset's meta (`meta.relocations`), oldest first; malformed entries are ignored. */
export function datasetRelocations(meta: Readonly<Record<string, unknown>> | null | undefined): Relocation[] {
  const list = meta?.relocations;
  if (!Array.isArray(list)) return [];
  return list.filter(
    (r): r is Relocation => r !== null && typeof r === 'object' && typeof (r as Relocation).from === 'string' && typeof (r as Relocation).to === 'string',
  );
}
