import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { ModelConfig } from '../config/config-schema.js';
import type { Database } from '../store/database.js';
import { openStreamSession } from '../store/stream-session-repo.js';
import type { LiveWriteQueue, SessionPatch, UtteranceFinish } from './live-write-queue.js';

/** What is written when an utterance finishes. */
/** How an utterance ended; the write queue adds the time it finished. */
export type UtteranceOutcome = Omit<UtteranceFinish, 'finishedAt'>;

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
 * One session's view of the process-wide write-behind queue: the session
 * row is inserted (awaited) when the session opens; everything after that is
 * queued and never awaited on the way to the client. Order per session holds
 * because the queue writes batches one at a time, session updates before
 * utterance inserts before utterance updates. `flush()` waits until what was
 * queued so far is written (or has failed and been reported).
 */
export class SessionWriter {
  readonly #db: Kysely<Database>;
  readonly #queue: LiveWriteQueue;
  #sessionId: string | undefined;
  readonly #utteranceIds = new Map<number, string>();
  /** Config keys fixed when the session opened (its ASR expert), kept through every config update. */
  #fixedConfig: Record<string, unknown> = {};

  constructor(db: Kysely<Database>, queue: LiveWriteQueue) {
    this.#db = db;
    this.#queue = queue;
  }

  /** Inserts the session row (upserting the model first) and resolves with its id; `fixedConfig` joins every stored config. */
  async open(opts: {
    model: ModelConfig;
    apiKeyId: string | null;
    protocol: 'realtime' | 'native';
    config: Record<string, unknown>;
    fixedConfig?: Record<string, unknown>;
  }): Promise<string> {
    this.#fixedConfig = opts.fixedConfig ?? {};
    const id = await openStreamSession(this.#db, {
      model: opts.model,
      apiKeyId: opts.apiKeyId,
      protocol: opts.protocol,
      config: { ...opts.config, ...this.#fixedConfig },
    });
    this.#sessionId = id;
    return id;
  }

  /** Adopts an existing session row (resume). */
  adopt(sessionId: string): void {
    this.#sessionId = sessionId;
  }

  /** Records a session-level change (status, dataset, config, audio seconds). */
  updateSession(patch: {
    status?: 'open' | 'disconnected' | 'closed' | 'failed';
    datasetId?: string | null;
    config?: Record<string, unknown>;
    audioSeconds?: number;
    ended?: boolean;
  }): void {
    if (!this.#sessionId) return;
    const p: SessionPatch = {};
    if (patch.status) p.status = patch.status;
    if (patch.datasetId !== undefined) p.datasetId = patch.datasetId;
    if (patch.config) p.config = { ...patch.config, ...this.#fixedConfig };
    if (patch.audioSeconds !== undefined) p.audioSeconds = patch.audioSeconds;
    if (patch.ended) p.endedAt = new Date();
    else if (patch.status === 'open') p.endedAt = null;
    this.#queue.updateSession(this.#sessionId, p);
  }

  /** Queues an `open` utterance row when it is committed. */
  startUtterance(u: UtteranceStart): void {
    if (!this.#sessionId) return;
    const id = randomUUID();
    this.#utteranceIds.set(u.seq, id);
    this.#queue.insertUtterance({ id, sessionId: this.#sessionId, ...u, createdAt: new Date() });
  }

  /** Queues the outcome of an utterance. */
  finishUtterance(seq: number, o: UtteranceOutcome): void {
    const id = this.#utteranceIds.get(seq);
    if (!id) return;
    this.#utteranceIds.delete(seq);
    this.#queue.finishUtterance(id, { ...o, finishedAt: new Date() });
  }

  /** Resolves once every write queued so far has been attempted. */
  flush(): Promise<void> {
    return this.#queue.flush();
  }
}
