import websocket from '@fastify/websocket';
import type { FastifyInstance } from 'fastify';
import { defaultJournalDir } from './live-journal.js';
import { liveLimitsFromEnv, type LiveLimits } from './live-limits.js';
import { createLiveMetrics, type LiveMetrics } from './live-metrics.js';
import { SessionRegistry } from './session-registry.js';

/** Registries by HTTP server, so serveGateway can drain them before closing. */
const registries = new WeakMap<object, SessionRegistry>();

/** What each live route gets: the app's sessions and the live instruments. */
export interface LiveRouteContext {
  /** The app's sessions. */
  readonly registry: SessionRegistry;
  /** Live instruments. */
  readonly metrics: LiveMetrics;
}

/** A Fastify plugin serving one live protocol (the server's /realtime and /stream routes). */
export type LiveRoute = (app: FastifyInstance, ctx: LiveRouteContext) => Promise<void>;

/** Options of the live plugin. */
export interface LiveGatewayOptions {
  /**
   * The routes to serve over the shared registry. Handed in by whoever builds
   * the server (gateway/server/create-app.ts), so live code never imports the
   * server layer above it.
   */
  readonly routes: readonly LiveRoute[];
  /** Overrides the limits (which otherwise come from the defaults, the config's `live` section and EVALGATE_LIVE_* variables). */
  readonly limits?: Partial<LiveLimits>;
  /** Overrides the journal folder (otherwise EVALGATE_LIVE_JOURNAL_DIR, then the config's `live.journalDir`, then `.evalgate/journal`). */
  readonly journalDir?: string;
}

/**
 * WebSocket support, the session registry and the live routes handed in
 * (`GET /realtime`, OpenAI Realtime compatible, and `GET /stream`, native,
 * under /v1 in the server).
 */
export async function liveGateway(app: FastifyInstance, opts: LiveGatewayOptions): Promise<void> {
  const { journalDir: configJournalDir, ...configLimits } = app.evalgateConfig.live;
  const limits = liveLimitsFromEnv(process.env, opts.limits, configLimits);
  const journalDir = opts.journalDir ?? (process.env.EVALGATE_LIVE_JOURNAL_DIR || undefined) ?? configJournalDir ?? defaultJournalDir;
  // ws enforces maxPayload while reading and closes oversized frames with 1009.
  await app.register(websocket, { options: { maxPayload: limits.maxFrameBytes } });
  // An upgrade refused by an earlier onRequest hook (401 from auth) never reaches
  // @fastify/websocket's own hook, which would destroy the socket; without this
  // the half-open socket outlives the response and blocks server.close().
  app.addHook('onResponse', async (request) => {
    if (String(request.headers.upgrade ?? '').toLowerCase() === 'websocket') request.raw.socket?.destroy();
  });
  const metrics = createLiveMetrics(app.metrics);
  const registry = new SessionRegistry({ store: app.store, config: app.evalgateConfig, limits, metrics, log: app.log, journalDir });
  registries.set(app.server, registry);
  // A plain app.close() (tests, embedding) still ends every session cleanly.
  app.addHook('preClose', async () => registry.shutdown());
  for (const route of opts.routes) await app.register(route, { registry, metrics });
}

/**
 * Graceful shutdown of the live sessions of an app: refuse new ones, let open
 * utterances finish (bounded by the drain limit), flush writes, close sockets
 * with 1001. Safe to call when the app has no live routes.
 */
export async function shutdownLiveSessions(app: FastifyInstance): Promise<void> {
  await registries.get(app.server)?.shutdown();
}
