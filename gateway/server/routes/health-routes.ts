import { sql } from 'kysely';
import type { FastifyInstance } from 'fastify';
import { evalgateVersion } from '../../version.js';

/** `GET /healthz` and `GET /metrics`. */
export async function healthRoutes(app: FastifyInstance): Promise<void> {
  app.get('/healthz', async (_request, reply) => {
    const startedMs = performance.now();
    try {
      await sql`select 1`.execute(app.store.db);
      return {
        status: 'ok',
        version: evalgateVersion,
        database: { status: 'ok', backend: app.store.backend, latencyMs: +(performance.now() - startedMs).toFixed(2) },
      };
    } catch (err) {
      return reply.status(503).send({
        status: 'degraded',
        version: evalgateVersion,
        database: { status: 'unavailable', backend: app.store.backend, error: (err as Error).message },
      });
    }
  });

  app.get('/metrics', async (_request, reply) => {
    reply.header('content-type', app.metrics.contentType);
    return app.metrics.metrics();
  });
}
