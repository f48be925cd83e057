import { createReadStream } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { writeManifestStreamed, type StreamedManifest } from './write-manifest-streamed.js';
import { ManifestError } from '../parse-manifest.js';
import { firstIssue } from '../first-issue.js';
import { manifestSampleSchema } from '../manifest-schema.js';
import { readJsonItems } from './import-ocrbench.js';
import { limited, withTags, type ImportedSample, type ImportedSet, type ImporterOptions } from './imported-set.js';

/** Manifest fields a mapping may fill. */
export const mappableFields = [
  'id',
  'task',
  'audio',
  'image',
  'images',
  'video',
  'reference',
  'question',
  'choices',
  'answer',
  'lang',
  'tags',
  'duration_s',
  'start_s',
  'end_s',
] as const;
type MappableField = (typeof mappableFields)[number];
const mediaFields = new Set<MappableField>(['audio', 'image', 'images', 'video']);

/** Parses `--map field=path` pairs; unknown manifest fields are refused. */
export function parseFieldMap(pairs: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const p of pairs) {
    const eq = p.indexOf('=');
    const field = p.slice(0, eq).trim();
    const path = p.slice(eq + 1).trim();
    if (eq < 1 || !path) throw new Error(`--map ${p}: expected field=path, e.g. reference=annotation.text`);
    if (!(mappableFields as readonly string[]).includes(field))
      throw new Error(`--map ${p}: unknown manifest field ${field} (one of ${mappableFields.join(', ')})`);
    out[field] = path;
  }
  return out;
}

/** Reads `a.b[0].c` (or `a.b.0.c`) out of a JSON value. */
export function getPath(obj: unknown, path: string): unknown {
  let cur: unknown = obj;
  for (const part of path
    .replace(/\[(\d+)\]/g, '.$1')
    .split('.')
    .filter(Boolean)) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string, unknown>)[part];
  }
  return cur;
}

function coerce(field: MappableField, v: unknown): unknown {
  if (v === undefined || v === null) return undefined;
  switch (field) {
    case 'id':
    case 'question':
    case 'lang':
    case 'audio':
    case 'image':
    case 'video':
      return typeof v === 'number' ? String(v) : v;
    case 'reference':
      return Array.isArray(v) ? v.map(String) : typeof v === 'number' ? String(v) : v;
    case 'answer':
      // A 0-based option index is common in exports (`"answer": 2`).
      return typeof v === 'number' && Number.isInteger(v) ? String.fromCharCode(65 + v) : typeof v === 'string' ? v.trim().toUpperCase() : v;
    case 'tags':
      return typeof v === 'string'
        ? v
            .split(',')
            .map((t) => t.trim())
            .filter(Boolean)
        : v;
    case 'images':
      return typeof v === 'string' ? [v] : v;
    case 'duration_s':
    case 'start_s':
    case 'end_s':
      return typeof v === 'string' && v.trim() !== '' ? Number(v) : v;
    default:
      return v;
  }
}

/**
 * Generic JSONL (or a JSON array) exported from another tool. Each manifest
 * field is taken from the source field of the same name unless `--map
 * field=path` names another (`a.b[0]` paths reach into nested objects);
 * `--task` and `--lang` fill fields the source lacks. Media paths resolve
 * against `--media-dir`, else the file's folder. An integer `answer` is read
 * as a 0-based option index. Each result is validated against the manifest
 * schema here, so errors name the source line and the manifest field.
 */
export async function importGenericJsonl(path: string, opts: ImporterOptions): Promise<ImportedSet> {
  const file = resolve(path);
  const base = opts.mediaDir ? resolve(opts.mediaDir) : dirname(file);
  const samples: ImportedSample[] = [];
  for (const { item, line } of await readJsonItems<unknown>(file)) samples.push(genericSample(item, line, file, base, opts));
  return { samples: limited(samples, opts), sourceDir: dirname(file), skipped: [] };
}

/** One source item as a validated manifest sample (media paths absolute); a ManifestError names the source line and field. */
function genericSample(item: unknown, line: number, file: string, base: string, opts: ImporterOptions): ImportedSample {
  const map = opts.map ?? {};
  const out: Record<string, unknown> = {};
  for (const f of mappableFields) {
    let v = coerce(f, getPath(item, map[f] ?? f));
    if (v === undefined) continue;
    if (mediaFields.has(f)) {
      const abs = (p: unknown): unknown => (typeof p === 'string' && !isAbsolute(p) ? resolve(base, p) : p);
      v = Array.isArray(v) ? v.map(abs) : abs(v);
    }
    out[f] = v;
  }
  out.id ??= String(line);
  out.task ??= opts.task;
  if (opts.lang) out.lang = opts.lang;
  out.tags = withTags(Array.isArray(out.tags) ? (out.tags as string[]) : [], opts);
  const parsed = manifestSampleSchema.safeParse(out);
  if (!parsed.success) {
    const issue = firstIssue(parsed.error);
    const field = issue.field;
    const hint = field && map[field] ? ` (mapped from ${map[field]})` : field === 'task' ? ' (map it or pass --task)' : '';
    throw new ManifestError(file, line, field || '(line)', `${issue.message}${hint}`);
  }
  return parsed.data;
}

/**
 * {@link importGenericJsonl} and writeImportedManifest (in place) in one
 * streamed pass, for JSON Lines of any length: the source is read a batch of
 * lines at a time and each manifest line written as it is made, so memory does
 * not grow with the file. Every bad line is reported at once (RowProblems).
 * The manifest is byte for byte what the in-memory pair writes. Returns
 * undefined for a JSON array (one JSON value is parsed whole; the caller uses
 * the in-memory importer).
 */
export async function writeGenericJsonlManifest(
  path: string,
  opts: ImporterOptions,
  out: { readonly fileName?: string } = {},
): Promise<StreamedManifest | undefined> {
  const file = resolve(path);
  if (await startsWithArray(file)) return undefined;
  const base = opts.mediaDir ? resolve(opts.mediaDir) : dirname(file);
  return writeManifestStreamed(file, dirname(file), out.fileName, opts.limit, (line, text) => {
    let item: unknown;
    try {
      item = JSON.parse(line === 1 ? text.replace(/^\uFEFF/, '') : text);
    } catch (err) {
      throw new ManifestError(file, line, '(line)', `not valid JSON (${(err as Error).message})`);
    }
    return genericSample(item, line, file, base, opts);
  });
}

async function startsWithArray(file: string): Promise<boolean> {
  for await (const chunk of createReadStream(file, { highWaterMark: 4096 })) {
    const head = (chunk as Buffer)
      .toString('utf8')
      .replace(/^\uFEFF/, '')
      .trimStart();
    if (head !== '') return head.startsWith('[');
  }
  return false;
}
