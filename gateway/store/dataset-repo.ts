import type { Kysely } from 'kysely';
import { linkBoundary } from '../../datasets/contain-media-path.js';
import { digestVersionOf, type DigestVersion, type MediaEntry } from '../../datasets/dataset-digest.js';
import { datasetScorerOptions, resolveManifestPath, type Manifest } from '../../datasets/parse-manifest.js';
import {
  checkReadable,
  mapPool,
  prepareDataset,
  type MediaProblem,
  type PreparedDataset,
  type PreparedSample,
  type PrepareOptions,
  type ProbeDurationS,
} from '../../datasets/prepare-dataset.js';
import { datasetRelocations } from '../../datasets/relocations.js';
import { verifySamples, type VerifyReport } from '../../datasets/verify-dataset.js';
import { EvalgateError } from '../errors.js';
import type { Database, Dataset, NewSample, Sample, SampleMedia, SampleMediaFile, SampleTask } from './database.js';

// Datasets and their samples in the store. References are stored server-side
// for every dataset; for sealed ones they leave only through
// publicSampleView(…, {isAdmin: true}).

/** A stored sample with its media typed (segment times included). */
export type StoredSample = Omit<Sample, 'media'> & { readonly media: MediaEntry[] };

/** Options of {@link importDataset}. */
export interface ImportDatasetOptions {
  /** Unique dataset name. */
  readonly name: string;
  /** Publish sealed: references and answers never leave through the API to non-admin keys. */
  readonly sealed?: boolean;
  /** Extra facts kept in `datasets.meta` (source format, source path…). */
  readonly meta?: Record<string, unknown>;
  /** Media duration probe; defaults to ffprobe through gateway/media. Pass `null` to skip probing. */
  readonly probeDurationS?: ProbeDurationS | null;
  /** Progress over samples hashed. */
  readonly onProgress?: PrepareOptions['onProgress'];
  /** Files hashed at once. */
  readonly concurrency?: number;
  /** Cancels the import. */
  readonly signal?: AbortSignal;
  /** Accept media links that lead out of the folder they are in (`--follow-symlinks`). */
  readonly followSymlinks?: boolean;
  /** Folders media may come from besides the manifest's folder (`--media-root`, recorded in meta). */
  readonly mediaRoots?: readonly string[];
}

/** Counts and durations of a dataset. */
export interface DatasetStats {
  /** Samples. */
  readonly sampleCount: number;
  /** Samples per task. */
  readonly tasks: Record<string, number>;
  /** Samples per capability tag. */
  readonly tags: Record<string, number>;
  /** Samples per language (`(none)` when unset). */
  readonly langs: Record<string, number>;
  /** Total audio, seconds: each distinct file or segment counted once. */
  readonly audioDurationS: number;
  /** Total video, seconds: each distinct file counted once, however many questions use it. */
  readonly videoDurationS: number;
  /** Distinct media files. */
  readonly mediaFiles: number;
}

/** The default duration probe: ffprobe via gateway/media. */
export const ffprobeDurationS: ProbeDurationS = async (absPath, signal) => {
  const { probeMedia } = await import('../media/probe-media.js');
  const info = await probeMedia(absPath, { signal, countFrames: false });
  return info.durationS > 0 ? info.durationS : undefined;
};

function describeProblems(problems: readonly MediaProblem[]): string {
  const shown = problems.slice(0, 10).map((p) => `sample ${p.id}${p.line ? ` (line ${p.line})` : ''}: ${p.path} ${p.problem} (${p.detail})`);
  const more = problems.length > shown.length ? `; and ${problems.length - shown.length} more` : '';
  return `${problems.length} media file(s) unusable: ${shown.join('; ')}${more}`;
}

/** Finds a dataset by name or id. */
export async function findDataset(db: Kysely<Database>, nameOrId: string): Promise<Dataset | undefined> {
  return db
    .selectFrom('datasets')
    .selectAll()
    .where((eb) => eb.or([eb('name', '=', nameOrId), eb('id', '=', nameOrId)]))
    .executeTakeFirst();
}

