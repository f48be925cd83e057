import type { FastifyInstance } from 'fastify';
import { pingDatabase } from '../../store/health-repo.js';
import { evalgateVersion } from '../../version.js';

/** `GET /healthz` and `GET /metrics`. */
export async function healthRoutes(app: FastifyInstance): Promise<void> {
  app.get('/healthz', async (request, reply) => {
    const startedMs = performance.now();
    // Anyone may probe; only a caller with a key (or any caller when auth is
    // off) sees the backend, version and driver error, which can name the
    // database host and user.
    const detailed = (request.auth?.scopes.length ?? 0) > 0;
    try {
      await pingDatabase(app.store.db);
      if (!detailed) return { status: 'ok' };
      return {
        status: 'ok',
        version: evalgateVersion,
        database: { status: 'ok', backend: app.store.backend, latencyMs: +(performance.now() - startedMs).toFixed(2) },
      };
    } catch (err) {
      request.log.warn({ detail: (err as Error).message }, 'health check: database unavailable');
      if (!detailed) return reply.status(503).send({ status: 'degraded' });
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
