import type { FastifyInstance } from 'fastify';
import { EvalgateError } from '../../errors.js';
import { percentiles } from '../../../scorers/stats/percentile.js';
import { runLiveSocket } from '../../live/live-socket.js';
import { NativeProtocol } from '../../live/native-protocol.js';
import { requireScope } from '../auth/auth-plugin.js';
import { liveScoresVisible } from '../../compare/sealed-view.js';
import { isDatasetSealed, sealedSampleIds } from '../../store/dataset-repo.js';
import { findStreamSession, listUtterances } from '../../store/stream-session-repo.js';
import type { LiveRouteOptions } from './realtime-route.js';

const uuidRe = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * `GET /v1/stream?model=<id>[&session=<id>]`: the native protocol
 * (docs/protocol.md), and `GET /v1/stream/sessions/:id`: a session with its
 * utterances and latency percentiles (scores for evaluator keys only).
 */
export async function streamRoute(app: FastifyInstance, opts: LiveRouteOptions): Promise<void> {
  const refuseWhileClosing = async (): Promise<void> => {
    if (opts.registry.shuttingDown) throw new EvalgateError('EVALGATE_ERR_SHUTTING_DOWN');
  };
  app.get<{ Querystring: { model?: string; session?: string } }>(
    '/stream',
    { websocket: true, preHandler: [requireScope('submitter'), refuseWhileClosing] },
    (socket, request) => {
      runLiveSocket({
        socket,
        request,
        registry: opts.registry,
        protocol: new NativeProtocol(),
        modelId: request.query.model,
        resumeId: request.query.session,
        onDropped: () => opts.metrics.droppedEvents.inc(),
      });
    },
  );

  app.get<{ Params: { id: string } }>('/stream/sessions/:id', async (request) => {
    const { id } = request.params;
    if (!uuidRe.test(id)) throw new EvalgateError('EVALGATE_ERR_NOT_FOUND', { what: 'Stream session', id });
    const db = app.store.db;
    const session = await findStreamSession(db, id);
    if (!session) throw new EvalgateError('EVALGATE_ERR_NOT_FOUND', { what: 'Stream session', id });
    const rows = await listUtterances(db, id);
    // Per-utterance scores: evaluator keys on open datasets, admin keys only on sealed ones (gateway/compare/sealed-view.ts).
    const sampleIds = [...new Set(rows.flatMap((r) => (r.sample_id ? [r.sample_id] : [])))];
    const sealedSamples = new Set(await sealedSampleIds(db, sampleIds));
    const sealedSession = session.dataset_id !== null && (await isDatasetSealed(db, session.dataset_id));
    const scopes = request.auth?.scopes ?? [];
    const ok = rows.filter((r) => r.status === 'ok');
    return {
      session,
      utterances: rows.map((r) => ({
        ...r,
        // A spoken reply's stored audio is a server path: admin keys only (as media paths elsewhere).
        speech: r.speech && !scopes.includes('admin') ? { selfTranscript: r.speech.selfTranscript } : r.speech,
        scores: liveScoresVisible(scopes, sealedSession || (r.sample_id !== null && sealedSamples.has(r.sample_id))) ? r.scores : undefined,
      })),
      latency: {
        firstTokenMs: percentiles(ok.map((r) => r.latency_first_token_ms ?? 0)),
        finalMs: percentiles(ok.map((r) => r.latency_final_ms ?? 0)),
      },
    };
  });
}