/** Like {@link findDataset}, but a missing dataset is EVALGATE_ERR_NOT_FOUND. */
export async function requireDataset(db: Kysely<Database>, nameOrId: string): Promise<Dataset> {
  const ds = await findDataset(db, nameOrId);
  if (!ds) throw new EvalgateError('EVALGATE_ERR_NOT_FOUND', { what: 'Dataset', id: nameOrId });
  return ds;
}

/** All datasets, newest first. */
export async function listDatasets(db: Kysely<Database>): Promise<Dataset[]> {
  return db.selectFrom('datasets').selectAll().orderBy('created_at', 'desc').orderBy('name').execute();
}

/**
 * Hashes the manifest's media, then inserts the dataset and its samples in one
 * transaction, with the real file (links resolved) and size behind each media
 * entry. A media file whose real path leaves the dataset root is
 * EVALGATE_ERR_PATH_ESCAPE; every other unusable media file is reported at
 * once, by sample id and manifest line, before anything is written
 * (EVALGATE_ERR_MEDIA_NOT_FOUND); a taken name is EVALGATE_ERR_CONFLICT.
 */
export async function importDataset(db: Kysely<Database>, manifest: Manifest, opts: ImportDatasetOptions): Promise<Dataset> {
  if (await findDataset(db, opts.name)) {
    throw new EvalgateError('EVALGATE_ERR_CONFLICT', { detail: `a dataset named "${opts.name}" already exists` });
  }
  const prepared = await prepareDataset(manifest, {
    probeDurationS: opts.probeDurationS === null ? undefined : (opts.probeDurationS ?? ffprobeDurationS),
    onProgress: opts.onProgress,
    concurrency: opts.concurrency,
    signal: opts.signal,
    followSymlinks: opts.followSymlinks,
    mediaRoots: opts.mediaRoots ?? [],
  });
  // A link out of the folder it is in is refused on its own code: it is a
  // containment failure, not a missing file.
  const escape = prepared.problems.find((p) => p.problem === 'escape');
  if (escape) {
    throw new EvalgateError('EVALGATE_ERR_PATH_ESCAPE', {
      path: `${escape.path} (sample ${escape.id}${escape.line ? `, line ${escape.line}` : ''}: ${escape.detail?.includes('--media-root') ? escape.detail.slice(escape.path.length + 1) : 'a symbolic link to a file outside its folder; pass --follow-symlinks to accept it'})`,
      root: linkBoundary(manifest.root, resolveManifestPath(manifest.root, escape.path)),
    });
  }
  if (prepared.problems.length > 0) {
    throw new EvalgateError('EVALGATE_ERR_MEDIA_NOT_FOUND', { path: describeProblems(prepared.problems) });
  }
  try {
    return await insertPrepared(db, manifest, prepared, opts);
  } catch (err) {
    // Two imports of one name racing past the check above meet the unique constraint.
    if ((err as { code?: string }).code === '23505') {
      throw new EvalgateError('EVALGATE_ERR_CONFLICT', { detail: `a dataset named "${opts.name}" already exists` }, { cause: err });
    }
    throw err;
  }
}

