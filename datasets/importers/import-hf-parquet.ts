import { mkdir, open, readdir, rename, stat, unlink } from 'node:fs/promises';
import { basename, dirname, isAbsolute, join, parse, relative, resolve, sep } from 'node:path';
import { asyncBufferFromFile, parquetMetadataAsync, parquetReadObjects, parquetSchema, type FileMetaData } from 'hyparquet';
import { compressors } from 'hyparquet-compressors';
import type { TaskName } from '../../scorers/tasks/index.js';
import { firstIssue } from '../first-issue.js';
import { manifestSampleSchema } from '../manifest-schema.js';
import { ManifestError } from '../parse-manifest.js';
import { ContentAddressedMedia } from './content-addressed-media.js';
import { readHfFeatures, type HfFeatures, type HfMediaKind } from './hf-features.js';
import { hfPresets, RowError, type HfDraftSample, type HfMediaValue, type HfPreset, type HfRowContext } from './hf-parquet-presets.js';
import { getPath, mappableFields } from './import-generic-jsonl.js';
import { RowProblems } from './row-problems.js';

/** Manifest fields `--map field=column` may fill for parquet: the generic importer's, plus `answers` (vqa human answers). */
export const hfMappableFields = [...mappableFields, 'answers'] as const;
const mediaFields = ['audio', 'image', 'images', 'video'] as const;

/** Options of {@link importHfParquet}. */
export interface HfParquetOptions {
  /** Dataset folder: the manifest and `media/sha256/` go here. Default: the shards' folder (their common folder, with `--videos` included). */
  readonly outDir?: string;
  /** A known layout (`ocrbench`, `mmau`, …); without one the columns are mapped by `map` and same-named columns. */
  readonly preset?: string;
  /** Manifest field → column (`a.b` reaches into a struct column). */
  readonly map?: Readonly<Record<string, string>>;
  /** Task for every row when no column gives one. */
  readonly task?: TaskName;
  /** Language recorded on every sample (overrides the preset's). */
  readonly lang?: string;
  /** Extra tags on every sample. */
  readonly tags?: readonly string[];
  /** Keep the first K samples. */
  readonly limit?: number;
  /** Folder of the videos a question table names (Video-MME). */
  readonly videosDir?: string;
  /** Folder that path-only media cells (no embedded bytes) are relative to; default the shard's folder. */
  readonly mediaDir?: string;
  /** Manifest lines written per write (default 512). */
  readonly batchSize?: number;
  /** Called after each row group with the rows read so far and the rows in all shards. */
  readonly onProgress?: (rowsDone: number, rowsTotal: number) => void;
}

/** What an import wrote. */
export interface HfParquetImport {
  /** Absolute path of the written manifest. */
  readonly manifestPath: string;
  /** Samples written. */
  readonly sampleCount: number;
  /** Shards read, in order. */
  readonly shards: readonly string[];
  /** Rows read (samples, skipped rows and, with --limit, nothing beyond). */
  readonly rowsRead: number;
  /** Rows left out on purpose (a Video-MME question whose video is absent), counted. */
  readonly skippedCount: number;
  /** The first skipped rows, with the reason. */
  readonly skipped: readonly { readonly id: string; readonly reason: string }[];
  /** Media files written by this import. */
  readonly mediaWritten: number;
  /** Media that was already stored (identical bytes in another row, or a previous import). */
  readonly mediaReused: number;
}

const SKIPPED_KEPT = 20;
/** Rows whose media is hashed and written at once: enough to overlap file-system waits, few enough to bound memory to one row group. */
const MEDIA_CONCURRENCY = 16;

/** Maps with at most `limit` calls in flight; results in input order. */
async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T, i: number) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]!, i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

