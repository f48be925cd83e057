import { copyFile, mkdir, writeFile } from 'node:fs/promises';
import { dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { firstIssue } from '../first-issue.js';
import { manifestSampleSchema, type ManifestSample } from '../manifest-schema.js';
import { ManifestError } from '../parse-manifest.js';
import { mediaRefs } from '../prepare-dataset.js';
import type { ImportedSet } from './imported-set.js';

/** Options of {@link writeImportedManifest}. */
export interface WriteManifestOptions {
  /**
   * Copy instead of using media in place (`--copy-to`): the manifest goes to
   * this folder and media outside it is copied in, under `media/`.
   */
  readonly copyTo?: string;
  /** The same as `copyTo` (the name before media could stay in place; `--out` on the command line). */
  readonly outDir?: string;
  /** In place: folder for the manifest (default: the source folder). Ignored with `copyTo`. */
  readonly manifestDir?: string;
  /** File name of the manifest (default `evalgate-manifest.jsonl`). */
  readonly fileName?: string;
}

/** Where the manifest went. */
export interface WrittenManifest {
  /** Absolute manifest path. */
  readonly manifestPath: string;
  /** Samples written. */
  readonly sampleCount: number;
  /** Media files copied into the output folder. */
  readonly copiedFiles: number;
}

function inside(root: string, p: string): boolean {
  const rel = relative(root, p);
  return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel));
}

function commonAncestor(paths: readonly string[]): string {
  const [first, ...rest] = paths;
  if (first === undefined) throw new Error('commonAncestor needs at least one path');
  let common = first.split(sep);
  for (const p of rest) {
    const parts = p.split(sep);
    let i = 0;
    while (i < common.length && i < parts.length && common[i] === parts[i]) i++;
    common = common.slice(0, i);
  }
  return common.join(sep) || sep;
}

/**
 * Writes imported samples as a manifest. By default media stays where it is:
 * the manifest goes to the source folder (or `manifestDir`), a file inside
 * that folder is written relative to it, any other by its absolute path, and
 * nothing is copied. With `copyTo` (or its old name `outDir`) the manifest
 * goes there and every file not already inside is copied to
 * `copyTo/media/<path below the media's common folder>`.
 */
export async function writeImportedManifest(set: ImportedSet, opts: WriteManifestOptions = {}): Promise<WrittenManifest> {
  const fileName = opts.fileName ?? 'evalgate-manifest.jsonl';
  const media = set.samples.flatMap((s) => mediaRefs(s).map((m) => resolve(m.path)));
  const copyTo = opts.copyTo ?? opts.outDir;
  const outDir = resolve(copyTo ?? opts.manifestDir ?? set.sourceDir);
  const outside = copyTo ? media.filter((m) => !inside(outDir, m)) : [];
  const copyBase = outside.length ? commonAncestor(outside.map((m) => dirname(m))) : '';
  const copies = new Map<string, string>();
  for (const m of outside) copies.set(m, join(outDir, 'media', relative(copyBase, m)));
  await mkdir(outDir, { recursive: true });
  for (const [from, to] of copies) {
    await mkdir(dirname(to), { recursive: true });
    await copyFile(from, to);
  }
  // Inside the manifest's folder: relative (the folder can move as a whole); elsewhere: absolute.
  const rel = (p: string): string => {
    const abs = copies.get(resolve(p)) ?? resolve(p);
    return inside(outDir, abs) ? relative(outDir, abs).split(sep).join('/') : abs;
  };
  const lines = set.samples.map((s, i) => {
    const out: ManifestSample = {
      ...s,
      ...(s.audio ? { audio: rel(s.audio) } : {}),
      ...(s.image ? { image: rel(s.image) } : {}),
      ...(s.images ? { images: s.images.map(rel) } : {}),
      ...(s.video ? { video: rel(s.video) } : {}),
    };
    const checked = manifestSampleSchema.safeParse(out);
    if (!checked.success) {
      const issue = firstIssue(checked.error);
      throw new ManifestError(join(outDir, fileName), i + 1, issue.field || '(line)', `sample ${s.id}: ${issue.message}`);
    }
    return JSON.stringify(checked.data);
  });
  const manifestPath = join(outDir, fileName);
  await writeFile(manifestPath, lines.length ? `${lines.join('\n')}\n` : '');
  return { manifestPath, sampleCount: lines.length, copiedFiles: copies.size };
}
