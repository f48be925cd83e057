import { mkdir, open, readdir, readFile, rm, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import type { Kysely } from 'kysely';
import type { Database } from '../store/database.js';
import { savePredictions, type PredictionWrite } from '../store/prediction-repo.js';

// The spill file keeps a run's received answers on local disk while the
// database is away (issue 13 #10), so that neither an outage longer than the
// bound nor a kill -9 during one loses an answer the model already gave.
// One JSON line per record, fsync'd before the write is considered spilled.
// Replaying is idempotent: predictions are upserts that never replace `ok`.

type Db = Kysely<Database>;

/** One line of a spill file. */
export type SpillRecord =
  | { readonly type: 'prediction'; readonly write: PredictionWrite }
  /** The run gave up on the database and could not even store that it failed. */
  | { readonly type: 'run-failed'; readonly error: string; readonly at: string };

/** Folder of the spill files for a configuration's cache folder: `<cacheDir>/spill`. */
export function spillDirOf(cacheDir: string): string {
  return join(cacheDir, 'spill');
}

/** Path of a run's spill file. */
export function spillPathOf(spillDir: string, runId: string): string {
  return join(spillDir, `${runId}.jsonl`);
}

/** The runs that have a spill file in `spillDir` (none when the folder is absent). */
export async function spilledRunIds(spillDir: string): Promise<string[]> {
  const names = await readdir(spillDir).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return [] as string[];
    throw err;
  });
  return names.filter((n) => n.endsWith('.jsonl')).map((n) => n.slice(0, -'.jsonl'.length));
}

/**
 * Appends records to one run's spill file. Appends are serialised, and each
 * resolves only after `fdatasync`: a record that resolved survives kill -9
 * and a power cut.
 */
export class RunSpill {
  readonly #path: string;
  readonly #dir: string;
  #file: Promise<FileHandle> | undefined;
  #chain: Promise<void> = Promise.resolve();
  #records = 0;

  constructor(spillDir: string, runId: string) {
    this.#dir = spillDir;
    this.#path = spillPathOf(spillDir, runId);
  }

  /** The file's path. */
  get path(): string {
    return this.#path;
  }

  /** Records appended by this instance. */
  get records(): number {
    return this.#records;
  }

  /** Appends records durably. */
  append(records: readonly SpillRecord[]): Promise<void> {
    if (records.length === 0) return this.#chain;
    const text = records.map((r) => JSON.stringify(r)).join('\n') + '\n';
    const next = this.#chain.then(async () => {
      this.#file ??= mkdir(this.#dir, { recursive: true }).then(() => open(this.#path, 'a'));
      const fh = await this.#file;
      await fh.appendFile(text);
      await fh.datasync();
      this.#records += records.length;
    });
    this.#chain = next.catch(() => undefined);
    return next;
  }

  /** Closes the file; removes it when `remove` (everything in it is in the database). */
  async close(remove: boolean): Promise<void> {
    await this.#chain;
    const fh = await this.#file?.catch(() => undefined);
    this.#file = undefined;
    await fh?.close().catch(() => undefined);
    if (remove) await rm(this.#path, { force: true });
  }
}

/** The records of a spill file (a torn last line, from a kill mid-append, is ignored); [] when there is none. */
export async function readSpill(spillDir: string, runId: string): Promise<SpillRecord[]> {
  let text: string;
  try {
    text = await readFile(spillPathOf(spillDir, runId), 'utf8');
  } catch (err) {
    if ((err as { code?: string }).code === 'ENOENT') return [];
    throw err;
  }
  const out: SpillRecord[] = [];
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    try {
      out.push(JSON.parse(line) as SpillRecord);
    } catch {
      // torn write
    }
  }
  return out;
}

/** What replaying a spill file did. */
export interface SpillReplay {
  /** The spill file, when there was one. */
  readonly path?: string;
  /** Predictions read from it (one per sample, an `ok` one preferred). */
  readonly predictions: number;
  /** Predictions this replay wrote (the others were already stored). */
  readonly written: number;
  /** The error of a `run-failed` record, if any. */
  readonly runFailed?: string;
}

/**
 * Writes a run's spilled predictions to the database and removes the file.
 * Call it before listing a run's pending samples (resume, reap): the answers
 * in it then count as done and the model is not asked again.
 */
export async function replaySpill(db: Db, spillDir: string, runId: string): Promise<SpillReplay> {
  const records = await readSpill(spillDir, runId);
  if (records.length === 0) return { predictions: 0, written: 0 };
  const bySample = new Map<string, PredictionWrite>();
  let runFailed: string | undefined;
  for (const r of records) {
    if (r.type === 'run-failed') runFailed = r.error;
    else if (r.type === 'prediction' && r.write.runId === runId) {
      const had = bySample.get(r.write.sampleId);
      if (!had || had.status !== 'ok' || r.write.status === 'ok') bySample.set(r.write.sampleId, r.write);
    }
  }
  const writes = [...bySample.values()];
  let written = 0;
  for (let i = 0; i < writes.length; i += 200) written += (await savePredictions(db, writes.slice(i, i + 200))).size;
  const path = spillPathOf(spillDir, runId);
  await rm(path, { force: true });
  return { path, predictions: writes.length, written, ...(runFailed ? { runFailed } : {}) };
}
