import { sql, type Kysely, type RawBuilder } from 'kysely';
import type { Database, UtteranceSpeech } from './database.js';

// The batched writes of live sessions (gateway/live/live-write-queue.ts owns
// the batching, the journal and the retries): one multi-row statement per
// kind and chunk, session updates first, then utterance inserts, then
// utterance updates. Every statement can be replayed: an utterance row is
// inserted at most once per (session, seq), and updates set the same values again.

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
  /** A reply answered in speech: its stored audio and the model's own transcript (absent in journals written before). */
  readonly speech?: UtteranceSpeech | null;
  /** When it finished. */
  readonly finishedAt: Date;
}

/** One utterance write of a batch: its first insert (with its outcome when already known), or its outcome alone. */
export type LiveUtteranceWrite =
  | { readonly kind: 'insert'; readonly row: UtteranceInsert; readonly finish: UtteranceFinish | undefined }
  | { readonly kind: 'update'; readonly id: string; readonly finish: UtteranceFinish };

/** What one batch writes. */
export interface LiveWriteBatch {
  /** Session patches, by session id. */
  readonly sessions: readonly (readonly [string, SessionPatch])[];
  /** Utterance writes. */
  readonly utterances: readonly LiveUtteranceWrite[];
}

/** How {@link writeLiveBatch} writes. */
export interface LiveWriteOptions {
  /** Rows per multi-row statement (keeps every statement under PostgreSQL's parameter limit). */
  readonly maxRowsPerStatement: number;
  /** All statements in one transaction (true), or each on its own (false: used for single-row retries). */
  readonly transaction: boolean;
}

/**
 * Writes a batch: session updates, then utterance inserts, then utterance
 * updates, each as multi-row statements of at most `maxRowsPerStatement` rows.
 * Rejects with the driver's error (the caller decides between a retry row by
 * row and the journal).
 */
export async function writeLiveBatch(db: Kysely<Database>, batch: LiveWriteBatch, opts: LiveWriteOptions): Promise<void> {
  const statements = liveBatchStatements(batch, opts.maxRowsPerStatement);
  if (!opts.transaction) {
    for (const st of statements) await st.execute(db);
    return;
  }
  await db.transaction().execute(async (trx) => {
    for (const st of statements) await st.execute(trx);
  });
}

function liveBatchStatements({ sessions, utterances }: LiveWriteBatch, maxRows: number): RawBuilder<unknown>[] {
  const out: RawBuilder<unknown>[] = [];
  for (let i = 0; i < sessions.length; i += maxRows) out.push(sessionUpdate(sessions.slice(i, i + maxRows)));
  const inserts = utterances.filter((u): u is Extract<LiveUtteranceWrite, { kind: 'insert' }> => u.kind === 'insert');
  for (let i = 0; i < inserts.length; i += maxRows) out.push(utteranceInsert(inserts.slice(i, i + maxRows)));
  const updates = utterances.filter((u): u is Extract<LiveUtteranceWrite, { kind: 'update' }> => u.kind === 'update');
  for (let i = 0; i < updates.length; i += maxRows) out.push(utteranceUpdate(updates.slice(i, i + maxRows)));
  return out;
}

const json = (v: unknown): string | null => (v === null || v === undefined ? null : JSON.stringify(v));

/** One UPDATE … FROM (VALUES …) for many sessions; a flag per field says whether the patch sets it. */
function sessionUpdate(patches: readonly (readonly [string, SessionPatch])[]): RawBuilder<unknown> {
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

function utteranceInsert(items: readonly { readonly row: UtteranceInsert; readonly finish: UtteranceFinish | undefined }[]): RawBuilder<unknown> {
  const rows = items.map(
    ({ row: r, finish: f }) =>
      sql`(${r.id}, ${r.sessionId}, ${r.seq}::integer, ${r.sampleId}, ${f?.status ?? 'open'}, ${f?.transcript ?? null}, ${json(f?.error)}::jsonb, ${r.audioSeconds}::double precision, ${r.speechStartS}::double precision, ${r.speechEndS}::double precision, ${f?.latencyFirstTokenMs ?? null}::double precision, ${f?.latencyFinalMs ?? null}::double precision, ${f?.realTimeFactor ?? null}::double precision, ${json(f?.scores)}::jsonb, ${json(f?.speech)}::jsonb, ${r.createdAt}::timestamptz, ${f?.finishedAt ?? null}::timestamptz)`,
  );
  // At most once per (session, seq): a journaled batch replayed after its commit had landed does nothing.
  return sql`insert into utterances (id, session_id, seq, sample_id, status, transcript, error, audio_seconds, speech_start_s, speech_end_s, latency_first_token_ms, latency_final_ms, real_time_factor, scores, speech, created_at, finished_at)
    values ${sql.join(rows)}
    on conflict (session_id, seq) do nothing`;
}

function utteranceUpdate(items: readonly { readonly id: string; readonly finish: UtteranceFinish }[]): RawBuilder<unknown> {
  const rows = items.map(
    ({ id, finish: f }) =>
      sql`(${id}::text, ${f.status}::text, ${f.transcript}::text, ${json(f.error)}::jsonb, ${f.latencyFirstTokenMs}::double precision, ${f.latencyFinalMs}::double precision, ${f.realTimeFactor}::double precision, ${json(f.scores)}::jsonb, ${json(f.speech)}::jsonb, ${f.finishedAt}::timestamptz)`,
  );
  return sql`update utterances as u set
    status = v.status, transcript = v.transcript, error = v.error, latency_first_token_ms = v.first_ms,
    latency_final_ms = v.final_ms, real_time_factor = v.rtf, scores = v.scores, speech = v.speech, finished_at = v.finished_at
    from (values ${sql.join(rows)}) as v(id, status, transcript, error, first_ms, final_ms, rtf, scores, speech, finished_at)
    where u.id = v.id`;
}
