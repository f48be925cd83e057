import type { Kysely } from 'kysely';
import type { Database } from '../store/database.js';
import { writeLiveBatch, type SessionPatch, type UtteranceFinish, type UtteranceInsert } from '../store/live-write-repo.js';
import { isDatabaseUnavailable } from '../store/is-database-unavailable.js';
import type { LiveJournal } from './live-journal.js';

export type { SessionPatch, UtteranceFinish, UtteranceInsert } from '../store/live-write-repo.js';

/** Options of the queue. */
export interface LiveWriteQueueOptions {
  /** Rows waiting to be written before `onPressure(true)` (readers pause; nothing is dropped). */
  readonly maxPendingRows: number;
  /** Rows per multi-row statement (keeps every statement under PostgreSQL's parameter limit). */
  readonly maxRowsPerStatement?: number;
  /** A write that failed (after the per-row retry). */
  readonly onError: (err: unknown) => void;
  /** Called with true when the queue is full and with false once it has drained to half. */
  readonly onPressure?: (full: boolean) => void;
  /**
   * Where batches go while the database is unavailable (fsync'd), to be
   * replayed in order once it answers. Without one they wait in memory only.
   */
  readonly journal?: LiveJournal;
  /** Rows waiting in the journal, after every change (the backlog gauge). */
  readonly onBacklog?: (rows: number) => void;
  /** First and longest wait between replay attempts while the database is away, ms. */
  readonly retryDelayMs?: { readonly min: number; readonly max: number };
}

type Pending = { kind: 'insert'; row: UtteranceInsert; finish: UtteranceFinish | undefined } | { kind: 'update'; id: string; finish: UtteranceFinish };

/** One batch as written to the journal and replayed from it. */
interface Batch {
  readonly sessions: [string, SessionPatch][];
  readonly utterances: Pending[];
}

const rowsOf = (b: Batch): number => b.sessions.length + b.utterances.length;

/**
 * Write-behind persistence for every live session of a process. Sessions call
 * it synchronously and never wait; each batch of work queued while the
 * previous batch was being written goes out as one transaction holding one
 * multi-row statement per kind (session updates, utterance inserts, utterance
 * updates). That takes the database off the path from the model's output to
 * the client, and turns PGlite's per-statement WASM and file-system work
 * (which runs on the event loop) into one commit per batch.
 *
 * Order: batches are written one at a time, and inside a batch the session
 * updates come first, then the inserts, then the updates; an utterance that
 * starts and finishes inside one batch is inserted with its outcome.
 *
 * Bound and policy when full: above `maxPendingRows` rows the queue calls
 * `onPressure(true)` and the gateway stops reading from its clients (wait)
 * until it has drained to half; nothing is dropped. What is already accepted
 * (responses in flight) can still add rows, at most a few per session.
 *
 * `flush()` resolves once everything queued before the call has been written
 * (or journaled, or has failed and been reported): sessions call it when they
 * close, and shutdown calls it before the sockets close.
 *
 * Outages: a batch the database cannot take because it is unavailable (see
 * isDatabaseUnavailable) is appended to the journal (fsync'd), and so is every
 * later batch until the journal is empty again, so the database sees the
 * writes in the order they were made. A replay loop retries the oldest
 * journaled batch with bounded backoff and writes them in order once the
 * database answers. Replays are idempotent: an utterance row is inserted at
 * most once per (session, seq) (a batch whose commit was cut off may have
 * landed), and updates set the same values again. Journaled rows count
 * toward `maxPendingRows`, so a long outage ends in the same wait policy.
 */
export class LiveWriteQueue {
  readonly #db: Kysely<Database>;
  readonly #opts: LiveWriteQueueOptions;
  readonly #maxRows: number;
  #sessions = new Map<string, SessionPatch>();
  #utterances = new Map<string, Pending>();
  #writing: Promise<void> | undefined;
  #scheduled = false;
  #full = false;
  /** Journaled batches not yet in the database, oldest first. */
  readonly #backlog: Batch[] = [];
  #backlogRows = 0;
  #replaying: Promise<void> | undefined;
  readonly #stop = new AbortController();

  constructor(db: Kysely<Database>, opts: LiveWriteQueueOptions) {
    this.#db = db;
    this.#opts = opts;
    this.#maxRows = opts.maxRowsPerStatement ?? 500;
  }

