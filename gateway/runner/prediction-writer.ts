import type { Kysely } from 'kysely';
import type { Database } from '../store/database.js';
import { isDatabaseUnavailable } from '../store/is-database-unavailable.js';
import type { DbOutageGuard } from './db-outage-guard.js';
import { savePredictions, type PredictionWrite } from '../store/prediction-repo.js';
import type { RunSpill } from './run-spill.js';

interface Pending {
  readonly write: PredictionWrite;
  readonly resolve: (written: boolean) => void;
  readonly reject: (err: unknown) => void;
  spilled: boolean;
}

/** Options of a {@link PredictionWriter}. */
export interface PredictionWriterOptions {
  /** Rows per statement (default 200). */
  readonly maxBatch?: number;
  /** Waits out database outages (without it an outage rejects the writes at once). */
  readonly guard?: DbOutageGuard;
  /** Where writes go while the database is away, so a kill -9 does not lose them. */
  readonly spill?: RunSpill;
  /** Reports a spill that could not be written (the write itself still waits for the database). */
  readonly onSpillError?: (err: unknown) => void;
}

/**
 * Group commit for predictions. Each `write` resolves only once its row is
 * committed, so a sample counts as done exactly when it is durable (a kill
 * before that leaves it pending, and resume requests it again). While one
 * batch is being written, new writes gather and go out together in the next
 * statement: at high concurrency one round trip carries dozens of rows,
 * instead of each sample paying its own.
 *
 * Database outages (issue 13 #10): with a guard, a batch that fails because
 * the database is unreachable is retried until the guard's bound; meanwhile
 * that batch and every write queued during the outage are appended to the
 * run's spill file (fsync'd), so the answers survive a kill -9 too and are
 * written on resume. When the guard gives up, the waiting writes reject with
 * its EVALGATE_ERR_DB_UNAVAILABLE; their answers stay in the spill file.
 *
 * Queue policy: unbounded here, but bounded in practice by the callers, who
 * each wait for their own write (the runner has at most 2 × concurrency of
 * them); `maxBatch` caps one statement's size.
 */
export class PredictionWriter {
  readonly #db: Kysely<Database>;
  readonly #maxBatch: number;
  readonly #o: PredictionWriterOptions;
  #queue: Pending[] = [];
  #flushing = false;

  constructor(db: Kysely<Database>, opts: PredictionWriterOptions = {}) {
    this.#db = db;
    this.#maxBatch = opts.maxBatch ?? 200;
    this.#o = opts;
  }

  /** Stores one prediction; resolves with whether this write stored it (false: an `ok` row was already there). */
  write(p: PredictionWrite): Promise<boolean> {
    return new Promise((resolve, reject) => {
      const pending: Pending = { write: p, resolve, reject, spilled: false };
      this.#queue.push(pending);
      if (this.#o.guard?.inOutage) void this.#spill([pending]);
      if (!this.#flushing) void this.#flush();
    });
  }

  async #spill(items: readonly Pending[]): Promise<void> {
    const spill = this.#o.spill;
    const todo = items.filter((i) => !i.spilled);
    if (!spill || todo.length === 0) return;
    for (const i of todo) i.spilled = true;
    try {
      await spill.append(todo.map((i) => ({ type: 'prediction' as const, write: i.write })));
    } catch (err) {
      this.#o.onSpillError?.(err);
    }
  }

  async #save(batch: readonly Pending[]): Promise<Set<string>> {
    try {
      return await savePredictions(
        this.#db,
        batch.map((b) => b.write),
      );
    } catch (err) {
      // Keep what the model already answered on local disk before waiting for the database.
      if (isDatabaseUnavailable(err)) await this.#spill([...batch, ...this.#queue]);
      throw err;
    }
  }

  async #flush(): Promise<void> {
    this.#flushing = true;
    try {
      while (this.#queue.length > 0) {
        const batch = this.#takeBatch();
        try {
          const guard = this.#o.guard;
          const written = guard ? await guard.run(() => this.#save(batch)) : await this.#save(batch);
          for (const b of batch) b.resolve(written.has(`${b.write.runId}:${b.write.sampleId}`));
        } catch (err) {
          for (const b of batch) b.reject(err);
        }
      }
    } finally {
      this.#flushing = false;
    }
  }

  // One (run, sample) pair per statement: a later duplicate waits for the next batch.
  #takeBatch(): Pending[] {
    const seen = new Set<string>();
    const batch: Pending[] = [];
    const rest: Pending[] = [];
    for (const p of this.#queue) {
      const key = `${p.write.runId}:${p.write.sampleId}`;
      if (batch.length < this.#maxBatch && !seen.has(key)) {
        seen.add(key);
        batch.push(p);
      } else {
        rest.push(p);
      }
    }
    this.#queue = rest;
    return batch;
  }
}
