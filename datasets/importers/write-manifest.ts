import { copyFile, mkdir, writeFile } from 'node:fs/promises';
import { dirname, isAbsolute, join, parse, relative, resolve, sep } from 'node:path';
import { firstIssue } from '../first-issue.js';
import { manifestSampleSchema, type ManifestSample } from '../manifest-schema.js';
import { ManifestError } from '../parse-manifest.js';
import { mediaRefs } from '../prepare-dataset.js';
import type { ImportedSet } from './imported-set.js';

/** Options of {@link writeImportedManifest}. */
export interface WriteManifestOptions {
  /** Folder for the manifest. Media outside it is copied in, under `media/`. Default: the source folder (or the nearest folder holding all media). */
  readonly outDir?: string;
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
 * Writes imported samples as a manifest with media paths relative to it. Media
 * must lie inside the manifest's folder (the path-escape rule), so when an
 * explicit `outDir` does not contain a file it is copied to
 * `outDir/media/<path below the media's common folder>`. Without `outDir` the
 * manifest goes to the source folder, or to the nearest folder above it that
 * holds every media file; the file-system root is refused.
 */
export async function writeImportedManifest(set: ImportedSet, opts: WriteManifestOptions = {}): Promise<WrittenManifest> {
  const fileName = opts.fileName ?? 'evalgate-manifest.jsonl';
  const media = set.samples.flatMap((s) => mediaRefs(s).map((m) => resolve(m.path)));
  let outDir: string;
  if (opts.outDir) outDir = resolve(opts.outDir);
  else {
    outDir = commonAncestor([resolve(set.sourceDir), ...media.map((m) => dirname(m))]);
    if (outDir === parse(outDir).root) {
      throw new ManifestError(set.sourceDir, 0, '(media)', 'media is spread across the file system; pass --out DIR to copy it into one dataset folder');
    }
  }
  const outside = media.filter((m) => !inside(outDir, m));
  const copyBase = outside.length ? commonAncestor(outside.map((m) => dirname(m))) : '';
  const copies = new Map<string, string>();
  for (const m of outside) copies.set(m, join(outDir, 'media', relative(copyBase, m)));
  await mkdir(outDir, { recursive: true });
  for (const [from, to] of copies) {
    await mkdir(dirname(to), { recursive: true });
    await copyFile(from, to);
  }
  const rel = (p: string): string =>
    relative(outDir, copies.get(resolve(p)) ?? resolve(p))
      .split(sep)
      .join('/');
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
