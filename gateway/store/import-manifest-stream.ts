import { createHash } from 'node:crypto';
import { dirname, resolve } from 'node:path';
import { sql, type Kysely, type Transaction } from 'kysely';
import { linkBoundary } from '../../datasets/contain-media-path.js';
import { CURRENT_DIGEST_VERSION } from '../../datasets/dataset-digest.js';
import { RowProblems } from '../../datasets/importers/row-problems.js';
import type { ManifestSample } from '../../datasets/manifest-schema.js';
import { MerkleBuilder } from '../../datasets/merkle-builder.js';
import { ManifestError, ManifestLineChecker, resolveManifestPath } from '../../datasets/parse-manifest.js';
import {
  inspectMediaFile,
  mapPool,
  mediaRefs,
  needsProbedDuration,
  prepareSample,
  type MediaFileInfo,
  type MediaProblem,
  type PreparedSample,
} from '../../datasets/prepare-dataset.js';
import { countLines, readLineBatches } from '../../datasets/read-line-batches.js';
import { EvalgateError } from '../errors.js';
import type { Database, Dataset } from './database.js';
import { ffprobeDurationS, findDataset, sampleRowOf, type ImportDatasetOptions } from './dataset-repo.js';

// `datasets import` of a manifest, in bounded memory: the manifest is read a
// batch of lines at a time, each line validated, each distinct media file
// hashed once, and each batch inserted (one INSERT per batch) inside one
// transaction, so a failed import leaves nothing behind. What the in-memory
// path (dataset-repo.ts importDataset) keeps per sample is kept elsewhere:
// duplicate ids are found by the samples table's unique key, and the Merkle
// root is computed from the stored digests read back in id order through a
// cursor. What grows with the input is only the cache of distinct media files.

/** Options of {@link importManifestStream}. */
export interface StreamImportOptions extends Omit<ImportDatasetOptions, 'onProgress'> {
  /** Lines validated and inserted per batch (default 1000: one INSERT stays far below PostgreSQL's 65535 parameters). */
  readonly batchSize?: number;
  /** Called after each batch with the lines done and the file's line count. */
  readonly onProgress?: (doneLines: number, totalLines: number) => void;
}

/** Media problems listed in the error; the rest are counted. */
const MAX_MEDIA_PROBLEMS = 10;

/**
 * Imports a manifest file as a dataset without holding it in memory; the
 * result (digests, Merkle root, rows) is what {@link importDataset} records
 * for the same file. Bad lines are EVALGATE_ERR_MANIFEST_INVALID through a
 * ManifestError naming the file and line, all of them at once up to
 * MAX_MANIFEST_PROBLEMS plus a count; an empty manifest is one too; media
 * problems are EVALGATE_ERR_PATH_ESCAPE or EVALGATE_ERR_MEDIA_NOT_FOUND as in
 * importDataset; a taken name is EVALGATE_ERR_CONFLICT.
 */
export async function importManifestStream(db: Kysely<Database>, manifestPath: string, opts: StreamImportOptions): Promise<Dataset> {
  if (await findDataset(db, opts.name)) {
    throw new EvalgateError('EVALGATE_ERR_CONFLICT', { detail: `a dataset named "${opts.name}" already exists` });
  }
  const path = resolve(manifestPath);
  const totalLines = opts.onProgress ? await countLines(path, opts.signal) : 0;
  try {
    return await db.transaction().execute((trx) => importInto(trx, path, totalLines, opts));
  } catch (err) {
    // Two imports of one name racing past the check above meet the unique constraint.
    if ((err as { code?: string }).code === '23505') {
      throw new EvalgateError('EVALGATE_ERR_CONFLICT', { detail: `a dataset named "${opts.name}" already exists` }, { cause: err });
    }
    throw err;
  }
}

