import type { FastifyInstance } from 'fastify';
import { listStreamSessions, type StreamSessionStatus } from '../../store/stream-session-repo.js';

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
      return { sessions: await listStreamSessions(app.store.db, { limit, status: status as StreamSessionStatus | undefined }) };
    },
  );
}
