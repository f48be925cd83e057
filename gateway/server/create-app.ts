import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify';
import { Registry, collectDefaultMetrics } from 'prom-client';
import type { EvalgateConfig } from '../config/config-schema.js';
import { EvalgateError, isEvalgateError } from '../errors.js';
import type { Store } from '../store/open-store.js';
import { authPlugin, requireScope } from './auth/auth-plugin.js';
import { createMediaUrlSigner, type MediaUrlSigner } from './auth/media-url-signer.js';
import { redactUrl, redactingLoggerOptions } from './auth/redact-secrets.js';
import { isDatabaseUnavailable } from '../store/is-database-unavailable.js';
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
    /** Signs and checks the short-lived media links the web page uses instead of a bearer header. */
    readonly mediaUrls: MediaUrlSigner;
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
  /** Media link signer (default: a random secret made now, 5-minute links). */
  readonly mediaUrls?: MediaUrlSigner;
}

/** fastify's logger setting with secrets redacted (docs/security.md: what is never logged). */
function loggerWithRedaction(logger: CreateAppOptions['logger']): FastifyServerOptions['logger'] {
  if (!logger) return false;
  return redactingLoggerOptions(logger === true ? {} : (logger as Record<string, unknown>)) as FastifyServerOptions['logger'];
}

/**
 * Maps anything a handler or fastify itself threw to a registry error:
 * fastify's own 4xx (malformed JSON, body too large, bad content type…)
 * keep their class instead of becoming 500, and a database outage is 503.
 */
function toEvalgateError(err: unknown): EvalgateError {
  if (isEvalgateError(err)) return err;
  const { message, validation, statusCode } = err as { message?: string; validation?: unknown; statusCode?: unknown };
  const detail = String(message ?? err);
  if (validation) return new EvalgateError('EVALGATE_ERR_BAD_INPUT', { detail });
  if (isDatabaseUnavailable(err)) {
    // The driver's message can name the database host; the log has it, the client does not.
    return new EvalgateError('EVALGATE_ERR_DB_UNAVAILABLE', { detail: 'the database did not answer; retry later' });
  }
  // SQLSTATE class 22 (data exception: bad number or date syntax, out of range) is input that got past validation.
  const sqlState = (err as { code?: unknown }).code;
  if (typeof sqlState === 'string' && /^22[0-9A-Z]{3}$/.test(sqlState)) return new EvalgateError('EVALGATE_ERR_BAD_INPUT', { detail });
  if (typeof statusCode === 'number' && statusCode >= 400 && statusCode < 500) {
    if (statusCode === 413) return new EvalgateError('EVALGATE_ERR_PAYLOAD_TOO_LARGE', { detail });
    if (statusCode === 429) return new EvalgateError('EVALGATE_ERR_RATE_LIMITED', { detail });
    if (statusCode === 404) return new EvalgateError('EVALGATE_ERR_NOT_FOUND', { what: 'Resource', id: detail });
    return new EvalgateError('EVALGATE_ERR_BAD_INPUT', { detail });
  }
  return new EvalgateError('EVALGATE_ERR_INTERNAL', { detail });
}

/**
 * Builds the fastify app: shared resources as decorators, then each feature
 * as an encapsulated plugin. Listening is the caller's business so tests can
 * use `inject()` or port 0.
 */