async function importInto(trx: Transaction<Database>, path: string, totalLines: number, opts: StreamImportOptions): Promise<Dataset> {
  const root = dirname(path);
  const digestVersion = CURRENT_DIGEST_VERSION;
  const probe = opts.probeDurationS === null ? undefined : (opts.probeDurationS ?? ffprobeDurationS);
  const ds = await trx
    .insertInto('datasets')
    .values({
      name: opts.name,
      root_dir: root,
      manifest_path: path,
      // Known only once the whole file is read; set below, in the same transaction.
      manifest_digest: '',
      merkle_root: '',
      digest_version: digestVersion,
      sample_count: 0,
      sealed: opts.sealed ?? false,
      meta: JSON.stringify(opts.meta ?? {}),
    })
    .returningAll()
    .executeTakeFirstOrThrow();

  const checker = new ManifestLineChecker(path, false);
  const rowProblems = new RowProblems('line');
  // Duplicate ids found by the database, by the error that reports them (their first line is added at the end).
  const duplicates = new Map<ManifestError, string>();
  const media = new MediaCache(root, opts, probe);
  const mediaProblems: MediaProblem[] = [];
  let mediaProblemCount = 0;
  let escape: MediaProblem | undefined;
  const fileHash = createHash('sha256');
  let inserted = 0;
  let doneLines = 0;

  for await (const batch of readLineBatches(path, { batchLines: opts.batchSize ?? 1000, onBytes: (b) => fileHash.update(b), signal: opts.signal })) {
    const good: { sample: ManifestSample; line: number }[] = [];
    const bad: ManifestError[] = [];
    for (const { line, text } of batch) {
      try {
        good.push({ sample: checker.check(text, line), line });
      } catch (err) {
        if (!(err instanceof ManifestError)) throw err;
        bad.push(err);
      }
    }
    await media.load(good.map((g) => g.sample));
    const prepared: { p: PreparedSample; line: number }[] = [];
    for (const { sample, line } of good) {
      const one = prepareSample(sample, (p) => media.info(p), digestVersion, line);
      for (const m of one.problems) {
        mediaProblemCount++;
        if (mediaProblems.length < MAX_MEDIA_PROBLEMS) mediaProblems.push(m);
        if (m.problem === 'escape') escape ??= m;
      }
      prepared.push({ p: one.prepared, line });
    }
    // Rows are inserted even after a problem (the transaction is rolled back at the end anyway) so that duplicate ids,
    // which only the database sees, are reported with the rest; past the listing limit nothing more would be shown.
    if (rowProblems.count < RowProblems.limit) {
      const dup = await insertBatch(trx, ds.id, prepared);
      inserted += prepared.length - dup.length;
      for (const d of dup) {
        const e = new ManifestError(path, d.line, 'id', `duplicate id "${d.id}"`);
        duplicates.set(e, d.id);
        bad.push(e);
      }
    }
    for (const e of bad.sort((a, b) => a.line - b.line)) rowProblems.add(e);
    doneLines = batch.at(-1)?.line ?? doneLines;
    opts.onProgress?.(doneLines, Math.max(totalLines, doneLines));
  }

  if (duplicates.size > 0) {
    // Where each duplicate first appeared: one more pass over the file, on the failure path only.
    const firstLine = await firstLines(path, new Set(duplicates.values()), opts.signal);
    rowProblems.map((e) => {
      const id = duplicates.get(e);
      const first = id === undefined ? undefined : firstLine.get(id);
      return first === undefined ? e : new ManifestError(e.file, e.line, e.field, `${e.detail} (first on line ${first})`);
    });
  }
  rowProblems.throwIfAny();
  if (escape) {
    throw new EvalgateError('EVALGATE_ERR_PATH_ESCAPE', {
      path: `${escape.path} (sample ${escape.id}${escape.line ? `, line ${escape.line}` : ''}: ${escape.detail?.includes('--media-root') ? escape.detail.slice(escape.path.length + 1) : 'a symbolic link to a file outside its folder; pass --follow-symlinks to accept it'})`,
      root: linkBoundary(root, resolveManifestPath(root, escape.path)),
    });
  }
  if (mediaProblemCount > 0) {
    const shown = mediaProblems.map((p) => `sample ${p.id}${p.line ? ` (line ${p.line})` : ''}: ${p.path} ${p.problem} (${p.detail})`);
    const more = mediaProblemCount > shown.length ? `; and ${mediaProblemCount - shown.length} more` : '';
    throw new EvalgateError('EVALGATE_ERR_MEDIA_NOT_FOUND', { path: `${mediaProblemCount} media file(s) unusable: ${shown.join('; ')}${more}` });
  }
  if (inserted === 0) throw new ManifestError(path, 0, '(file)', 'no samples: the manifest is empty (an empty dataset is refused)');

  const merkle = await merkleFromStore(trx, ds.id);
  if (merkle.count !== inserted) throw new Error(`import: read back ${merkle.count} samples, inserted ${inserted}`);
  const cls = checker.scorerOptions();
  return trx
    .updateTable('datasets')
    .set({
      manifest_digest: fileHash.digest('hex'),
      merkle_root: merkle.root(),
      sample_count: inserted,
      meta: JSON.stringify(Object.keys(cls).length > 0 ? { ...(opts.meta ?? {}), scorer: { cls } } : (opts.meta ?? {})),
    })
    .where('id', '=', ds.id)
    .returningAll()
    .executeTakeFirstOrThrow();
}

/**
 * Inserts one batch; returns the rows the unique key (dataset, sample id)
 * turned away, i.e. duplicate ids, with their lines. `ON CONFLICT DO NOTHING`
 * rather than an error, because an error aborts the whole transaction and the
 * import goes on to report every bad line.
 */