/** HF shard names: `<split>-00000-of-00003.parquet`, older pushes add `-<hash>`. */
export function splitOfShard(file: string): string {
  const name = basename(file);
  const m = /^(.+?)-\d{5}-of-\d{5}(?:-[0-9a-f]+)?\.parquet$/i.exec(name);
  return m ? m[1]! : name.replace(/\.parquet$/i, '');
}

/** Expands folders to the `.parquet` files below them (sorted); files are taken in the order given. */
export async function listShards(paths: readonly string[]): Promise<string[]> {
  const out: string[] = [];
  for (const p of paths) {
    const abs = resolve(p);
    let info;
    try {
      info = await stat(abs);
    } catch {
      throw new ManifestError(abs, 0, '(file)', 'missing: expected a parquet shard or a folder of them');
    }
    if (info.isDirectory()) {
      const entries = await readdir(abs, { recursive: true, withFileTypes: true });
      out.push(
        ...entries
          .filter((e) => e.isFile() && e.name.toLowerCase().endsWith('.parquet'))
          .map((e) => join(e.parentPath, e.name))
          .sort(),
      );
    } else out.push(abs);
  }
  return [...new Set(out)];
}

function commonFolder(paths: readonly string[]): string {
  const [first, ...rest] = paths.map((p) => p.split(sep));
  let common = first ?? [];
  for (const parts of rest) {
    let i = 0;
    while (i < common.length && i < parts.length && common[i] === parts[i]) i++;
    common = common.slice(0, i);
  }
  return common.join(sep) || sep;
}

function inside(root: string, p: string): boolean {
  const rel = relative(root, p);
  return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel));
}

interface Shard {
  readonly file: string;
  readonly metadata: FileMetaData;
  readonly features: HfFeatures;
  readonly rows: number;
}

/** Turns JSON-unfriendly parquet values (INT64 as bigint) into plain ones. */
function plain(v: unknown): unknown {
  return typeof v === 'bigint' ? (Number.isSafeInteger(Number(v)) ? Number(v) : String(v)) : v;
}

function coerce(field: string, raw: unknown): unknown {
  const v = plain(raw);
  if (v === undefined || v === null) return undefined;
  switch (field) {
    case 'id':
    case 'question':
    case 'lang':
      return typeof v === 'number' ? String(v) : v;
    case 'reference':
      return Array.isArray(v) ? v.map(String) : typeof v === 'number' ? String(v) : v;
    case 'answers':
    case 'choices':
      return Array.isArray(v) ? v.map(String) : v;
    case 'answer':
      // A 0-based option index is common (`answer: 2`), as in the generic importer.
      return typeof v === 'number' && Number.isInteger(v) ? String.fromCharCode(65 + v) : typeof v === 'string' ? v.trim().toUpperCase() : v;
    case 'tags':
      return typeof v === 'string'
        ? v
            .split(',')
            .map((t) => t.trim())
            .filter(Boolean)
        : v;
    case 'duration_s':
    case 'start_s':
    case 'end_s':
      return typeof v === 'string' && v.trim() !== '' ? Number(v) : v;
    default:
      return v;
  }
}

/**
 * The mapping used without `--preset`: each manifest field from `--map`'s
 * column, else the column of the same name; media from the mapped column, else
 * the first Image/Audio/Video feature of that kind (several Image columns make
 * `images`). Rows without an id get `<split>-<index>`.
 */
