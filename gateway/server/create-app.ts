import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify';
import { Registry, collectDefaultMetrics } from 'prom-client';
import type { EvalgateConfig } from '../config/config-schema.js';
import { EvalgateError, isEvalgateError } from '../errors.js';
import type { Store } from '../store/open-store.js';
import { authPlugin, requireScope } from './auth/auth-plugin.js';
import { healthRoutes } from './routes/health-routes.js';
import { runsRoutes } from './routes/runs-routes.js';
import { compareRoutes } from './routes/compare-routes.js';
import { mediaRoutes } from './routes/media-routes.js';
import { sessionsRoutes } from './routes/sessions-routes.js';
import { webRoutes } from './routes/web-routes.js';

declare module 'fastify' {
  interface FastifyInstance {
    /** Validated, frozen configuration. */
    readonly evalgateConfig: EvalgateConfig;
    /** The migrated database. */
    readonly store: Store;
    /** Prometheus registry served at /metrics. */
    readonly metrics: Registry;
    /** Every route registered, as `METHOD /path` (tests keep docs/api.md in step with it). */
    readonly routeList: readonly string[];
  }
}

/** What the app needs from its caller. */
export interface CreateAppOptions {
  /** Validated configuration. */
  readonly config: EvalgateConfig;
  /** An open, migrated store; the caller closes it. */
  readonly store: Store;
  /** Fastify logger setting (false in tests). */
  readonly logger?: FastifyServerOptions['logger'];
  /** HTTPS options (cert/key) to serve HTTPS and WSS. */
  readonly https?: { readonly cert: Buffer; readonly key: Buffer };
}

/**
 * Builds the fastify app: shared resources as decorators, then each feature
 * as an encapsulated plugin. Listening is the caller's business so tests can
 * use `inject()` or port 0.
 */
export async function createApp(opts: CreateAppOptions): Promise<FastifyInstance> {
  const app = Fastify({
    logger: opts.logger ?? false,
    ...(opts.https ? { https: { cert: opts.https.cert, key: opts.https.key } } : {}),
  }) as unknown as FastifyInstance;
  const metrics = new Registry();
  collectDefaultMetrics({ register: metrics, prefix: 'evalgate_' });
  app.decorate('evalgateConfig', opts.config);
  app.decorate('store', opts.store);
  app.decorate('metrics', metrics);
  const routeList: string[] = [];
  app.decorate('routeList', routeList);
  app.addHook('onRoute', (route) => {
    for (const method of [route.method].flat()) if (method !== 'HEAD' && method !== 'OPTIONS') routeList.push(`${method} ${route.url}`);
  });

  app.setErrorHandler((err, request, reply) => {
    const e = isEvalgateError(err)
      ? err
      : (err as { validation?: unknown }).validation
        ? new EvalgateError('EVALGATE_ERR_BAD_INPUT', { detail: (err as Error).message })
        : new EvalgateError('EVALGATE_ERR_INTERNAL', { detail: (err as Error).message });
    if (e.httpStatus >= 500) request.log.error({ err }, 'request failed');
    void reply.status(e.httpStatus).send({ error: e.toJSON() });
  });
  app.setNotFoundHandler((request, reply) => {
    const e = new EvalgateError('EVALGATE_ERR_NOT_FOUND', { what: 'Route', id: `${request.method} ${request.url}` });
    void reply.status(404).send({ error: e.toJSON() });
  });

  await app.register(authPlugin);
  await app.register(healthRoutes);
  await app.register(webRoutes);
  // Feature plugins, one line each. Routes under /v1 need at least `viewer`.
  await app.register(
    async (v1) => {
      v1.addHook('preHandler', requireScope('viewer'));
      await v1.register(runsRoutes);
      await v1.register((await import('../live/live-gateway.js')).liveGateway);
      await v1.register(compareRoutes);
      await v1.register(mediaRoutes);
      await v1.register(sessionsRoutes);
    },
    { prefix: '/v1' },
  );
  return app;
}