async function insertBatch(
  trx: Transaction<Database>,
  datasetId: string,
  batch: readonly { p: PreparedSample; line: number }[],
): Promise<{ id: string; line: number }[]> {
  if (batch.length === 0) return [];
  // A duplicate inside one batch: only the first of them goes to the database, so which one is kept is the file's order.
  const seen = new Set<string>();
  const rows = [];
  const dups: { id: string; line: number }[] = [];
  for (const { p, line } of batch) {
    if (seen.has(p.sample.id)) {
      dups.push({ id: p.sample.id, line });
      continue;
    }
    seen.add(p.sample.id);
    rows.push(sampleRowOf(datasetId, p));
  }
  const stored = await trx
    .insertInto('samples')
    .values(rows)
    .onConflict((oc) => oc.constraint('samples_dataset_key_unique').doNothing())
    .returning('sample_key')
    .execute();
  if (stored.length !== rows.length) {
    const kept = new Set(stored.map((r) => r.sample_key));
    for (const { p, line } of batch) if (!kept.has(p.sample.id) && !dups.some((d) => d.line === line)) dups.push({ id: p.sample.id, line });
  }
  return dups.sort((a, b) => a.line - b.line);
}

/**
 * The Merkle root over the stored sample digests, read back through a cursor
 * in the order merkleRoot sorts leaves: `COLLATE "C"` compares the UTF-8
 * bytes of the ids (the databases are UTF-8), whatever the default collation.
 */
async function merkleFromStore(trx: Transaction<Database>, datasetId: string): Promise<MerkleBuilder> {
  // DECLARE takes no bind parameters; the id is the database's own uuid, checked to be one before it is spelled out.
  if (!/^[0-9a-f-]{36}$/i.test(datasetId)) throw new Error(`unexpected dataset id ${datasetId}`);
  const cursor = 'evalgate_merkle_leaves';
  await sql`declare ${sql.id(cursor)} no scroll cursor for
    select sample_key, sample_digest from samples where dataset_id = ${sql.lit(datasetId)} order by sample_key collate "C"`.execute(trx);
  const builder = new MerkleBuilder();
  // Small pages: through PGlite's socket server a FETCH of 5000 rows (~0.5 MB of reply) never answered (200k-row import,
  // the connection was then dropped as idle in transaction); 500 rows (~50 KB) does, at no measurable cost.
  const page = 500;
  for (;;) {
    const { rows } = await sql<{ sample_key: string; sample_digest: string }>`fetch forward ${sql.lit(page)} from ${sql.id(cursor)}`.execute(trx);
    for (const r of rows) builder.add(r.sample_key, r.sample_digest);
    if (rows.length < page) break;
  }
  await sql`close ${sql.id(cursor)}`.execute(trx);
  return builder;
}

/** The first line on which each of `ids` appears. */
async function firstLines(path: string, ids: ReadonlySet<string>, signal?: AbortSignal): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  for await (const batch of readLineBatches(path, { signal })) {
    for (const { line, text } of batch) {
      let id: unknown;
      try {
        id = (JSON.parse(text) as { id?: unknown }).id;
      } catch {
        continue;
      }
      if (typeof id === 'string' && ids.has(id) && !out.has(id)) out.set(id, line);
    }
    if (out.size === ids.size) break;
  }
  return out;
}

/**
 * What import learned about each distinct media path, loaded a batch at a
 * time with a few files hashed at once; a file is hashed once per real path
 * and probed only when a sample needs its duration.
 */
class MediaCache {
  readonly #info = new Map<string, MediaFileInfo>();
  readonly #probed = new Set<string>();
  readonly #hashByRealPath = new Map<string, Promise<string>>();

  constructor(
    readonly root: string,
    readonly opts: StreamImportOptions,
    readonly probe: StreamImportOptions['probeDurationS'],
  ) {}

  /** Resolves every media path of `samples` not seen before (and probes those that now need a duration). */
  async load(samples: readonly ManifestSample[]): Promise<void> {
    const todo = new Map<string, boolean>();
    for (const s of samples) {
      const wantsDuration = needsProbedDuration(s);
      for (const m of mediaRefs(s)) {
        const timed = wantsDuration && (m.path === s.audio || m.path === s.video) && !!this.probe;
        if (!this.#info.has(m.path) || (timed && !this.#probed.has(m.path))) todo.set(m.path, (todo.get(m.path) ?? false) || timed);
      }
    }
    await mapPool([...todo], this.opts.concurrency ?? 4, async ([p, timed]) => {
      const info = await inspectMediaFile(this.root, p, {
        followSymlinks: this.opts.followSymlinks,
        mediaRoots: this.opts.mediaRoots ?? [],
        probeDurationS: timed ? (this.probe ?? undefined) : undefined,
        hashByRealPath: this.#hashByRealPath,
        signal: this.opts.signal,
      });
      this.#info.set(p, info);
      if (timed) this.#probed.add(p);
    });
  }

  /** What was learned about a path (after {@link load}). */
  info(p: string): MediaFileInfo | undefined {
    return this.#info.get(p);
  }
}
