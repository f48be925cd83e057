import { readFile } from 'node:fs/promises';
import { isAbsolute, relative, resolve, dirname } from 'node:path';
import { canonicalJson } from './dataset-digest.js';
import { firstIssue } from './first-issue.js';
import { manifestSampleSchema, toStoredSample, type ManifestSample } from './manifest-schema.js';

/** A manifest problem, pointing at the file, line and field. */
export class ManifestError extends Error {
  constructor(
    /** Manifest file. */
    readonly file: string,
    /** 1-based line number. */
    readonly line: number,
    /** Offending field (or `(line)` for the whole line). */
    readonly field: string,
    /** What is wrong. */
    readonly detail: string,
  ) {
    super(`${file}:${line}: ${field}: ${detail}`);
    this.name = 'ManifestError';
  }
}

/** A parsed manifest. */
export interface Manifest {
  /** Absolute path of the manifest file. */
  readonly path: string;
  /** Directory media paths are relative to. */
  readonly root: string;
  /** Samples in file order. */
  readonly samples: readonly ManifestSample[];
  /** 1-based line number of each sample, by id. */
  readonly lineOf: ReadonlyMap<string, number>;
}

/** Media paths of a sample, as written in the manifest. */
export function mediaPaths(s: ManifestSample): { kind: 'audio' | 'image' | 'video'; path: string }[] {
  const out: { kind: 'audio' | 'image' | 'video'; path: string }[] = [];
  if (s.audio) out.push({ kind: 'audio', path: s.audio });
  if (s.image) out.push({ kind: 'image', path: s.image });
  for (const p of s.images ?? []) out.push({ kind: 'image', path: p });
  if (s.video) out.push({ kind: 'video', path: s.video });
  return out;
}

/**
 * Resolves a manifest media path: an absolute path as it is, a relative one
 * (`../` included) against the manifest's folder. Media may live anywhere:
 * which file it is gets pinned at import by its real path, size and sha256
 * (datasets/contain-media-path.ts), not by where it sits.
 */
export function resolveManifestPath(root: string, p: string): string {
  return isAbsolute(p) ? resolve(p) : resolve(root, p);
}

/**
 * Resolves a manifest-relative media path, refusing anything that lies
 * outside the dataset root lexically (`..` segments or absolute paths
 * elsewhere). Manifests no longer need this (see {@link resolveManifestPath});
 * it remains the containment rule for files a dataset writes under its own
 * folder.
 */
export function resolveMediaPath(root: string, p: string): string | undefined {
  const abs = resolveManifestPath(root, p);
  const rel = relative(root, abs);
  if (rel === '' || rel.startsWith('..') || isAbsolute(rel)) return undefined;
  return abs;
}

/** The most problems one ManifestError lists: enough to fix a batch of lines at once, bounded for huge files. */
export const MAX_MANIFEST_PROBLEMS = 20;

/**
 * Parses JSONL text; every error names the line and field. Every line is checked, so a manifest's
 * problems are reported together (up to {@link MAX_MANIFEST_PROBLEMS}) rather than one per attempt:
 * the thrown ManifestError points at the first and its detail lists the others. `_root` (the
 * manifest's folder) is no longer needed: media may lie anywhere since issue #18; callers still pass it.
 */
export function parseManifestText(text: string, file: string, _root: string): ManifestSample[] {
  const samples: ManifestSample[] = [];
  const problems: ManifestError[] = [];
  let more = 0;
  const checker = new ManifestLineChecker(file);
  text.split(/\r?\n/).forEach((raw, i) => {
    if (raw.trim() === '') return;
    try {
      samples.push(checker.check(raw, i + 1));
    } catch (err) {
      if (!(err instanceof ManifestError)) throw err;
      if (problems.length < MAX_MANIFEST_PROBLEMS) problems.push(err);
      else more++;
    }
  });
  const [first, ...rest] = problems;
  if (first) {
    const others = rest.map((p) => `line ${p.line}: ${p.field}: ${p.detail}`);
    if (more > 0) others.push(`${more} more not shown`);
    throw new ManifestError(file, first.line, first.field, others.length ? `${first.detail}; also ${others.join('; ')}` : first.detail);
  }
  return samples;
}

