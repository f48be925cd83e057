import { sql, type Kysely, type Selectable } from 'kysely';
import type { ModelConfig } from '../config/config-schema.js';
import type { Database, StreamSessionsTable, UtterancesTable } from './database.js';
import { staleSessionColumn } from './heartbeat-repo.js';
import { upsertModel } from './model-repo.js';

// Live stream sessions and their utterances in the store: opening a session,
// reading one back, and the listing with latency percentiles. The batched
// writes of a running session are in live-write-repo.ts.

type Db = Kysely<Database>;

/** A stream session row. */
export type StreamSession = Selectable<StreamSessionsTable>;

/** An utterance row. */
export type Utterance = Selectable<UtterancesTable>;

/** A session's status. */
export type StreamSessionStatus = StreamSession['status'];

/** What {@link openStreamSession} records. */
export interface OpenStreamSession {
  /** The model streamed to (upserted into `models`). */
  readonly model: ModelConfig;
  /** The key that opened it; null when auth is off. */
  readonly apiKeyId: string | null;
  /** Wire protocol. */
  readonly protocol: 'realtime' | 'native';
  /** Session config as stored. */
  readonly config: Record<string, unknown>;
}

/**
 * Upserts the session's model (as runs do, model-repo.ts), then inserts the
 * session row and returns its id.
 */
export async function openStreamSession(db: Db, s: OpenStreamSession): Promise<string> {
  const { model } = s;
  await upsertModel(db, model);
  const row = await db
    .insertInto('stream_sessions')
    .values({ model_id: model.id, api_key_id: s.apiKeyId, protocol: s.protocol, config: JSON.stringify(s.config) })
    .returning('id')
    .executeTakeFirstOrThrow();
  return row.id;
}

/** A session by id. */
export async function findStreamSession(db: Db, id: string): Promise<StreamSession | undefined> {
  return db.selectFrom('stream_sessions').selectAll().where('id', '=', id).executeTakeFirst();
}

/** A session's utterances in stream order (`seq`). */
export async function listUtterances(db: Db, sessionId: string): Promise<Utterance[]> {
  return db.selectFrom('utterances').selectAll().where('session_id', '=', sessionId).orderBy('seq').execute();
}

/** One session of {@link listStreamSessions}, with its utterance count and latency percentiles. */
export interface StreamSessionSummary {
  /** Session id. */
  readonly id: string;
  /** Model id. */
  readonly model_id: string;
  /** Wire protocol. */
  readonly protocol: 'realtime' | 'native';
  /** Status. */
  readonly status: StreamSessionStatus;
  /** Audio seconds received. */
  readonly audio_seconds: number;
  /** Opened. */
  readonly created_at: Date;
  /** Ended, if it has. */
  readonly ended_at: Date | null;
  /** Last stamp of the gateway holding it. */
  readonly heartbeat_at: Date;
  /** Open or disconnected, but no gateway has stamped it for a minute (the database's clock decides). */
  readonly stale: boolean;
  /** Utterances. */
  readonly utterances: number;
  /** Median time to first token, ms. */
  readonly first_token_p50_ms: number | null;
  /** Median time to the final output, ms. */
  readonly final_p50_ms: number | null;
  /** 99th percentile of the time to the final output, ms. */
  readonly final_p99_ms: number | null;
}

/** Sessions, newest first, at most `limit`, optionally of one status. */
export async function listStreamSessions(db: Db, opts: { readonly limit: number; readonly status?: StreamSessionStatus }): Promise<StreamSessionSummary[]> {
  let q = db
    .selectFrom('stream_sessions as s')
    .leftJoin('utterances as u', 'u.session_id', 's.id')
    .select([
      's.id',
      's.model_id',
      's.protocol',
      's.status',
      's.audio_seconds',
      's.created_at',
      's.ended_at',
      's.heartbeat_at',
      // Open or disconnected, but no gateway has stamped it for a minute: its gateway was stopped.
      staleSessionColumn('s'),
      sql<number>`count(u.id)`.as('utterances'),
      sql<number | null>`percentile_cont(0.5) within group (order by u.latency_first_token_ms)`.as('first_token_p50_ms'),
      sql<number | null>`percentile_cont(0.5) within group (order by u.latency_final_ms)`.as('final_p50_ms'),
      sql<number | null>`percentile_cont(0.99) within group (order by u.latency_final_ms)`.as('final_p99_ms'),
    ])
    .groupBy('s.id')
    .orderBy('s.created_at', 'desc')
    .limit(opts.limit);
  if (opts.status) q = q.where('s.status', '=', opts.status);
  return q.execute();
}
