import type { FastifyInstance } from 'fastify';
import { EvalgateError } from '../../errors.js';
import type { LiveMetrics } from '../../live/live-metrics.js';
import { runLiveSocket } from '../../live/live-socket.js';
import { RealtimeProtocol, type RealtimeFlavor } from '../../live/realtime-protocol.js';
import type { SessionRegistry } from '../../live/session-registry.js';
import { requireScope } from '../auth/auth-plugin.js';

/** Options handed in by the live plugin. */
export interface LiveRouteOptions {
  /** The app's sessions. */
  readonly registry: SessionRegistry;
  /** Live instruments. */
  readonly metrics: LiveMetrics;
}

/** Beta clients say so with a header (Node SDK) or a subprotocol (browsers). */
function flavorOf(headers: Record<string, string | string[] | undefined>): RealtimeFlavor {
  const beta = String(headers['openai-beta'] ?? '');
  const protocols = String(headers['sec-websocket-protocol'] ?? '');
  return /realtime=v1/.test(beta) || /openai-beta\.realtime-v1/.test(protocols) ? 'beta' : 'ga';
}

/**
 * `GET /v1/realtime?model=<id>[&session_id=<id>]`: the OpenAI Realtime API
 * over WebSocket. Streaming needs the `submitter` scope; `session_id` resumes
 * a dropped session within the grace period.
 */
export async function realtimeRoute(app: FastifyInstance, opts: LiveRouteOptions): Promise<void> {
  const refuseWhileClosing = async (): Promise<void> => {
    if (opts.registry.shuttingDown) throw new EvalgateError('EVALGATE_ERR_SHUTTING_DOWN');
  };
  app.get<{ Querystring: { model?: string; session_id?: string } }>(
    '/realtime',
    { websocket: true, preHandler: [requireScope('submitter'), refuseWhileClosing] },
    (socket, request) => {
      const flavor = flavorOf(request.headers);
      runLiveSocket({
        socket,
        request,
        registry: opts.registry,
        protocol: new RealtimeProtocol({ flavor, model: request.query.model ?? '' }),
        modelId: request.query.model,
        resumeId: request.query.session_id,
        onDropped: () => opts.metrics.droppedEvents.inc(),
      });
    },
  );
}