  /** Rows journaled during an outage and not yet written to the database. */
  get backlogRows(): number {
    return this.#backlogRows;
  }

  /**
   * Takes over journals left by stopped processes (kill -9 during an outage)
   * and replays them. Called once at start; resolves when they are queued for
   * replay (not when replayed). Journals of other hosts are left alone and
   * reported to `onForeign` (see {@link LiveJournal.claimOrphans}).
   */
  async recoverOrphans(onBadLine?: (file: string, err: unknown) => void, onForeign?: (file: string, host: string) => void): Promise<number> {
    if (!this.#opts.journal) return 0;
    const records = await this.#opts.journal.claimOrphans(onBadLine, onForeign);
    // The orphans' records are in this process's journal now (claimOrphans copied them).
    for (const r of records) this.#pushBacklog(reviveBatch(r));
    return records.length;
  }

  /**
   * Stops replaying (shutdown), after waiting up to `drainMs` for the backlog.
   * The journal keeps what the database has not taken, for the next start; an
   * empty journal is removed.
   */
  async close(drainMs = 0): Promise<void> {
    await this.flush();
    // A database that came back gets a bounded chance to take the backlog before we stop.
    if (this.#replaying && drainMs > 0) await Promise.race([this.#replaying, sleep(drainMs, this.#stop.signal)]);
    this.#stop.abort();
    await this.#replaying;
    await this.#opts.journal?.close(this.#backlog.length > 0);
  }

  /** Rows queued and not yet handed to the database. */
  get pendingRows(): number {
    return this.#sessions.size + this.#utterances.size;
  }

  /** Queues a session change (merged with any change still queued for it). */
  updateSession(sessionId: string, patch: SessionPatch): void {
    const prev = this.#sessions.get(sessionId);
    this.#sessions.set(sessionId, prev ? { ...prev, ...patch } : { ...patch });
    this.#queued();
  }

  /** Queues a new utterance row. */
  insertUtterance(row: UtteranceInsert): void {
    this.#utterances.set(row.id, { kind: 'insert', row, finish: undefined });
    this.#queued();
  }

  /** Queues an utterance's outcome (folded into its insert when that is still queued). */
  finishUtterance(id: string, finish: UtteranceFinish): void {
    const p = this.#utterances.get(id);
    if (p?.kind === 'insert') p.finish = finish;
    else this.#utterances.set(id, { kind: 'update', id, finish });
    this.#queued();
  }

  /** Resolves once everything queued before the call has been attempted. */
  async flush(): Promise<void> {
    while (this.#writing || this.pendingRows > 0) {
      if (!this.#writing) this.#startBatch();
      await this.#writing;
    }
  }

  #queued(): void {
    if (!this.#full && this.pendingRows + this.#backlogRows >= this.#opts.maxPendingRows) {
      this.#full = true;
      this.#opts.onPressure?.(true);
    }
    if (this.#writing || this.#scheduled) return;
    // setImmediate: everything queued in this turn of the event loop goes in one batch.
    this.#scheduled = true;
    setImmediate(() => {
      this.#scheduled = false;
      if (!this.#writing) this.#startBatch();
    });
  }

  #startBatch(): void {
    if (this.pendingRows === 0) return;
    const sessions = this.#sessions;
    const utterances = [...this.#utterances.values()];
    this.#sessions = new Map();
    this.#utterances = new Map();
    this.#writing = this.#write({ sessions: [...sessions], utterances }).finally(() => {
      this.#writing = undefined;
      this.#releasePressure();
      // Work queued while this batch was written goes out next, at once.
      if (this.pendingRows > 0) this.#startBatch();
    });
  }

  #releasePressure(): void {
    if (this.#full && this.pendingRows + this.#backlogRows <= this.#opts.maxPendingRows / 2) {
      this.#full = false;
      this.#opts.onPressure?.(false);
    }
  }

  async #write(batch: Batch): Promise<void> {
    // Behind a backlog, a batch waits its turn in the journal: the database sees writes in order.
    if (this.#backlog.length > 0) return this.#journal(batch);
    const rest = await this.#tryWrite(batch);
    if (rest) await this.#journal(rest);
  }

  /**
   * Writes a batch in one transaction, or row by row when the database refuses
   * one (one bad row must not lose the others; each failure is reported).
   * Returns what is left when the database turns out to be unavailable.
   */
  async #tryWrite(batch: Batch): Promise<Batch | undefined> {
    try {
      await this.#transaction(batch);
      return undefined;
    } catch (err) {
      if (isDatabaseUnavailable(err)) return batch;
    }
    const singles: Batch[] = [
      ...batch.sessions.map((s) => ({ sessions: [s], utterances: [] })),
      ...batch.utterances.map((u) => ({ sessions: [], utterances: [u] })),
    ];
    for (let i = 0; i < singles.length; i++) {
      try {
        await writeLiveBatch(this.#db, singles[i]!, { maxRowsPerStatement: this.#maxRows, transaction: false });
      } catch (err) {
        if (isDatabaseUnavailable(err)) return mergeBatches(singles.slice(i));
        this.#opts.onError(err);
      }
    }
    return undefined;
  }

  async #transaction(batch: Batch): Promise<void> {
    await writeLiveBatch(this.#db, batch, { maxRowsPerStatement: this.#maxRows, transaction: true });
  }

  /** Appends a batch to the journal (durable before this resolves) and makes sure the replay runs. */
  async #journal(batch: Batch): Promise<void> {
    this.#pushBacklog(batch);
    try {
      await this.#opts.journal?.append(batch);
    } catch (err) {
      // Still replayed from memory while this process lives; only a crash now would lose it.
      this.#opts.onError(err);
    }
  }

