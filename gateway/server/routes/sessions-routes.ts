import { sql } from 'kysely';
import type { FastifyInstance } from 'fastify';
import { staleSessionColumn } from '../../live/session-heartbeat.js';

/** `GET /v1/sessions`: live and recent stream sessions with utterance latency summaries. */
export async function sessionsRoutes(app: FastifyInstance): Promise<void> {
  app.get<{ Querystring: { status?: string; limit?: number } }>(
    '/sessions',
    {
      schema: {
        querystring: {
          type: 'object',
          properties: {
            status: { type: 'string', enum: ['open', 'disconnected', 'closed', 'failed'] },
            limit: { type: 'integer', minimum: 1, maximum: 500, default: 50 },
          },
          additionalProperties: false,
        },
      },
    },
    async (request) => {
      const { status, limit = 50 } = request.query;
      let q = app.store.db
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
        .limit(limit);
      if (status) q = q.where('s.status', '=', status as 'open' | 'disconnected' | 'closed' | 'failed');
      return { sessions: await q.execute() };
    },
  );
}
