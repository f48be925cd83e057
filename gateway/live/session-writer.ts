import type { Kysely } from 'kysely';
import type { ModelConfig } from '../config/config-schema.js';
import type { Database } from '../store/database.js';

/** What is written when an utterance finishes. */
export interface UtteranceOutcome {
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
}

/** Where an utterance sits in the stream. */
export interface UtteranceStart {
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
}

/**
 * Writes one session's rows as things happen, strictly in order: every write
 * is chained on the previous one, so an utterance's update never overtakes its
 * insert. A failed write is reported and the chain goes on; the session is
 * never blocked on the database. `flush()` waits for everything queued.
 */
export class SessionWriter {
  readonly #db: Kysely<Database>;
  readonly #onError: (err: unknown) => void;
  #chain: Promise<void> = Promise.resolve();
  #sessionId: string | undefined;
  readonly #utteranceIds = new Map<number, Promise<string | undefined>>();

  constructor(db: Kysely<Database>, onError: (err: unknown) => void) {
    this.#db = db;
    this.#onError = onError;
  }

  /** Inserts the session row (upserting the model first) and resolves with its id. */
  async open(opts: {
    model: ModelConfig;
    apiKeyId: string | null;
    protocol: 'realtime' | 'native';
    config: Record<string, unknown>;
  }): Promise<string> {
    const { model } = opts;
    await this.#db
      .insertInto('models')
      .values({ id: model.id, adapter: model.adapter, kind: model.kind, model: model.model ?? null, base_url: model.baseUrl ?? null })
      .onConflict((oc) =>
        oc.column('id').doUpdateSet({ adapter: model.adapter, kind: model.kind, model: model.model ?? null, base_url: model.baseUrl ?? null }),
      )
      .execute();
    const row = await this.#db
      .insertInto('stream_sessions')
      .values({ model_id: model.id, api_key_id: opts.apiKeyId, protocol: opts.protocol, config: JSON.stringify(opts.config) })
      .returning('id')
      .executeTakeFirstOrThrow();
    this.#sessionId = row.id;
    return row.id;
  }

  /** Adopts an existing session row (resume). */
  adopt(sessionId: string): void {
    this.#sessionId = sessionId;
  }

  #enqueue(task: () => Promise<void>): void {
    this.#chain = this.#chain.then(task).catch((err: unknown) => this.#onError(err));
  }

  /** Records a session-level change (status, dataset, config, audio seconds). */
  updateSession(patch: {
    status?: 'open' | 'disconnected' | 'closed' | 'failed';
    datasetId?: string | null;
    config?: Record<string, unknown>;
    audioSeconds?: number;
    ended?: boolean;
  }): void {
    this.#enqueue(async () => {
      if (!this.#sessionId) return;
      await this.#db
        .updateTable('stream_sessions')
        .set({
          ...(patch.status ? { status: patch.status } : {}),
          ...(patch.datasetId !== undefined ? { dataset_id: patch.datasetId } : {}),
          ...(patch.config ? { config: JSON.stringify(patch.config) } : {}),
          ...(patch.audioSeconds !== undefined ? { audio_seconds: patch.audioSeconds } : {}),
          ...(patch.ended ? { ended_at: new Date() } : patch.status === 'open' ? { ended_at: null } : {}),
        })
        .where('id', '=', this.#sessionId)
        .execute();
    });
  }

  /** Inserts an `open` utterance row when it is committed. */
  startUtterance(u: UtteranceStart): void {
    let resolveId!: (id: string | undefined) => void;
    this.#utteranceIds.set(u.seq, new Promise((r) => (resolveId = r)));
    this.#enqueue(async () => {
      if (!this.#sessionId) return resolveId(undefined);
      try {
        const row = await this.#db
          .insertInto('utterances')
          .values({
            session_id: this.#sessionId,
            seq: u.seq,
            sample_id: u.sampleId,
            audio_seconds: u.audioSeconds,
            speech_start_s: u.speechStartS,
            speech_end_s: u.speechEndS,
          })
          .returning('id')
          .executeTakeFirstOrThrow();
        resolveId(row.id);
      } catch (err) {
        resolveId(undefined);
        throw err;
      }
    });
  }

  /** Records the outcome of an utterance. */
  finishUtterance(seq: number, o: UtteranceOutcome): void {
    this.#enqueue(async () => {
      const id = await this.#utteranceIds.get(seq);
      this.#utteranceIds.delete(seq);
      if (!id) return;
      await this.#db
        .updateTable('utterances')
        .set({
          status: o.status,
          transcript: o.transcript,
          error: o.error ? JSON.stringify(o.error) : null,
          latency_first_token_ms: o.latencyFirstTokenMs,
          latency_final_ms: o.latencyFinalMs,
          real_time_factor: o.realTimeFactor,
          scores: o.scores ? JSON.stringify(o.scores) : null,
          finished_at: new Date(),
        })
        .where('id', '=', id)
        .execute();
    });
  }

  /** Resolves once every queued write has been attempted. */
  async flush(): Promise<void> {
    let last: Promise<void>;
    do {
      last = this.#chain;
      await last;
    } while (last !== this.#chain);
  }
}