export async function createApp(opts: CreateAppOptions): Promise<FastifyInstance> {
  const app = Fastify({
    logger: loggerWithRedaction(opts.logger),
    ...(opts.https ? { https: { cert: opts.https.cert, key: opts.https.key } } : {}),
  }) as unknown as FastifyInstance;
  const metrics = new Registry();
  collectDefaultMetrics({ register: metrics, prefix: 'evalgate_' });
  app.decorate('evalgateConfig', opts.config);
  app.decorate('store', opts.store);
  app.decorate('metrics', metrics);
  app.decorate('mediaUrls', opts.mediaUrls ?? createMediaUrlSigner());
  const routeList: string[] = [];
  app.decorate('routeList', routeList);
  app.addHook('onRoute', (route) => {
    for (const method of [route.method].flat()) if (method !== 'HEAD' && method !== 'OPTIONS') routeList.push(`${method} ${route.url}`);
  });

  app.setErrorHandler((err, request, reply) => {
    const e = toEvalgateError(err);
    // 4xx are the caller's mistake: a stack trace at error level for every
    // malformed body would let anyone flood the log.
    if (e.httpStatus >= 500 && e.code !== 'EVALGATE_ERR_DB_UNAVAILABLE') request.log.error({ err }, 'request failed');
    else if (e.httpStatus >= 500) request.log.warn({ code: e.code, detail: (err as Error).message }, 'request failed: database unavailable');
    else request.log.debug({ code: e.code, detail: e.message }, 'request refused');
    void reply.status(e.httpStatus).send({ error: e.toJSON() });
  });
  app.setNotFoundHandler((request, reply) => {
    const e = new EvalgateError('EVALGATE_ERR_NOT_FOUND', { what: 'Route', id: `${request.method} ${redactUrl(request.url)}` });
    void reply.status(404).send({ error: e.toJSON() });
  });

  // ajv coerces "1e309" to Infinity and lets it through integer bounds; no
  // route means that, and PostgreSQL would answer it with a 500.
  app.addHook('preHandler', async (request) => {
    const q = request.query as Record<string, unknown> | undefined;
    for (const [k, v] of Object.entries(q ?? {})) {
      if (typeof v === 'number' && !Number.isFinite(v))
        throw new EvalgateError('EVALGATE_ERR_BAD_INPUT', { detail: `querystring/${k} must be a finite number` });
    }
  });

  // Some replies leave without a body (a plain GET on a WebSocket route gets an
  // empty 404 from @fastify/websocket): give every error the registry shape.
  app.addHook('onSend', async (request, reply, payload) => {
    if (reply.statusCode < 400 || request.method === 'HEAD' || (payload !== undefined && payload !== null && payload !== '')) return payload;
    const route = request.routeOptions.url;
    const e =
      reply.statusCode === 404 && route
        ? new EvalgateError('EVALGATE_ERR_BAD_INPUT', { detail: `${route} is a WebSocket endpoint: connect with an Upgrade: websocket request` })
        : toEvalgateError(Object.assign(new Error(`HTTP ${reply.statusCode}`), { statusCode: reply.statusCode }));
    void reply.code(e.httpStatus).header('content-type', 'application/json; charset=utf-8');
    return JSON.stringify({ error: e.toJSON() });
  });

  await app.register(authPlugin);
  await app.register(healthRoutes);
  await app.register(webRoutes);
  // Feature plugins, one line each. Routes under /v1 need at least `viewer`.
  await app.register(
    async (v1) => {
      v1.addHook('preHandler', requireScope('viewer'));
      await v1.register(runsRoutes);
      // Live code does not import the server: its routes are handed to it here.
      const [{ liveGateway }, { realtimeRoute }, { streamRoute }] = await Promise.all([
        import('../live/live-gateway.js'),
        import('./routes/realtime-route.js'),
        import('./routes/stream-route.js'),
      ]);
      await v1.register(liveGateway, { routes: [realtimeRoute, streamRoute] });
      await v1.register(compareRoutes);
      await v1.register(mediaRoutes);
      await v1.register(sessionsRoutes);
      await v1.register((await import('./routes/arena-ratings-route.js')).arenaRatingsRoute);
    },
    { prefix: '/v1' },
  );
  // Outside the viewer-scoped group: with arena.public a keyless caller reaches its own battles (the routes decide who).
  await app.register((await import('./routes/arena-battle-routes.js')).arenaBattleRoutes, { prefix: '/v1' });
  return app;
}