async function insertPrepared(db: Kysely<Database>, manifest: Manifest, prepared: PreparedDataset, opts: ImportDatasetOptions): Promise<Dataset> {
  return db.transaction().execute(async (trx) => {
    const ds = await trx
      .insertInto('datasets')
      .values({
        name: opts.name,
        root_dir: manifest.root,
        manifest_path: manifest.path,
        manifest_digest: prepared.manifestDigest,
        merkle_root: prepared.merkleRoot,
        digest_version: prepared.digestVersion,
        sample_count: prepared.samples.length,
        sealed: opts.sealed ?? false,
        meta: JSON.stringify(withScorerOptions(opts.meta ?? {}, manifest)),
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    const rows = prepared.samples.map((p) => sampleRowOf(ds.id, p));
    // Chunked so one statement stays well under PostgreSQL's 65535-parameter limit.
    for (let i = 0; i < rows.length; i += 1000) {
      await trx
        .insertInto('samples')
        .values(rows.slice(i, i + 1000))
        .execute();
    }
    return ds;
  });
}

/** Options of {@link listSamples}. */
export interface ListSamplesOptions {
  /** At most this many samples. */
  readonly limit?: number;
  /** Only samples whose id sorts after this one (keyset paging). */
  readonly afterKey?: string;
  /** Only samples of these ids. */
  readonly keys?: readonly string[];
}

/** Samples of a dataset ordered by sample id, references included (server-side use only). */
export async function listSamples(db: Kysely<Database>, datasetId: string, opts: ListSamplesOptions = {}): Promise<StoredSample[]> {
  let q = db.selectFrom('samples').selectAll().where('dataset_id', '=', datasetId);
  if (opts.afterKey !== undefined) q = q.where('sample_key', '>', opts.afterKey);
  if (opts.keys) {
    if (opts.keys.length === 0) return [];
    q = q.where('sample_key', 'in', [...opts.keys]);
  }
  q = q.orderBy('sample_key');
  if (opts.limit !== undefined) q = q.limit(opts.limit);
  return (await q.execute()) as StoredSample[];
}

/** One sample by its manifest id. */
export async function findSample(db: Kysely<Database>, datasetId: string, key: string): Promise<StoredSample | undefined> {
  return (await db.selectFrom('samples').selectAll().where('dataset_id', '=', datasetId).where('sample_key', '=', key).executeTakeFirst()) as
    StoredSample | undefined;
}

/** A sample as an API may return it. */
export interface PublicSample {
  /** Row id. */
  readonly id: string;
  /** Manifest id. */
  readonly key: string;
  /** Task. */
  readonly task: SampleTask;
  /** Question, if any. */
  readonly question: string | null;
  /** Options, if multiple choice. */
  readonly choices: string[] | null;
  /** Language. */
  readonly lang: string | null;
  /** Capability tags. */
  readonly tags: string[];
  /** Media with digests. */
  readonly media: MediaEntry[];
  /** Duration in seconds. */
  readonly durationS: number | null;
  /** Digest of the canonical sample. */
  readonly digest: string;
  /** Reference(s); absent for sealed datasets unless the caller is admin. */
  readonly reference?: string | string[] | null;
  /** Correct option letter; absent for sealed datasets unless the caller is admin. */
  readonly answer?: string | null;
  /** vqa: the human answers; a reference, so absent exactly when `reference` is. */
  readonly humanAnswers?: string[] | null;
}

/**
 * The one place that decides whether references leave the server: for a
 * sealed dataset, `reference`, `answer` (the answer is the reference of a
 * multiple-choice item) and `humanAnswers` (vqa's references) are dropped
 * unless the caller holds the admin scope.
 */
export function publicSampleView(sample: StoredSample, access: { readonly sealed: boolean; readonly isAdmin: boolean }): PublicSample {
  const base: PublicSample = {
    id: sample.id,
    key: sample.sample_key,
    task: sample.task,
    question: sample.question,
    choices: sample.choices,
    lang: sample.lang,
    tags: sample.tags,
    media: sample.media,
    durationS: sample.duration_s,
    digest: sample.sample_digest,
  };
  if (access.sealed && !access.isAdmin) return base;
  return { ...base, reference: sample.reference, answer: sample.answer, humanAnswers: sample.human_answers };
}

/** A dataset as an API may return it. */
export interface PublicDataset {
  /** Row id. */
  readonly id: string;
  /** Name. */
  readonly name: string;
  /** Sealed datasets show only their digests to non-admin keys. */
  readonly sealed: boolean;
  /** sha256 of the manifest bytes. */
  readonly manifestDigest: string;
  /** Merkle root over the sample digests. */
  readonly merkleRoot: string;
  /** Digest definition of the sample digests and root (docs/datasets.md, "Digests"): needed to recompute them. */
  readonly digestVersion: DigestVersion;
  /** Samples. */
  readonly sampleCount: number;
  /** Import time. */
  readonly createdAt: Date;
  /** Where the files are; hidden for sealed datasets from non-admin keys. */
  readonly rootDir?: string | null;
  /** Manifest file; hidden for sealed datasets from non-admin keys. */
  readonly manifestPath?: string | null;
  /** Import facts; hidden for sealed datasets from non-admin keys. */
  readonly meta?: Record<string, unknown>;
}

/** Dataset fields for an API response, with sealed datasets reduced to their digests. */
export function publicDatasetView(ds: Dataset, access: { readonly isAdmin: boolean }): PublicDataset {
  const base: PublicDataset = {
    id: ds.id,
    name: ds.name,
    sealed: ds.sealed,
    manifestDigest: ds.manifest_digest,
    merkleRoot: ds.merkle_root,
    digestVersion: digestVersionOf(ds.digest_version),
    sampleCount: ds.sample_count,
    createdAt: ds.created_at,
  };
  if (ds.sealed && !access.isAdmin) return base;
  return { ...base, rootDir: ds.root_dir, manifestPath: ds.manifest_path, meta: ds.meta };
}

/** Counts per task, tag and language, and total audio and video duration. */
export async function datasetStats(db: Kysely<Database>, datasetId: string): Promise<DatasetStats> {
  const rows = await db.selectFrom('samples').select(['task', 'tags', 'lang', 'media', 'duration_s']).where('dataset_id', '=', datasetId).execute();
  const tasks: Record<string, number> = {};
  const tags: Record<string, number> = {};
  const langs: Record<string, number> = {};
  const files = new Set<string>();
  const timedSeen = new Set<string>();
  let audioDurationS = 0;
  let videoDurationS = 0;
  for (const r of rows) {
    tasks[r.task] = (tasks[r.task] ?? 0) + 1;
    for (const t of new Set(r.tags)) tags[t] = (tags[t] ?? 0) + 1;
    const lang = r.lang ?? '(none)';
    langs[lang] = (langs[lang] ?? 0) + 1;
    const media = r.media as MediaEntry[];
    for (const m of media) files.add(m.path);
    // Several questions often share one video: each distinct file (or segment) counts once.
    const timed = media.find((m) => m.kind === 'audio') ?? media.find((m) => m.kind === 'video');
    if (timed && r.duration_s !== null) {
      const key = `${timed.kind}|${timed.path}|${timed.start_s ?? ''}|${timed.end_s ?? ''}`;
      if (!timedSeen.has(key)) {
        timedSeen.add(key);
        if (timed.kind === 'audio') audioDurationS += r.duration_s;
        else videoDurationS += r.duration_s;
      }
    }
  }
  return {
    sampleCount: rows.length,
    tasks: sortKeys(tasks),
    tags: sortKeys(tags),
    langs: sortKeys(langs),
    audioDurationS,
    videoDurationS,
    mediaFiles: files.size,
  };
}

/** Samples per task, counted by the database (unlike {@link datasetStats}, nothing per sample is loaded: cheap on a million rows). */
export async function datasetTaskCounts(db: Kysely<Database>, datasetId: string): Promise<Record<string, number>> {
  const rows = await db
    .selectFrom('samples')
    .select((eb) => ['task', eb.fn.countAll().as('n')])
    .where('dataset_id', '=', datasetId)
    .groupBy('task')
    .execute();
  // count() is a string from pg and a number from PGlite.
  return sortKeys(Object.fromEntries(rows.map((r) => [r.task, Number(r.n)])));
}

function sortKeys(o: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(o).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

/**
 * Re-hashes the dataset's media and compares it, its manifest and its stored
 * rows with what was recorded at import, by the dataset's digest version.
 * Never throws for changed content: the report lists each changed sample with
 * the reasons, and moved, missing and changed files apart.
 */
export async function verifyDataset(
  db: Kysely<Database>,
  ds: Dataset,
  opts: { readonly concurrency?: number; readonly signal?: AbortSignal } = {},
): Promise<VerifyReport> {
  const rows = await listSamples(db, ds.id);
  return verifySamples({
    root: ds.root_dir ?? '.',
    manifestPath: ds.manifest_path,
    manifestDigest: ds.manifest_digest,
    merkleRoot: ds.merkle_root,
    digestVersion: digestVersionOf(ds.digest_version),
    relocations: datasetRelocations(ds.meta),
    samples: rows.map((r) => ({
      id: r.sample_key,
      task: r.task,
      media: r.media,
      files: r.media_files,
      reference: r.reference,
      question: r.question,
      choices: r.choices,
      answer: r.answer,
      answers: r.human_answers,
      lang: r.lang,
      tags: r.tags,
      digest: r.sample_digest,
    })),
    concurrency: opts.concurrency,
    signal: opts.signal,
  });
}

/**
 * The pre-run check: every media file of the dataset (or of the given samples)
 * that is missing or unreadable now, by sample id. Cheap: no hashing.
 */
export async function checkDatasetMedia(db: Kysely<Database>, ds: Dataset, keys?: readonly string[]): Promise<MediaProblem[]> {
  const rows = await listSamples(db, ds.id, keys ? { keys } : {});
  const root = ds.root_dir ?? '.';
  const checks = rows.flatMap((r) => r.media.map((m) => ({ id: r.sample_key, path: m.path })));
  const results = await mapPool(checks, 16, async (c): Promise<MediaProblem | undefined> => {
    const bad = await checkReadable(resolveManifestPath(root, c.path));
    return bad ? { ...c, ...bad } : undefined;
  });
  return results.filter((r): r is MediaProblem => r !== undefined);
}

/** Absolute path of a sample's media file: as recorded (absolute), or relative to the dataset root. */
export function sampleMediaPath(ds: Pick<Dataset, 'root_dir'>, media: Pick<MediaEntry, 'path'>): string {
  return resolveManifestPath(ds.root_dir ?? '.', media.path);
}

/** What the media route needs to serve one media file of a sample. */
export interface SampleMediaRecord {
  /** The sample's media entries, in manifest order. */
  readonly media: SampleMedia[];
  /** Real path and size recorded at import for each entry (same order; `[]` for samples imported before it was recorded). */
  readonly media_files: SampleMediaFile[];
  /** The dataset's root folder. */
  readonly root_dir: string | null;
  /** Whether the dataset is sealed (its media then goes to admin keys only). */
  readonly sealed: boolean;
}

/** A sample's media entries, recorded files, dataset root and sealing, by dataset name or id and sample key. */
export async function findSampleMediaRecord(db: Kysely<Database>, datasetNameOrId: string, sampleKey: string): Promise<SampleMediaRecord | undefined> {
  return db
    .selectFrom('samples')
    .innerJoin('datasets', 'datasets.id', 'samples.dataset_id')
    .select(['samples.media', 'samples.media_files', 'datasets.root_dir', 'datasets.sealed'])
    .where((eb) => eb.or([eb('datasets.name', '=', datasetNameOrId), eb('datasets.id', '=', datasetNameOrId)]))
    .where('samples.sample_key', '=', sampleKey)
    .executeTakeFirst();
}

/** Which of these datasets are sealed (ids; unknown ids are left out). */
export async function sealedDatasetIds(db: Kysely<Database>, datasetIds: readonly string[]): Promise<string[]> {
  if (datasetIds.length === 0) return [];
  const rows = await db
    .selectFrom('datasets')
    .select('id')
    .where('id', 'in', [...datasetIds])
    .where('sealed', '=', true)
    .execute();
  return rows.map((d) => d.id);
}

/** Which of these samples (row ids) belong to a sealed dataset. */
export async function sealedSampleIds(db: Kysely<Database>, sampleIds: readonly string[]): Promise<string[]> {
  if (sampleIds.length === 0) return [];
  const rows = await db
    .selectFrom('samples')
    .innerJoin('datasets', 'datasets.id', 'samples.dataset_id')
    .select('samples.id')
    .where('samples.id', 'in', [...sampleIds])
    .where('datasets.sealed', '=', true)
    .execute();
  return rows.map((r) => r.id);
}

/** Whether the dataset with this id is sealed (false when there is none). */
export async function isDatasetSealed(db: Kysely<Database>, datasetId: string): Promise<boolean> {
  return (await db.selectFrom('datasets').select('sealed').where('id', '=', datasetId).executeTakeFirst())?.sealed === true;
}

/** A sample as live scoring binds it, with its dataset's root and sealing. */
export interface BindableSample {
  /** Sample row id. */
  readonly sampleId: string;
  /** Dataset row id. */
  readonly datasetId: string;
  /** Manifest id. */
  readonly sampleKey: string;
  /** Task. */
  readonly task: SampleTask;
  /** Reference(s). */
  readonly reference: string | string[] | null;
  /** Language. */
  readonly lang: string | null;
  /** Question, if any. */
  readonly question: string | null;
  /** Correct option letter, if multiple choice. */
  readonly answer: string | null;
  /** vqa: the human answers (scored with VQA accuracy), if any. Never leaves the server. */
  readonly humanAnswers: string[] | null;
  /** Options, if multiple choice. */
  readonly choices: string[] | null;
  /** Media entries (paths relative to the root, or absolute). */
  readonly media: SampleMedia[];
  /** Real path and size recorded at import per media entry (same order; `[]` for samples imported before they were recorded). */
  readonly mediaFiles: SampleMediaFile[];
  /** The dataset's root folder. */
  readonly rootDir: string | null;
  /** Whether the dataset is sealed. */
  readonly sealed: boolean;
  /** The dataset's meta (its manifest's scorer options live in `scorer`). Never leaves the server. */
  readonly datasetMeta: Record<string, unknown>;
}

/**
 * A sample by dataset name or id and sample key; when several imports share
 * the name, the newest wins.
 */
export async function findBindableSample(db: Kysely<Database>, datasetNameOrId: string, sampleKey: string): Promise<BindableSample | undefined> {
  return db
    .selectFrom('samples')
    .innerJoin('datasets', 'datasets.id', 'samples.dataset_id')
    .select([
      'samples.id as sampleId',
      'samples.dataset_id as datasetId',
      'samples.sample_key as sampleKey',
      'samples.task as task',
      'samples.reference as reference',
      'samples.lang as lang',
      'samples.question as question',
      'samples.answer as answer',
      'samples.human_answers as humanAnswers',
      'samples.choices as choices',
      'samples.media as media',
      'samples.media_files as mediaFiles',
      'datasets.root_dir as rootDir',
      'datasets.sealed as sealed',
      'datasets.meta as datasetMeta',
    ])
    .where((eb) => eb.or([eb('datasets.name', '=', datasetNameOrId), eb(eb.cast('datasets.id', 'text'), '=', datasetNameOrId)]))
    .where('samples.sample_key', '=', sampleKey)
    .orderBy('datasets.created_at', 'desc')
    .executeTakeFirst();
}

/** The import's meta plus the scorer options the manifest sets for its whole dataset, by task (cls's label set). */
function withScorerOptions(meta: Record<string, unknown>, manifest: Manifest): Record<string, unknown> {
  const cls = datasetScorerOptions(manifest.samples);
  return Object.keys(cls).length > 0 ? { ...meta, scorer: { cls } } : meta;
}

/**
 * The scorer options a dataset's manifest set for one task (`meta.scorer[task]`, written at import:
 * cls's `labels` and `synonyms`); empty when it set none. Runs and live bindings put their own on top.
 */
export function datasetScorerOptionsOf(meta: Readonly<Record<string, unknown>> | null | undefined, task: string): Record<string, unknown> {
  const byTask = meta?.scorer;
  if (byTask === null || typeof byTask !== 'object' || Array.isArray(byTask)) return {};
  const own = (byTask as Record<string, unknown>)[task];
  return own !== null && typeof own === 'object' && !Array.isArray(own) ? { ...(own as Record<string, unknown>) } : {};
}

/** A prepared manifest sample as a `samples` row (both import paths write exactly this). */
export function sampleRowOf(datasetId: string, p: PreparedSample): NewSample {
  return {
    dataset_id: datasetId,
    sample_key: p.sample.id,
    task: p.sample.task,
    reference: p.sample.reference === undefined ? null : JSON.stringify(p.sample.reference),
    question: p.sample.question ?? null,
    choices: p.sample.choices ? JSON.stringify(p.sample.choices) : null,
    answer: p.sample.answer ?? null,
    human_answers: p.sample.answers ? JSON.stringify(p.sample.answers) : null,
    lang: p.sample.lang ?? null,
    tags: JSON.stringify(p.sample.tags),
    media: JSON.stringify(p.media),
    media_files: JSON.stringify(p.files),
    duration_s: p.durationS ?? null,
    sample_digest: p.digest,
  };
}
