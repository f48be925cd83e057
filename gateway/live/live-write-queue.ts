import { sql, type Kysely, type RawBuilder } from 'kysely';
import type { Database } from '../store/database.js';

/** A session-level change; absent fields are left as they are. Later patches win field by field. */
export interface SessionPatch {
  /** New status. */
  status?: 'open' | 'disconnected' | 'closed' | 'failed';
  /** Bound dataset (null unbinds). */
  datasetId?: string | null;
  /** Session config as stored. */
  config?: Record<string, unknown>;
  /** Audio seconds received so far. */
  audioSeconds?: number;
  /** End time (null when a resumed session reopens). */
  endedAt?: Date | null;
}

/** An utterance row as first written (at commit / response start). */
export interface UtteranceInsert {
  /** utterances.id, made here so the outcome never waits for a `returning`. */
  readonly id: string;
  /** stream_sessions.id */
  readonly sessionId: string;
  /** 1-based order within the session. */
  readonly seq: number;
  /** Bound sample row, if any. */
  readonly sampleId: string | null;
  /** Seconds of audio in the utterance. */
  readonly audioSeconds: number;
  /** Stream offset of the speech start, s. */
  readonly speechStartS: number | null;
  /** Stream offset of the speech end, s. */
  readonly speechEndS: number | null;
  /** When it was committed (the row's created_at, not the flush time). */
  readonly createdAt: Date;
}

/** What an utterance ends with. */
export interface UtteranceFinish {
  /** Final state. */
  readonly status: 'ok' | 'failed' | 'cancelled';
  /** The model's final text. */
  readonly transcript: string | null;
  /** Error code and message when failed. */
  readonly error: { readonly code?: string; readonly message: string } | null;
  /** End of speech → first token, ms. */
  readonly latencyFirstTokenMs: number | null;
  /** End of speech → final output, ms. */
  readonly latencyFinalMs: number | null;
  /** Processing seconds ÷ audio seconds. */
  readonly realTimeFactor: number | null;
  /** Scores against the bound sample, if any. */
  readonly scores: Record<string, number> | null;
  /** When it finished. */
  readonly finishedAt: Date;
}

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
}