/**
 * Validates manifest lines one at a time, remembering what the checks across lines need: the ids
 * seen (duplicates), unless `trackIds` is false because the caller finds duplicates another way
 * (the streaming import lets the database's unique key find them, so memory does not grow with the
 * file), and the dataset-level fields (cls's label set and synonyms: the first line that sets one
 * fixes it).
 */
export class ManifestLineChecker {
  readonly #seen = new Map<string, number>();
  readonly #datasetLevel = new Map<'labels' | 'label_synonyms', { line: number; json: string; value: unknown }>();

  constructor(
    /** Manifest file, named in errors. */
    readonly file: string,
    /** Keep every id to report duplicates (default true). */
    readonly trackIds = true,
  ) {}

  /** The validated sample of one non-blank line; a ManifestError names the line and field. */
  check(raw: string, lineNo: number): ManifestSample {
    const file = this.file;
    let obj: unknown;
    try {
      obj = JSON.parse(raw);
    } catch (err) {
      throw new ManifestError(file, lineNo, '(line)', `not valid JSON (${(err as Error).message})`);
    }
    const parsed = manifestSampleSchema.safeParse(obj);
    if (!parsed.success) {
      const issue = firstIssue(parsed.error);
      throw new ManifestError(file, lineNo, issue.field || '(line)', issue.message);
    }
    const s = parsed.data;
    if (this.trackIds) {
      const prev = this.#seen.get(s.id);
      if (prev !== undefined) throw new ManifestError(file, lineNo, 'id', `duplicate id "${s.id}" (first on line ${prev})`);
      this.#seen.set(s.id, lineNo);
    }
    for (const field of ['labels', 'label_synonyms'] as const) {
      if (s[field] === undefined) continue;
      const json = canonicalJson(s[field]);
      const firstSet = this.#datasetLevel.get(field);
      if (!firstSet) this.#datasetLevel.set(field, { line: lineNo, json, value: s[field] });
      else if (firstSet.json !== json) throw new ManifestError(file, lineNo, field, `differs from line ${firstSet.line}: it is set for the whole dataset`);
    }
    // Media paths may point anywhere (absolute, or `../` relative to the manifest): import records each file's real path.
    return toStoredSample(s);
  }

  /** The scorer options the lines checked so far set for the whole dataset, as {@link datasetScorerOptions} gives them. */
  scorerOptions(): { labels?: string[]; synonyms?: Record<string, string[]> } {
    const labels = this.#datasetLevel.get('labels')?.value as string[] | undefined;
    const synonyms = this.#datasetLevel.get('label_synonyms')?.value as Record<string, string[]> | undefined;
    return { ...(labels ? { labels } : {}), ...(synonyms ? { synonyms } : {}) };
  }
}

/** Reads and validates a manifest file. */
export async function parseManifest(path: string): Promise<Manifest> {
  const abs = resolve(path);
  const root = dirname(abs);
  const text = await readFile(abs, 'utf8');
  const samples = parseManifestText(text, abs, root);
  const lineOf = new Map<string, number>();
  let n = 0;
  text.split(/\r?\n/).forEach((raw, i) => {
    if (raw.trim() === '') return;
    const s = samples[n++];
    if (s) lineOf.set(s.id, i + 1);
  });
  return { path: abs, root, samples, lineOf };
}

/**
 * The scorer options a manifest sets for its whole dataset (cls's `labels` and
 * `label_synonyms`, which parseManifestText checked agree on every line), as
 * a run's `scorer` options; empty when it sets none.
 */
export function datasetScorerOptions(samples: readonly ManifestSample[]): { labels?: string[]; synonyms?: Record<string, string[]> } {
  const labels = samples.find((s) => s.labels !== undefined)?.labels;
  const synonyms = samples.find((s) => s.label_synonyms !== undefined)?.label_synonyms;
  return { ...(labels ? { labels } : {}), ...(synonyms ? { synonyms } : {}) };
}
