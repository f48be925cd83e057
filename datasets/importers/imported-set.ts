import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { ManifestError } from '../parse-manifest.js';
import type { ManifestSample } from '../manifest-schema.js';

/**
 * A sample read from a public layout. Same shape as a manifest line, except
 * that media paths are absolute: the manifest writer makes them relative to
 * wherever the manifest lands.
 */
export type ImportedSample = ManifestSample;

/** What an importer found. */
export interface ImportedSet {
  /** Samples in a deterministic order (file order, or sorted by id for folder walks). */
  readonly samples: ImportedSample[];
  /** Folder the source lives in; the default home of the written manifest. */
  readonly sourceDir: string;
  /** Entries left out, with the reason (e.g. a transcript line whose audio is not on disk). */
  readonly skipped: { readonly id: string; readonly reason: string }[];
}

/** Options shared by the importers; each reads the ones that apply to it. */
export interface ImporterOptions {
  /** Keep at most this many samples. */
  readonly limit?: number;
  /** Language code to record (overrides the format's default). */
  readonly lang?: string;
  /** Extra tags added to every sample. */
  readonly tags?: readonly string[];
  /** Folder holding the media when the format does not fix it (Video-MME videos, OCRBench images, Common Voice clips). */
  readonly mediaDir?: string;
  /** Generic JSONL: manifest field → source field path (`a.b[0].c`). */
  readonly map?: Readonly<Record<string, string>>;
  /** Generic JSONL: task when the source has none. */
  readonly task?: ManifestSample['task'];
}

/** Reads a source format into samples. */
export type Importer = (path: string, opts: ImporterOptions) => Promise<ImportedSet>;

/** Lines of a text file with 1-based numbers, skipping blank ones. */
export async function readLines(file: string): Promise<{ line: number; text: string }[]> {
  const text = await readFile(file, 'utf8');
  return text
    .replace(/^\uFEFF/, '')
    .split(/\r?\n/)
    .map((t, i) => ({ line: i + 1, text: t }))
    .filter((l) => l.text.trim() !== '');
}

/** Splits `key rest of line` at the first run of whitespace. */
export function splitKey(file: string, line: number, text: string): [string, string] {
  const [, key, rest] = /^(\S+)(?:\s+(.*))?$/.exec(text.trim()) ?? [];
  if (key === undefined) throw new ManifestError(file, line, '(line)', 'expected "<id> <value>"');
  return [key, (rest ?? '').trim()];
}

/**
 * All files under `dir` (recursively), as absolute paths, sorted. Symbolic
 * links to files are included under their own path (links are followed at
 * import, where one leading out of the folder is refused unless
 * `--follow-symlinks`); links to folders are not descended into.
 */
export async function walkFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  const out: string[] = [];
  for (const e of entries) {
    const path = join(e.parentPath ?? (e as unknown as { path: string }).path, e.name);
    if (e.isFile()) out.push(path);
    else if (e.isSymbolicLink() && (await stat(path).catch(() => undefined))?.isFile()) out.push(path);
  }
  return out.sort();
}

/** Merges importer tags with the user's extra tags, without duplicates. */
export function withTags(own: readonly string[], opts: ImporterOptions): string[] {
  return [...new Set([...own, ...(opts.tags ?? [])])];
}

/** Lower-case, dash-separated label for a tag (`Counting Problem` → `counting-problem`). */
export function slug(text: string): string {
  return text
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}]+/gu, '-')
    .replace(/^-+|-+$/g, '');
}

/** Applies `--limit`. */
export function limited<T>(items: T[], opts: ImporterOptions): T[] {
  return opts.limit !== undefined ? items.slice(0, opts.limit) : items;
}