type Pending = { kind: 'insert'; row: UtteranceInsert; finish: UtteranceFinish | undefined } | { kind: 'update'; id: string; finish: UtteranceFinish };

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
 * (or has failed and been reported): sessions call it when they close, and
 * shutdown calls it before the sockets close.
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

  constructor(db: Kysely<Database>, opts: LiveWriteQueueOptions) {
    this.#db = db;
    this.#opts = opts;
    this.#maxRows = opts.maxRowsPerStatement ?? 500;
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
    if (!this.#full && this.pendingRows >= this.#opts.maxPendingRows) {
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
    this.#writing = this.#write(sessions, utterances).finally(() => {
      this.#writing = undefined;
      if (this.#full && this.pendingRows <= this.#opts.maxPendingRows / 2) {
        this.#full = false;
        this.#opts.onPressure?.(false);
      }
      // Work queued while this batch was written goes out next, at once.
      if (this.pendingRows > 0) this.#startBatch();
    });
  }

  async #write(sessions: Map<string, SessionPatch>, utterances: Pending[]): Promise<void> {
    const statements = this.#statements(sessions, utterances);
    try {
      await this.#db.transaction().execute(async (trx) => {
        for (const s of statements) await s.execute(trx);
      });
    } catch {
      // One bad row must not lose the others: write row by row, reporting each failure.
      for (const [id, patch] of sessions) await this.#tryEach([sessionUpdate([[id, patch]])]);
      for (const u of utterances) await this.#tryEach(this.#statements(new Map(), [u]));
    }
  }

  async #tryEach(statements: RawBuilder<unknown>[]): Promise<void> {
    for (const s of statements) {
      try {
        await s.execute(this.#db);
      } catch (err) {
        this.#opts.onError(err);
      }
    }
  }

  #statements(sessions: Map<string, SessionPatch>, utterances: Pending[]): RawBuilder<unknown>[] {
    const out: RawBuilder<unknown>[] = [];
    const patches = [...sessions];
    for (let i = 0; i < patches.length; i += this.#maxRows) out.push(sessionUpdate(patches.slice(i, i + this.#maxRows)));
    const inserts = utterances.filter((u): u is Extract<Pending, { kind: 'insert' }> => u.kind === 'insert');
    for (let i = 0; i < inserts.length; i += this.#maxRows) out.push(utteranceInsert(inserts.slice(i, i + this.#maxRows)));
    const updates = utterances.filter((u): u is Extract<Pending, { kind: 'update' }> => u.kind === 'update');
    for (let i = 0; i < updates.length; i += this.#maxRows) out.push(utteranceUpdate(updates.slice(i, i + this.#maxRows)));
    return out;
  }
}

const json = (v: unknown): string | null => (v === null || v === undefined ? null : JSON.stringify(v));

/** One UPDATE … FROM (VALUES …) for many sessions; a flag per field says whether the patch sets it. */
function sessionUpdate(patches: [string, SessionPatch][]): RawBuilder<unknown> {
  const rows = patches.map(([id, p]) => {
    const has = (k: keyof SessionPatch): boolean => k in p && p[k] !== undefined;
    return sql`(${id}::text, ${has('status')}::boolean, ${p.status ?? null}::text, ${'datasetId' in p}::boolean, ${p.datasetId ?? null}::text, ${has('config')}::boolean, ${json(p.config)}::jsonb, ${has('audioSeconds')}::boolean, ${p.audioSeconds ?? null}::double precision, ${'endedAt' in p}::boolean, ${p.endedAt ?? null}::timestamptz)`;
  });
  return sql`update stream_sessions as s set
    status = case when v.set_status then v.status else s.status end,
    dataset_id = case when v.set_dataset then v.dataset_id else s.dataset_id end,
    config = case when v.set_config then v.config else s.config end,
    audio_seconds = case when v.set_audio then v.audio_seconds else s.audio_seconds end,
    ended_at = case when v.set_ended then v.ended_at else s.ended_at end
    from (values ${sql.join(rows)}) as v(id, set_status, status, set_dataset, dataset_id, set_config, config, set_audio, audio_seconds, set_ended, ended_at)
    where s.id = v.id`;
}

function utteranceInsert(items: { row: UtteranceInsert; finish: UtteranceFinish | undefined }[]): RawBuilder<unknown> {
  const rows = items.map(({ row: r, finish: f }) =>
    sql`(${r.id}, ${r.sessionId}, ${r.seq}::integer, ${r.sampleId}, ${f?.status ?? 'open'}, ${f?.transcript ?? null}, ${json(f?.error)}::jsonb, ${r.audioSeconds}::double precision, ${r.speechStartS}::double precision, ${r.speechEndS}::double precision, ${f?.latencyFirstTokenMs ?? null}::double precision, ${f?.latencyFinalMs ?? null}::double precision, ${f?.realTimeFactor ?? null}::double precision, ${json(f?.scores)}::jsonb, ${r.createdAt}::timestamptz, ${f?.finishedAt ?? null}::timestamptz)`,
  );
  return sql`insert into utterances (id, session_id, seq, sample_id, status, transcript, error, audio_seconds, speech_start_s, speech_end_s, latency_first_token_ms, latency_final_ms, real_time_factor, scores, created_at, finished_at)
    values ${sql.join(rows)}`;
}

function utteranceUpdate(items: { id: string; finish: UtteranceFinish }[]): RawBuilder<unknown> {
  const rows = items.map(({ id, finish: f }) =>
    sql`(${id}::text, ${f.status}::text, ${f.transcript}::text, ${json(f.error)}::jsonb, ${f.latencyFirstTokenMs}::double precision, ${f.latencyFinalMs}::double precision, ${f.realTimeFactor}::double precision, ${json(f.scores)}::jsonb, ${f.finishedAt}::timestamptz)`,
  );
  return sql`update utterances as u set
    status = v.status, transcript = v.transcript, error = v.error, latency_first_token_ms = v.first_ms,
    latency_final_ms = v.final_ms, real_time_factor = v.rtf, scores = v.scores, finished_at = v.finished_at
    from (values ${sql.join(rows)}) as v(id, status, transcript, error, first_ms, final_ms, rtf, scores, finished_at)
    where u.id = v.id`;
}
