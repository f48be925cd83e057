import type { FastifyInstance } from 'fastify';
import { definedSize, loadSliceSizes } from '../../compare/load-run-outcomes.js';
import { runSummaryView, sealedAccess } from '../../compare/sealed-view.js';
import { sealedDatasetIds } from '../../store/dataset-repo.js';
import { listRunsPage } from '../../store/run-listing-repo.js';

/** `GET /v1/runs`: runs, newest first. */
export async function runsRoutes(app: FastifyInstance): Promise<void> {
  app.get<{ Querystring: { limit?: number; model?: string; task?: string } }>(
    '/runs',
    {
      schema: {
        querystring: {
          type: 'object',
          properties: {
            limit: { type: 'integer', minimum: 1, maximum: 1000, default: 100 },
            model: { type: 'string' },
            task: { type: 'string' },
          },
          additionalProperties: false,
        },
      },
    },
    async (request) => {
      const { limit = 100, model, task } = request.query;
      // `stale`: running, but its executor stopped stamping it (see `evalgate runs reap`); the database's clock decides.
      const runs = await listRunsPage(app.store.db, { limit, model, task });
      // A run's summary metrics are an aggregate: on a sealed dataset, unless they cover every sample of the task, they are admin-only.
      const datasetIds = [...new Set(runs.flatMap((r) => (r.dataset_id ? [r.dataset_id] : [])))];
      const sealed = new Set(await sealedDatasetIds(app.store.db, datasetIds));
      const access = sealedAccess(request.auth?.scopes ?? [], app.evalgateConfig.sealed?.minSliceSize);
      const sizes = access.isAdmin ? new Map() : await loadSliceSizes(app.store.db, [...sealed]);
      return {
        runs: runs.map((r) => {
          const isSealed = r.dataset_id !== null && sealed.has(r.dataset_id);
          // A sealed dataset with no sample of the run's task defines an empty set.
          const datasetN = isSealed ? (definedSize(sizes.get(r.dataset_id!)?.get(r.task), 'all') ?? 0) : undefined;
          return { ...r, summary: runSummaryView(r.summary, isSealed, access, datasetN) };
        }),
      };
    },
  );
}