function genericPreset(shard: Shard, map: Readonly<Record<string, string>>, task: TaskName | undefined): HfPreset {
  const columns = new Set(shard.features.columns);
  const source: Record<string, string> = {};
  // A column --map sends to one field is not also taken by the field of its own name (`--map reference=answers`).
  const explicit = new Set(Object.values(map));
  for (const f of hfMappableFields) {
    const col = map[f] ?? (columns.has(f) && !explicit.has(f) ? f : undefined);
    if (col !== undefined) source[f] = col;
  }
  if (!mediaFields.some((f) => source[f] !== undefined)) {
    const byKind = (k: HfMediaKind): string[] => [...shard.features.media].filter(([, kind]) => kind === k).map(([c]) => c);
    const images = byKind('image');
    if (images.length === 1) source.image = images[0]!;
    else if (images.length > 1) source.images = images.join(',');
    const lists = byKind('images');
    if (lists.length && !source.image && !source.images) source.images = lists[0]!;
    for (const k of ['audio', 'video'] as const) if (byKind(k)[0]) source[k] = byKind(k)[0]!;
  }
  if (!source.task && !task) {
    throw new ManifestError(shard.file, 0, 'task', 'no task column: pass --task T (or --map task=COLUMN)');
  }
  const mapped = Object.values(source).flatMap((c) => c.split(','));
  return {
    name: '(generic)',
    dataset: '',
    revision: '',
    columns: [...new Set(mapped.map((c) => c.split(/[.[]/)[0]!))],
    toSample(row, ctx) {
      const out: Record<string, unknown> = {};
      for (const [field, col] of Object.entries(source)) {
        if (field === 'images' && col.includes(',')) {
          out.images = col.split(',').map((c) => row[c]);
          continue;
        }
        const v = mediaFields.includes(field as (typeof mediaFields)[number]) ? getPath(row, col) : coerce(field, getPath(row, col));
        if (v !== undefined && v !== null) out[field] = v;
      }
      out.id ??= `${ctx.split}-${ctx.index}`;
      out.task ??= task;
      out.tags = Array.isArray(out.tags) ? out.tags : [];
      return out as HfDraftSample;
    },
  };
}

async function readShard(file: string): Promise<Shard> {
  let metadata: FileMetaData;
  try {
    metadata = await parquetMetadataAsync(await asyncBufferFromFile(file));
  } catch (err) {
    throw new ManifestError(file, 0, '(file)', `not a readable parquet file (${(err as Error).message})`);
  }
  const features = readHfFeatures(file, metadata.key_value_metadata);
  const rows = Number(metadata.num_rows);
  if (rows === 0) throw new ManifestError(file, 0, '(file)', 'the shard has no rows');
  return { file, metadata, features, rows };
}

function topColumns(metadata: FileMetaData): Set<string> {
  return new Set(parquetSchema(metadata).children.map((c) => c.element.name));
}

/**
 * Imports parquet shards written by Hugging Face `datasets` into a dataset
 * folder: `evalgate-manifest.jsonl` plus the embedded media under
 * `media/sha256/`. Shards are read one row group at a time and manifest lines
 * are written in batches, so memory is bounded by the largest row group, not
 * by the dataset. Byte columns are read as bytes (hyparquet's `utf8: false`):
 * decoding them as UTF-8 would silently corrupt images and audio. Bad rows are
 * all reported at once (file, 1-based row, column), up to the manifest
 * problem limit; nothing is left under the manifest's name when any row is bad.
 */
export async function importHfParquet(paths: readonly string[], opts: HfParquetOptions = {}): Promise<HfParquetImport> {
  const files = await listShards(paths);
  if (files.length === 0) throw new ManifestError(paths.map((p) => resolve(p)).join(', ') || '(none)', 0, '(shards)', 'no parquet shards found');
  const preset = opts.preset === undefined ? undefined : hfPresets[opts.preset];
  if (opts.preset !== undefined && !preset) {
    throw new ManifestError(opts.preset, 0, '--preset', `unknown preset; use one of ${Object.keys(hfPresets).join(', ')}`);
  }
  const videosDir = opts.videosDir ? resolve(opts.videosDir) : undefined;
  if (preset?.needsVideos && !videosDir)
    throw new ManifestError(files[0]!, 0, '--videos', `preset ${preset.name} needs --videos DIR (the folder of its videos)`);

  // Metadata first (footers only): every shard is checked before a row is written, and the progress total is known.
  const shards: Shard[] = [];
  for (const file of files) shards.push(await readShard(file));
  const rowsTotal = shards.reduce((n, s) => n + s.rows, 0);

  let outDir: string;
  if (opts.outDir) outDir = resolve(opts.outDir);
  else {
    outDir = commonFolder([...files.map((f) => dirname(f)), ...(videosDir ? [videosDir] : [])]);
    if (outDir === parse(outDir).root) {
      throw new ManifestError(files[0]!, 0, '(out)', 'the shards and videos share no folder but the file-system root; pass --out DIR');
    }
  }
  const media = new ContentAddressedMedia(outDir);
  const manifestPath = join(outDir, 'evalgate-manifest.jsonl');
  const partialPath = `${manifestPath}.partial`;
  await mkdir(outDir, { recursive: true });
  const out = await open(partialPath, 'w');
  const problems = new RowProblems('row');
  // Where each id was first seen, as shard number × 2^32 + row: a number per id keeps the duplicate check small.
  const ids = new Map<string, number>();
  const skipped: { id: string; reason: string }[] = [];
  const splitCounts = new Map<string, number>();
  const batchSize = opts.batchSize ?? 512;
  let batch: string[] = [];
  let sampleCount = 0;
  let skippedCount = 0;
  let rowsRead = 0;
  const flush = async (): Promise<void> => {
    if (batch.length) await out.write(`${batch.join('\n')}\n`);
    batch = [];
  };

  const store = async (value: unknown, column: string, shard: Shard): Promise<string> => {
    if (!value || typeof value !== 'object') throw new RowError(column, 'missing media');
    if ('file' in value && typeof value.file === 'string') {
      return inside(outDir, value.file) ? relative(outDir, value.file).split(sep).join('/') : (await media.putFile(value.file)).path;
    }
    const { bytes, path } = value as { bytes?: unknown; path?: unknown };
    if (bytes instanceof Uint8Array) return (await media.put(bytes, typeof path === 'string' ? path : null)).path;
    if (typeof bytes === 'string') {
      // Only an unannotated BYTE_ARRAY read as text would look like this; refuse rather than store mangled bytes.
      throw new RowError(column, 'media bytes came back as text; the shard is not in the datasets layout');
    }
    if (typeof path === 'string' && path) {
      const abs = isAbsolute(path) ? path : resolve(opts.mediaDir ? resolve(opts.mediaDir) : dirname(shard.file), path);
      const ok = await stat(abs).then(
        (s) => s.isFile(),
        () => false,
      );
      if (!ok) throw new RowError(column, `no embedded bytes and ${abs} is not a file`);
      return inside(outDir, abs) ? relative(outDir, abs).split(sep).join('/') : (await media.putFile(abs)).path;
    }
    throw new RowError(column, 'no embedded bytes and no path');
  };

  /** One row → its manifest line (media stored), a skip, or the problem with it. */
  const toLine = async (
    mapping: HfPreset,
    row: Readonly<Record<string, unknown>>,
    ctx: HfRowContext,
    shard: Shard,
  ): Promise<{ id: string; line: string } | { skip: string } | { problem: RowError }> => {
    try {
      const draft = mapping.toSample(row, ctx);
      if ('skip' in draft) return { skip: draft.skip as string };
      const sample: Record<string, unknown> = { ...draft };
      for (const f of mediaFields) {
        const v = draft[f];
        if (v === undefined) continue;
        const column = preset ? f : (opts.map?.[f] ?? f);
        sample[f] = f === 'images' ? await Promise.all((v as HfMediaValue[]).map((m) => store(m, column, shard))) : await store(v, column, shard);
      }
      if (opts.lang) sample.lang = opts.lang;
      sample.tags = [...new Set([...(draft.tags ?? []), ...(opts.tags ?? [])])];
      const parsed = manifestSampleSchema.safeParse(sample);
      if (!parsed.success) {
        const issue = firstIssue(parsed.error);
        const col = issue.field && !preset && opts.map?.[issue.field] ? ` (column ${opts.map[issue.field]})` : '';
        throw new RowError(issue.field || '(row)', `${issue.message}${col}`);
      }
      return { id: parsed.data.id, line: JSON.stringify(parsed.data) };
    } catch (err) {
      if (err instanceof RowError) return { problem: err };
      throw err;
    }
  };

  try {
    outer: for (const [shardNo, shard] of shards.entries()) {
      const mapping = preset ?? genericPreset(shard, opts.map ?? {}, opts.task);
      const have = topColumns(shard.metadata);
      const missing = mapping.columns.filter((c) => !have.has(c));
      if (missing.length) {
        throw new ManifestError(
          shard.file,
          0,
          missing[0]!,
          `missing column${missing.length > 1 ? 's' : ''} ${missing.join(', ')}${preset ? ` (preset ${preset.name} follows ${preset.dataset})` : ''}`,
        );
      }
      const split = splitOfShard(shard.file);
      const file = await asyncBufferFromFile(shard.file);
      let rowStart = 0;
      for (const group of shard.metadata.row_groups) {
        const groupEnd = rowStart + Number(group.num_rows);
        // With --limit, read no more rows than could still be kept (so no media is written for rows past the limit).
        const rowEnd = opts.limit === undefined ? groupEnd : Math.min(groupEnd, rowStart + opts.limit - sampleCount);
        const rows = await parquetReadObjects({ file, metadata: shard.metadata, rowStart, rowEnd, utf8: false, compressors });
        const contexts = rows.map((): HfRowContext => {
          const index = splitCounts.get(split) ?? 0;
          splitCounts.set(split, index + 1);
          return { split, index, ...(videosDir ? { videosDir } : {}) };
        });
        // Rows of a group are converted concurrently (media hashing and writing overlap); results are taken in row order.
        const results = await mapLimit(rows, MEDIA_CONCURRENCY, (row, i) => toLine(mapping, row, contexts[i]!, shard));
        rowsRead += rows.length;
        for (const [i, r] of results.entries()) {
          const rowNo = rowStart + i + 1;
          if ('skip' in r) {
            skippedCount++;
            if (skipped.length < SKIPPED_KEPT) skipped.push({ id: `${split}-${contexts[i]!.index}`, reason: r.skip });
            continue;
          }
          if ('problem' in r) {
            problems.add(new ManifestError(shard.file, rowNo, r.problem.field, r.problem.detail));
            continue;
          }
          const prev = ids.get(r.id);
          if (prev !== undefined) {
            const first = `${basename(shards[Math.floor(prev / 2 ** 32)]!.file)} row ${prev % 2 ** 32}`;
            problems.add(new ManifestError(shard.file, rowNo, 'id', `duplicate id "${r.id}" (first at ${first})`));
            continue;
          }
          ids.set(r.id, shardNo * 2 ** 32 + rowNo);
          if (problems.count === 0) batch.push(r.line);
          sampleCount++;
          if (batch.length >= batchSize) await flush();
        }
        opts.onProgress?.(rowsRead, rowsTotal);
        if (opts.limit !== undefined && sampleCount >= opts.limit) break outer;
        rowStart = groupEnd;
      }
    }
    problems.throwIfAny();
    if (sampleCount === 0) {
      const why = skipped[0] ? `; ${skippedCount} rows skipped (e.g. ${skipped[0].id}: ${skipped[0].reason})` : '';
      throw new ManifestError(files[0]!, 0, '(shards)', `no samples${why}`);
    }
    await flush();
    await out.close();
    await rename(partialPath, manifestPath);
  } catch (err) {
    await out.close().catch(() => undefined);
    await unlink(partialPath).catch(() => undefined);
    throw err;
  }
  return { manifestPath, sampleCount, shards: files, rowsRead, skippedCount, skipped, mediaWritten: media.written, mediaReused: media.reused };
}
