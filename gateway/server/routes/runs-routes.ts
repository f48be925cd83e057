import type { FastifyInstance } from 'fastify';
import { definedSize, loadSliceSizes } from '../../compare/load-run-outcomes.js';
import { runSummaryView, sealedAccess } from '../../compare/sealed-view.js';
import { staleColumn } from '../../runner/run-heartbeat.js';

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
      let q = app.store.db
        .selectFrom('runs')
        .select([
          'id',
          'model_id',
          'dataset_id',
          'task',
          'status',
          'config_hash',
          'dataset_digest',
          'evalgate_version',
          'summary',
          'created_at',
          'started_at',
          'finished_at',
          'heartbeat_at',
          // Running, but its executor stopped stamping it (see `evalgate runs reap`); the database's clock decides.
          staleColumn(),
        ])
        .orderBy('created_at', 'desc')
        .limit(limit);
      if (model) q = q.where('model_id', '=', model);
      if (task) q = q.where('task', '=', task);
      const runs = await q.execute();
      // A run's summary metrics are an aggregate: on a sealed dataset, unless they cover every sample of the task, they are admin-only.
      const datasetIds = [...new Set(runs.flatMap((r) => (r.dataset_id ? [r.dataset_id] : [])))];
      const sealed = new Set(
        datasetIds.length === 0
          ? []
          : (await app.store.db.selectFrom('datasets').select('id').where('id', 'in', datasetIds).where('sealed', '=', true).execute()).map((d) => d.id),
      );
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
