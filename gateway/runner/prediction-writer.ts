import type { Kysely } from 'kysely';
import type { Database } from '../store/database.js';
import { savePredictions, type PredictionWrite } from './run-repo.js';

interface Pending {
  readonly write: PredictionWrite;
  readonly resolve: (written: boolean) => void;
  readonly reject: (err: unknown) => void;
}

/**
 * Group commit for predictions. Each `write` resolves only once its row is
 * committed, so a sample counts as done exactly when it is durable (a kill
 * before that leaves it pending, and resume requests it again). While one
 * batch is being written, new writes gather and go out together in the next
 * statement: at high concurrency one round trip carries dozens of rows,
 * instead of each sample paying its own.
 *
 * Queue policy: unbounded here, but bounded in practice by the callers, who
 * each wait for their own write (the runner has at most 2 × concurrency of
 * them); `maxBatch` caps one statement's size.
 */
export class PredictionWriter {
  readonly #db: Kysely<Database>;
  readonly #maxBatch: number;
  #queue: Pending[] = [];
  #flushing = false;

  constructor(db: Kysely<Database>, opts: { maxBatch?: number } = {}) {
    this.#db = db;
    this.#maxBatch = opts.maxBatch ?? 200;
  }

  /** Stores one prediction; resolves with whether this write stored it (false: an `ok` row was already there). */
  write(p: PredictionWrite): Promise<boolean> {
    return new Promise((resolve, reject) => {
      this.#queue.push({ write: p, resolve, reject });
      if (!this.#flushing) void this.#flush();
    });
  }

  async #flush(): Promise<void> {
    this.#flushing = true;
    try {
      while (this.#queue.length > 0) {
        const batch = this.#takeBatch();
        try {
          const written = await savePredictions(
            this.#db,
            batch.map((b) => b.write),
          );
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
