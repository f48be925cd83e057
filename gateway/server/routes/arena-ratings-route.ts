import type { FastifyInstance } from 'fastify';
import { arenaModalities, arenaRatingsView, checkRatingsRequest, loadArenaRatingsInput, ratingsSources } from '../../arena/arena-ratings.js';
import { ComparePool } from '../../compare/compare-pool.js';

/**
 * GET /v1/arena/ratings?source=human|judge|combined&modality=&freeze=ISO: the
 * arena's Bradley-Terry ratings with intervals, ranks and the votes left out
 * by reason (viewer scope, enforced by the parent; ratings are aggregates of
 * anonymous votes, no prompt or answer). `source` defaults to `human` and the
 * reply says which source it rated; `combined` pools both and says so. The
 * bootstrap runs on a worker thread, never on the event loop.
 */
export async function arenaRatingsRoute(app: FastifyInstance): Promise<void> {
  const pool = new ComparePool({ size: 1 });
  app.addHook('onClose', async () => pool.close());
  app.get<{ Querystring: { source?: string; modality?: string; freeze?: string } }>(
    '/arena/ratings',
    {
      schema: {
        querystring: {
          type: 'object',
          properties: {
            source: { type: 'string', enum: [...ratingsSources] },
            modality: { type: 'string', enum: [...arenaModalities] },
            freeze: { type: 'string', format: 'date-time' },
          },
          additionalProperties: false,
        },
      },
    },
    async (request) => {
      const req = checkRatingsRequest(request.query);
      const input = await loadArenaRatingsInput(app.store.db, app.evalgateConfig, req);
      const ratings = await pool.run({ kind: 'arena-ratings', votes: input.votes, opts: input.options });
      return arenaRatingsView(input, ratings);
    },
  );
}