  #pushBacklog(batch: Batch): void {
    this.#backlog.push(batch);
    this.#backlogRows += rowsOf(batch);
    this.#opts.onBacklog?.(this.#backlogRows);
    this.#ensureReplay();
  }

  /**
   * Runs the replay loop unless it runs already. A batch pushed while the
   * loop was finishing (awaiting the journal's truncate) would otherwise wait
   * for the next batch: the loop starts again whenever it ends with work left.
   */
  #ensureReplay(): void {
    this.#replaying ??= this.#replay().finally(() => {
      this.#replaying = undefined;
      if (this.#backlog.length > 0 && !this.#stop.signal.aborted) this.#ensureReplay();
    });
  }

  /** Writes the journaled batches in order, waiting (bounded backoff) while the database is away. */
  async #replay(): Promise<void> {
    const { min, max } = this.#opts.retryDelayMs ?? { min: 200, max: 2_000 };
    let delayMs = min;
    while (this.#backlog.length > 0 && !this.#stop.signal.aborted) {
      const batch = this.#backlog[0]!;
      const rest = await this.#tryWrite(batch);
      if (rest) {
        // Rows before `rest` are in; keep only the rest (replaying them again would be harmless too).
        this.#backlog[0] = rest;
        this.#backlogRows -= rowsOf(batch) - rowsOf(rest);
        this.#opts.onBacklog?.(this.#backlogRows);
        await sleep(delayMs, this.#stop.signal);
        delayMs = Math.min(delayMs * 2, max);
        continue;
      }
      delayMs = min;
      this.#backlog.shift();
      this.#backlogRows -= rowsOf(batch);
      this.#opts.onBacklog?.(this.#backlogRows);
      this.#releasePressure();
    }
    // Checked and truncated in one step: an append queued later lands after the truncate.
    if (this.#backlog.length === 0) await this.#opts.journal?.truncate().catch((err: unknown) => this.#opts.onError(err));
  }
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const t = setTimeout(done, ms);
    function done(): void {
      clearTimeout(t);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}

/** Single-row batches back into one, in order (an insert and its later update stay in order). */
function mergeBatches(batches: Batch[]): Batch {
  return { sessions: batches.flatMap((b) => b.sessions), utterances: batches.flatMap((b) => b.utterances) };
}

const toDate = (v: unknown): Date | null => (v === null || v === undefined ? null : new Date(v as string));

/** A batch read back from the journal: its dates were written as ISO strings. */
function reviveBatch(raw: unknown): Batch {
  const b = raw as Batch;
  return {
    sessions: b.sessions.map(([id, p]) => [id, 'endedAt' in p ? { ...p, endedAt: toDate(p.endedAt) } : p]),
    utterances: b.utterances.map((u) => {
      const finish = u.finish ? { ...u.finish, finishedAt: toDate(u.finish.finishedAt)! } : undefined;
      return u.kind === 'insert'
        ? { kind: 'insert', row: { ...u.row, createdAt: toDate(u.row.createdAt)! }, finish }
        : { kind: 'update', id: u.id, finish: finish! };
    }),
  };
}
